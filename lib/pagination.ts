import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import {
  raw,
  type EntityMetadata,
  type EntityName,
  type EntityProperty,
  type FilterQuery,
} from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { badInput } from './errors.js';
import { boundQuery, plainPage } from './plain-sql.js';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType({ description: 'Where a page of a connection stands in the whole list.' })
@Directive('@shareable')
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more items follow this page.' })
  hasNextPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last item; pass it as `after`.',
  })
  endCursor?: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    defaultValue: DEFAULT_PAGE_SIZE,
    description: `Page size, at most ${MAX_PAGE_SIZE}.`,
  })
  first: number = DEFAULT_PAGE_SIZE;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor.' })
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
export function connectionType<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { description: `One ${name} in a page, with its cursor.` })
  @Directive('@shareable')
  class EdgeType {
    @Field(() => String, { description: 'Opaque position of this item.' })
    cursor!: string;

    @Field(() => node, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} items (Relay connection).` })
  @Directive('@shareable')
  class ConnectionType {
    @Field(() => [EdgeType], { description: 'The items of this page.' })
    edges!: EdgeType[];

    @Field(() => PageInfo, { description: 'Paging state.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'How many items match, across all pages.' })
    totalCount!: number;
  }
  return ConnectionType;
}

interface Keyed {
  id: string;
  createdAt: Date;
}

function encodeCursor(row: Keyed): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): [Date, string] {
  try {
    const [c, i] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string,
      string,
    ];
    const d = new Date(c);
    if (typeof i !== 'string' || Number.isNaN(d.getTime())) throw new Error('bad cursor');
    return [d, i];
  } catch {
    throw badInput('after', 'Malformed cursor');
  }
}

/** Validates `first` (BAD_USER_INPUT above the cap). */
export function pageSize(args: { first?: number | null }): number {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput('first', `first must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/** `where` narrowed to the rows after the cursor `after` (keyset on createdAt, id). */
function afterCursor<T>(where: FilterQuery<T>, after: string | null | undefined): FilterQuery<T> {
  if (!after) return where;
  const [c, i] = decodeCursor(after);
  return {
    $and: [where, { $or: [{ createdAt: { $gt: c } }, { createdAt: c, id: { $gt: i } }] }],
  } as FilterQuery<T>;
}

/** An edge whose cursor is encoded when read: most pages never ask for their edges' cursors. */
class KeyedEdge<T extends Keyed> implements Edge<T> {
  constructor(readonly node: T) {}
  get cursor(): string {
    return encodeCursor(this.node);
  }
}

/** A connection of the rows of one page (`rows` holds at most one row more than `first`). */
function toConnection<T extends Keyed>(
  rows: T[],
  first: number,
  totalCount: number,
): Connection<T> {
  const page = rows.slice(0, first);
  return {
    edges: page.map((node) => new KeyedEdge(node)),
    pageInfo: {
      hasNextPage: rows.length > first,
      endCursor: page.length ? encodeCursor(page[page.length - 1]!) : null,
    },
    totalCount,
  };
}

/**
 * Keyset pagination over (createdAt, id), oldest first: stable while rows are added, and one
 * query for the page plus one for the count.
 *
 * A page is read for answering only: its rows are detached instances (see `detach`), outside
 * the unit of work. Callers change nothing they list.
 */
export async function paginate<T extends Keyed & object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<T>> {
  const first = pageSize(args);
  const order = { createdAt: 'asc', id: 'asc' } as never;
  if (!args.after) {
    // The first page: its rows and the count of the whole list in one statement (the window
    // is counted before the limit applies; no row means an empty list).
    const { rows, total } = await findDetached(em, entity, where, order, first + 1, true);
    return toConnection(rows, first, total);
  }
  const [{ rows }, totalCount] = await Promise.all([
    findDetached(em, entity, afterCursor(where, args.after), order, first + 1, false),
    em.count(entity, where),
  ]);
  return toConnection(rows, first, totalCount);
}

/** Rows of `entity` as detached instances (see `detach`), and with `counted` how many match. */
async function findDetached<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  orderBy: never,
  limit: number,
  counted: boolean,
): Promise<{ rows: T[]; total: number }> {
  // The lists' filters are plain comparisons: one statement of plain SQL, without MikroORM's
  // query building (a fifth of a page's CPU). Other filters go through MikroORM.
  const plain = plainPage(em, entity as EntityName<object>, where, limit, counted);
  const data = plain
    ? await boundQuery<Record<string, unknown>[]>(em, plain.sql, plain.params)
    : ((await em
        .createQueryBuilder(entity, 'e')
        .select(counted ? ['e.*', raw('count(*) over () as fp_total')] : ['e.*'])
        .where(where)
        .orderBy(orderBy)
        .limit(limit)
        .execute('all', false)) as Record<string, unknown>[]);
  const total = counted && data.length ? Number(data[0]!.fp_total) : 0;
  if (counted) for (const row of data) delete row.fp_total;
  return { rows: detachRows(em, entity, data), total };
}

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

/**
 * The same page of one connection for many parents at once (a nested list such as each run's
 * task runs in a page of runs): the rows of every parent's page in one statement (ranked per
 * parent with a window function, so each parent still reads at most `first + 1` rows) and every
 * parent's count in one more. Answers in the order of `parents`; same cursor and order as
 * {@link paginate}.
 */
export async function paginateMany<T extends Keyed & object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  parentKey: keyof T & string,
  parents: readonly string[],
  where: FilterQuery<T>,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<T>[]> {
  const first = pageSize(args);
  const keys = [...new Set(parents)];
  const meta = em.getMetadata(entity);
  const props = meta.properties as Record<string, { fieldNames: string[] }>;
  const column = (prop: string) => props[prop]!.fieldNames[0]!;
  const [parentCol, createdCol, idCol] = [column(parentKey), column('createdAt'), column('id')];
  const scope = { $and: [where, { [parentKey]: { $in: keys } }] } as FilterQuery<T>;
  const knex = em.getKnex();
  const ranked = em
    .createQueryBuilder(entity, 'p')
    .select([
      'p.*',
      raw(
        `row_number() over (partition by p.${parentCol} order by p.${createdCol}, p.${idCol}) as fp_rank`,
      ),
    ])
    .where(afterCursor(scope, args.after))
    .getKnexQuery();
  const counted = em
    .createQueryBuilder(entity, 'c')
    .select([`c.${parentKey}`, raw('count(*) as fp_count')])
    .where(scope)
    .groupBy(`c.${parentKey}`)
    .getKnexQuery();
  const [rows, counts] = (await Promise.all([
    keys.length
      ? em.getConnection().execute(
          knex
            .select('*')
            .from(ranked.as('ranked'))
            .where('fp_rank', '<=', first + 1)
            .orderBy([parentCol, createdCol, idCol]),
        )
      : [],
    keys.length ? em.getConnection().execute(counted) : [],
  ])) as [Record<string, unknown>[], Record<string, unknown>[]];
  const pages = new Map<string, T[]>();
  for (const row of rows) delete row.fp_rank;
  // Grouped by the parent column as read (the detached rows carry property names).
  const parentsOf = rows.map((row) => String(row[parentCol]));
  const detached = detachRows(em, entity, rows);
  parentsOf.forEach((k, i) => {
    const page = pages.get(k);
    if (page) page.push(detached[i]!);
    else pages.set(k, [detached[i]!]);
  });
  const totals = new Map(counts.map((r) => [String(r[parentCol]), Number(r.fp_count)]));
  return parents.map((p) => toConnection(pages.get(p) ?? [], first, totals.get(p) ?? 0));
}
