import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { raw, type EntityName, type FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { badInput } from './errors.js';
import { detachRows } from './detached.js';
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
 * A page is read for answering only: its rows are detached instances (see lib/detached), outside
 * the unit of work. Callers change nothing they list.
 */
export async function paginate<T extends Keyed & object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: { first?: number | null; after?: string | null },
  /**
   * The properties the operation reads of each item (lib/projection; the key and `createdAt`
   * are always read); every property when absent or null. The others are left unset.
   */
  props?: readonly string[] | null,
): Promise<Connection<T>> {
  const first = pageSize(args);
  if (!args.after) {
    // The first page: its rows and the count of the whole list in one statement (the window
    // is counted before the limit applies; no row means an empty list).
    const { rows, total } = await findDetached(em, entity, where, first + 1, true, props);
    return toConnection(rows, first, total);
  }
  const [{ rows }, totalCount] = await Promise.all([
    findDetached(em, entity, afterCursor(where, args.after), first + 1, false, props),
    em.count(entity, where),
  ]);
  return toConnection(rows, first, totalCount);
}

/**
 * Rows of `entity` as detached instances (see lib/detached), oldest first by (createdAt, id), and
 * with `counted` how many match.
 */
async function findDetached<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  limit: number,
  counted: boolean,
  props: readonly string[] | null | undefined,
): Promise<{ rows: T[]; total: number }> {
  // The lists' filters are plain comparisons: one statement of plain SQL, without MikroORM's
  // query building (a fifth of a page's CPU). Other filters go through MikroORM (every
  // column: more than asked is harmless).
  const plain = plainPage(em, entity as EntityName<object>, where, limit, counted, props);
  const data = plain
    ? await boundQuery<Record<string, unknown>[]>(em, plain.sql, plain.params)
    : ((await em
        .createQueryBuilder(entity, 'e')
        .select(counted ? ['e.*', raw('count(*) over () as fp_total')] : ['e.*'])
        .where(where)
        .orderBy({ createdAt: 'asc', id: 'asc' } as never)
        .limit(limit)
        .execute('all', false)) as Record<string, unknown>[]);
  const total = counted && data.length ? Number(data[0]!.fp_total) : 0;
  if (counted) for (const row of data) delete row.fp_total;
  return { rows: detachRows(em, entity, data), total };
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
