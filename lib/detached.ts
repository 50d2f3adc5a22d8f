import type { EntityMetadata, EntityName, EntityProperty } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';

/*
 * Rows read to answer with, as instances of their entity outside MikroORM's unit of work (pages,
 * references, plain reads and the rows of plain transitions).
 */

/**
 * Instances of `entity` for rows read to answer with (`data`: property names, as MikroORM maps
 * a result), hydrated as MikroORM hydrates them (same conversions: JSON, dates, booleans) but
 * outside the unit of work: no identity map, no change tracking. MikroORM turns the first write
 * of each property of a managed instance into a getter and setter of its own, most of what a
 * page of 100 rows cost. Only entities without relation properties (none has any here).
 */
export function detach<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  data: Record<string, unknown>[],
): T[] {
  const meta = em.getMetadata().find(entity as never)!;
  if (meta.relations.length) throw new Error(`${meta.className} has relations: not detachable`);
  const factory = em.getEntityFactory();
  const hydrator = em.config.getHydrator(em.getMetadata());
  const prototype = detachedPrototype(meta);
  const platform = em.getPlatform();
  const custom = customTyped(meta);
  return data.map((row) => {
    const instance = Object.create(prototype) as Record<string, unknown>;
    // Custom types (JSON …) converted here as the hydrator converts them, without its copy of
    // each value back to the database's form (a JSON.stringify per JSON column) kept for
    // change tracking, which a detached row has none of.
    hydrator.hydrate(instance, meta, row as never, factory, 'full', false, false);
    for (const prop of custom) {
      const value = row[prop.name];
      if (value != null)
        instance[prop.name] = prop.customType!.convertToJSValue(value, platform, {
          mode: 'serialization',
        });
    }
    return instance as T;
  });
}

/**
 * Rows as the database answers them (column names, values as the driver reads them) as
 * detached instances, in one pass per row: the conversions of MikroORM's result mapper
 * (booleans, dates) and of its hydrator (custom types: JSON …), without the intermediate
 * object of property names, the mapper's copy of unmapped columns or the hydrator's
 * bookkeeping. Entities with a shape this does not cover (embeddables, discriminators, composite
 * columns, dates stored as numbers, `forceUndefined`) go through `detach` after MikroORM's
 * mapper, as before; tests compare the two on every entity.
 */
export function detachRows<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  rows: Record<string, unknown>[],
): T[] {
  const meta = em.getMetadata().find(entity as never)!;
  const reader = rowReader(em, meta);
  if (!reader) {
    const driver = em.getDriver();
    return detach(
      em,
      entity,
      rows.map((row) => driver.mapResult(row as never, meta) as Record<string, unknown>),
    );
  }
  return rows.map(reader) as T[];
}

type Reader = (row: Record<string, unknown>) => object;

const READERS = new WeakMap<object, Reader | null>();

function rowReader(em: SqlEntityManager, meta: EntityMetadata): Reader | null {
  let reader = READERS.get(meta);
  if (reader !== undefined) return reader;
  reader = buildReader(em, meta);
  READERS.set(meta, reader);
  return reader;
}

function buildReader(em: SqlEntityManager, meta: EntityMetadata): Reader | null {
  if (meta.relations.length) throw new Error(`${meta.className} has relations: not detachable`);
  const platform = em.getPlatform();
  if (meta.discriminatorColumn || meta.embeddable || em.config.get('forceUndefined')) return null;
  const tz = platform.getTimezone();
  const parse = (v: unknown) => platform.parseDate(v as string);
  // MikroORM's result mapper, for a date read as text or a number.
  const toDate = (v: unknown): unknown => {
    if (v instanceof Date) return v;
    if (typeof v === 'bigint') return parse(Number(v));
    if (!tz || tz === 'local') return parse(v);
    if (
      typeof v === 'number' ||
      (v as string).includes('+') ||
      (v as string).lastIndexOf('-') > 10 ||
      (v as string).endsWith('Z')
    )
      return parse(v);
    return parse(`${v as string}${tz}`);
  };
  const columns: { field: string; name: string; convert: ((v: unknown) => unknown) | null }[] = [];
  for (const prop of meta.props) {
    if (!prop.fieldNames) continue;
    if (prop.fieldNames.length !== 1 || prop.embedded || prop.ref || prop.kind !== 'scalar')
      return null;
    let convert: ((v: unknown) => unknown) | null = null;
    if (prop.runtimeType === 'boolean') convert = (v) => !!v;
    else if (prop.runtimeType === 'Date') {
      if (platform.isNumericProperty(prop)) return null;
      convert = toDate;
    }
    const custom = prop.customType;
    if (custom) {
      const before = convert;
      convert = (v) =>
        custom.convertToJSValue(before ? before(v) : v, platform, { mode: 'serialization' });
    }
    columns.push({ field: prop.fieldNames[0]!, name: prop.name, convert });
  }
  const prototype = detachedPrototype(meta);
  return (row) => {
    const instance = Object.create(prototype) as Record<string, unknown>;
    for (const c of columns) {
      const v = row[c.field];
      if (v === undefined) continue;
      instance[c.name] = v === null ? null : c.convert ? c.convert(v) : v;
    }
    return instance;
  };
}

/** The properties of `meta` with a custom type (JSON columns …), kept per entity. */
function customTyped(meta: { props: EntityProperty[] }): EntityProperty[] {
  let props = CUSTOM.get(meta);
  if (!props) {
    props = meta.props.filter((p) => p.customType);
    CUSTOM.set(meta, props);
  }
  return props;
}

const CUSTOM = new WeakMap<object, EntityProperty[]>();

const DETACHED = new WeakMap<object, object>();

/**
 * A prototype below the entity's own (methods, getters and `constructor.name` as the entity's,
 * `instanceof` holds) where every property is a plain writable slot: MikroORM's prototype
 * setters, which turn the first write of each property into change tracking, are shadowed.
 */
function detachedPrototype(meta: {
  prototype: object;
  className: string;
  props: { name: string }[];
}) {
  let prototype = DETACHED.get(meta.prototype);
  if (!prototype) {
    prototype = Object.create(meta.prototype) as object;
    for (const prop of meta.props) {
      // MikroORM's setters are own accessors of the entity's prototype; nothing else is touched.
      const own = Object.getOwnPropertyDescriptor(meta.prototype, prop.name);
      if (!own?.set) continue;
      Object.defineProperty(prototype, prop.name, {
        value: undefined,
        writable: true,
        configurable: true,
      });
    }
    DETACHED.set(meta.prototype, prototype);
  }
  return prototype;
}
