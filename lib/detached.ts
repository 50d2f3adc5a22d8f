import { Type, type EntityMetadata, type EntityName } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';

/**
 * Rows as the database answers them (column names, values as the driver reads them) as
 * instances of `entity` outside MikroORM's unit of work, to answer with: no identity map, no
 * change tracking (MikroORM turns the first write of each property of a managed instance into a
 * getter and setter of its own, most of what a page of 100 rows cost). Values are converted as
 * MikroORM's result mapper and hydrator convert them (booleans, dates, custom types such as
 * JSON), in one pass per row; tests/platform/detach-rows compares the two on every entity.
 * Entities of another shape (relations, embeddables, discriminators, composite columns, dates
 * stored as numbers, `forceUndefined`) are refused: none of ours is one.
 */
export function detachRows<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  rows: Record<string, unknown>[],
): T[] {
  const meta = em.getMetadata().find(entity as never)!;
  let reader = READERS.get(meta);
  if (!reader) READERS.set(meta, (reader = buildReader(em, meta)));
  return rows.map(reader) as T[];
}

type Reader = (row: Record<string, unknown>) => object;

const READERS = new WeakMap<object, Reader>();

function buildReader(em: SqlEntityManager, meta: EntityMetadata): Reader {
  const refuse = (why: string) => new Error(`${meta.className} ${why}: not detachable`);
  if (meta.relations.length) throw refuse('has relations');
  if (meta.discriminatorColumn || meta.embeddable) throw refuse('is polymorphic or embeddable');
  if (em.config.get('forceUndefined')) throw refuse('is read with forceUndefined');
  const platform = em.getPlatform();
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
      throw refuse(`has a property ${prop.name} of another shape`);
    let convert: ((v: unknown) => unknown) | null = null;
    if (prop.runtimeType === 'boolean') convert = (v) => !!v;
    else if (prop.runtimeType === 'Date') {
      if (platform.isNumericProperty(prop)) throw refuse(`stores ${prop.name} as a number`);
      convert = toDate;
    }
    const custom = prop.customType;
    // Most custom types (uuid, string, integer, text, datetime) read values as they are.
    if (custom && custom.convertToJSValue !== Type.prototype.convertToJSValue) {
      const before = convert;
      const options = { mode: 'serialization' } as const;
      convert = before
        ? (v) => custom.convertToJSValue(before(v), platform, options)
        : (v) => custom.convertToJSValue(v, platform, options);
    }
    columns.push({ field: prop.fieldNames[0]!, name: prop.name, convert });
  }
  return compileReader(columns, detachedPrototype(meta));
}

/**
 * A constructor that copies the row's columns onto a new instance, one statement per column
 * with names written into the code: each instance is built in one shape (V8 keeps its slots in
 * the object), with no loop over the columns and no call for a value read as it is. A column
 * missing from the row (a projected read) is left unset; null stays null.
 */
function compileReader(
  columns: { field: string; name: string; convert: ((v: unknown) => unknown) | null }[],
  prototype: object,
): Reader {
  const converts = columns.map((c) => c.convert);
  const body = columns
    .map((c, i) => {
      const value = c.convert ? `convert[${i}](v)` : 'v';
      return (
        `v = row[${JSON.stringify(c.field)}]; ` +
        `if (v !== undefined) this[${JSON.stringify(c.name)}] = v === null ? null : ${value};`
      );
    })
    .join('\n');
  // Names and fields come from the entities' metadata (JSON-quoted), never from a request.
  const Detached = new Function('convert', `return function Detached(row) { let v;\n${body}\n};`)(
    converts,
  ) as new (row: Record<string, unknown>) => object;
  Detached.prototype = prototype;
  return (row) => new Detached(row);
}

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
