/**
 * Plain statements for the hottest writes, outside MikroORM's unit of work.
 *
 * MikroORM 6 builds every statement through its QueryBuilder and knex, tracks every loaded
 * entity, computes change sets at flush and inlines every value into the statement text (so
 * PostgreSQL parses each statement afresh and SQLite's statement cache never hits). On a path
 * that runs thousands of times a second with the same few statements (a run's state transition)
 * that bookkeeping is most of the CPU. Here:
 * - `boundQuery` runs a statement with bound parameters (`?` placeholders) in the entity
 *   manager's transaction, logged and counted like MikroORM's own;
 * - `lockDetached` reads one row (locked on PostgreSQL) as a detached instance (see
 *   lib/detached) and keeps a snapshot of its columns;
 * - `insertStatement`: new instances, one multi-row INSERT per entity (`insertWhereIn`: those
 *   whose key another part of the statement wrote); on PostgreSQL `insertJsonRows` binds the
 *   rows as one JSON document (one text for any number of rows);
 * - `updateStatement` / `updateChanged`: the columns of a detached instance that differ from
 *   its snapshot (or the whole row of a new one, `newPlain`);
 * - `runWrites`: several such writes, as one statement on PostgreSQL; `runLastWrites` for a plain
 *   transaction's last ones, sent with its COMMIT.
 *
 * Values are converted as MikroORM converts them for the two databases: JSON as text, dates as
 * epoch milliseconds on SQLite and timestamptz on PostgreSQL, booleans as 0/1 on SQLite.
 * Entities with relation properties are refused (none of ours has any).
 */
import {
  JsonType,
  type EntityMetadata,
  type EntityName,
  type EntityProperty,
} from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type pg from 'pg';
import { isPostgres } from './db.js';
import { detachRows } from './detached.js';
import { deferStatement } from './pg-pipeline.js';

type Row = Record<string, unknown>;
type Method = 'all' | 'run';

/** A pg client, as knex's PostgreSQL pool hands it out. */
interface PgClient {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<unknown>;
}

/** A knex client: the pool's, or a transaction's (which always hands out its one connection). */
interface KnexClient {
  acquireConnection(): Promise<PgClient>;
  releaseConnection(connection: PgClient): Promise<void>;
}

/** The parts of MikroORM's connection used here (protected in its typings). */
interface RawConnection {
  getKnex(): {
    raw(sql: string, params: unknown[]): PromiseLike<unknown> & { transacting(ctx: unknown): void };
    client: KnexClient;
  };
  executeQuery<T>(sql: string, cb: () => Promise<T>, context: Record<string, unknown>): Promise<T>;
  transformRawResult<T>(res: unknown, method: Method): T;
}

/**
 * `run` through MikroORM's query log (`Connection.executeQuery`) when `em`'s ORM logs statements
 * (the tests' and bench:statements' counters), else by itself: the log's timing, its two record
 * objects and the promise around each statement are read by nobody then (3 % of a transition's
 * CPU). `context` is built only for the log.
 */
function logged<T>(
  em: SqlEntityManager,
  sql: string,
  run: () => Promise<T>,
  context: () => Record<string, unknown>,
): Promise<T> {
  if (!logsStatements(em)) return run();
  return (em.getConnection() as unknown as RawConnection).executeQuery(sql, run, context());
}

const logsStatements = (em: SqlEntityManager) => em.config.getLogger().isEnabled('query');

/**
 * Runs `sql` with `params` bound (`?` placeholders; knex numbers them for PostgreSQL) in the
 * transaction of `em`, if any: the statement text stays the same from call to call, so SQLite's
 * statement cache (lib/orm `cacheStatements`) hits. Logged like MikroORM's statements (the tests' query counters see
 * it with `em`'s label); driver errors converted to MikroORM's exceptions (unique violations …).
 */
export async function boundQuery<T = Row[]>(
  em: SqlEntityManager,
  sql: string,
  params: unknown[],
  method: Method = 'all',
  /** A label for the query log (background work); `em`'s own by default. */
  loggerContext: Record<string, unknown> = em.getLoggerContext(),
): Promise<T> {
  const conn = em.getConnection() as unknown as RawConnection;
  const ctx = em.getTransactionContext() as { client: KnexClient } | undefined;
  const postgres = isPostgres(em);
  // SQLite binds neither dates nor booleans: stored as MikroORM stores them.
  if (!postgres) params = params.map(sqliteValue);
  try {
    return await logged(
      em,
      sql,
      async () => {
        if (postgres)
          return conn.transformRawResult<T>(await pgQuery(conn, ctx, sql, params), method);
        const q = conn.getKnex().raw(sql, params);
        if (ctx) q.transacting(ctx);
        return conn.transformRawResult<T>(await q, method);
      },
      () => ({ query: sql, params, ...loggerContext }),
    );
  } catch (err) {
    throw em.getDriver().convertException(err as Error);
  }
}

/**
 * PostgreSQL: `fn` in a transaction of its own on one pooled connection, without MikroORM's and
 * knex's transaction machinery (a knex transaction with its event emitter and promise chain,
 * BEGIN and COMMIT through knex's query runner, transaction events, the merge into the parent
 * context): 120–135 µs of CPU for BEGIN, a statement and COMMIT, against 260–340 µs through
 * `em.transactional` (same pool, same BEGIN sent with the first statement). For bodies made of
 * plain statements: `fn` gets a fork of `em` (its identity map kept, as `em.transactional`
 * keeps it) whose `boundQuery` statements run on the transaction's connection. Whatever would
 * need the ORM's transaction (a find, a flush with changes, also the one MikroORM does at
 * commit, a nested transaction, a raw knex query) is refused: the transaction rolls back and
 * `PlainTransactionRefused` is thrown, even when `fn` caught the refusal itself. Nothing runs
 * on another connection and nothing persisted is dropped. The transaction rolls back when `fn`
 * throws. SQLite: `em.transactional` (no such cost to save there).
 */
export async function plainTransaction<T>(
  em: SqlEntityManager,
  fn: (em: SqlEntityManager) => Promise<T>,
  /**
   * The log label of its statements, `em`'s own by default. With one the body's entity manager
   * is a fresh fork of `em` (background work: `em` may be the ORM's global one, forked once,
   * here, instead of twice), without `em`'s identity map.
   */
  loggerContext?: Record<string, unknown>,
): Promise<T> {
  if (!isPostgres(em)) return ormTransaction(em, fn, loggerContext);
  const conn = em.getConnection() as unknown as RawConnection;
  const pool = conn.getKnex().client;
  const connection = await pool.acquireConnection();
  const label = loggerContext ?? em.getLoggerContext();
  const run = (sql: string) =>
    logged(
      em,
      sql,
      () => connection.query({ text: sql, values: [] }),
      () => ({ query: sql, params: [], ...label }),
    ).catch((err: Error) => {
      throw em.getDriver().convertException(err);
    });
  const context = new PlainContext(connection);
  // Background work (a label given) starts from nothing; a request's keeps what it loaded.
  const tx = (
    loggerContext
      ? em.fork({ loggerContext, disableContextResolution: true })
      : em.fork({ clear: false, loggerContext: label })
  ) as SqlEntityManager;
  tx.setTransactionContext(context.guarded);
  let open = false;
  try {
    await run('begin');
    open = true;
    const result = await fn(tx);
    // What the body gathered for its end (`gatherForCommit`), in the order it first came.
    for (const gathered of context.gathered.values()) await gathered.flush(tx, gathered.items);
    // What MikroORM would flush at commit: nothing, or the ORM was needed after all (asked
    // only when it holds an entity: its flush of nothing costs more than most statements).
    if (!nothingToFlush(tx)) await tx.flush();
    if (context.refused) throw context.refused;
    open = false;
    try {
      await run('commit');
    } catch (err) {
      // A write sent with the COMMIT (`runLastWrites`) failed: the transaction is aborted, not
      // ended. (After a COMMIT that failed by itself there is nothing to roll back: harmless.)
      await run('rollback').catch(() => undefined);
      throw err;
    }
    return result;
  } catch (err) {
    if (open) await run('rollback').catch(() => undefined);
    throw context.refused ?? err;
  } finally {
    await pool.releaseConnection(connection);
  }
}

/** `fn` in MikroORM's transaction: on a fresh fork of `em` with that log label, when given. */
function ormTransaction<T>(
  em: SqlEntityManager,
  fn: (em: SqlEntityManager) => Promise<T>,
  loggerContext?: Record<string, unknown>,
): Promise<T> {
  const on = loggerContext ? em.fork({ loggerContext, disableContextResolution: true }) : em;
  return on.transactional((tx) => fn(tx as SqlEntityManager));
}

/** Whether MikroORM's unit of work of `em` holds no entity at all: its flush would write nothing. */
function nothingToFlush(em: SqlEntityManager): boolean {
  const uow = em.getUnitOfWork();
  if (uow.getPersistStack().size || uow.getRemoveStack().size || uow.getOrphanRemoveStack().size)
    return false;
  for (const _ of uow.getIdentityMap()) return false;
  return true;
}

/**
 * `fn` in a plain transaction (`plainTransaction`) and, when it turns out to need the ORM's
 * (a rarer branch: a deployment's concurrency slot, a subflow's parent task, …), again from the
 * start in `em.transactional`. The plain attempt's statements are rolled back before the second
 * one starts, so `fn` must only have effects through its transaction until its first ORM call
 * (statements, entities on its entity manager), which is what a transaction body is. How often
 * the second attempt was needed: `plainFallbacks`.
 */
export async function plainFirst<T>(
  em: SqlEntityManager,
  fn: (em: SqlEntityManager) => Promise<T>,
  /** Called when the plain attempt was refused, before the second one. */
  onRefused?: () => void,
  /** The log label of its statements (see `plainTransaction`). */
  loggerContext?: Record<string, unknown>,
): Promise<T> {
  try {
    return await plainTransaction(em, fn, loggerContext);
  } catch (err) {
    if (!(err instanceof PlainTransactionRefused)) throw err;
    plainFallbacks.count++;
    onRefused?.();
    return ormTransaction(em, fn, loggerContext);
  }
}

/** Plain-first transactions that needed the ORM's after all, so far (tests and benches read it). */
export const plainFallbacks = { count: 0 };

/** A plain transaction's body asked for the ORM's transaction (see `plainTransaction`). */
export class PlainTransactionRefused extends Error {
  constructor(what: string) {
    super(
      `a plain transaction runs plain statements only (lib/plain-sql); the ORM asked its ` +
        `transaction for "${what}": run this in em.transactional or plainFirst`,
    );
    this.name = 'PlainTransactionRefused';
  }
}

/** The plain transactions' contexts by the transaction context their entity manager holds. */
const PLAIN_CONTEXTS = new WeakMap<object, PlainContext>();

/** The plain transaction `em` runs in, if any (`plainTransaction` on PostgreSQL). */
function plainContextOf(em: SqlEntityManager): PlainContext | undefined {
  const context = em.getTransactionContext() as object | undefined;
  return context && PLAIN_CONTEXTS.get(context);
}

/** Whether `em` runs in a plain transaction (`plainTransaction` on PostgreSQL). */
export function inPlainTransaction(em: SqlEntityManager): boolean {
  return plainContextOf(em) !== undefined;
}

/** Items gathered under one key of a plain transaction, and what writes them at its end. */
interface Gathered<T> {
  items: T[];
  flush: (em: SqlEntityManager, items: T[]) => Promise<void>;
}

/**
 * Holds `item` for `flush`, which the plain transaction `em` runs in calls once, after its body
 * and before its COMMIT, with every item gathered under `key` in the order they came (one
 * `flush` per key, keys in the order they first came; the first call's `flush` is the one
 * used). For writes that each event of a delivery makes alike (an audit entry, a stored event):
 * the delivery's go as one statement where each event's went as its own, and with the COMMIT
 * when `flush` ends in `runLastWrites`. A `flush` that fails fails the transaction (rolled
 * back, its error thrown). False outside a plain transaction (SQLite, MikroORM's transactions):
 * the caller writes now. Nothing the transaction does after gathering may read what was
 * gathered from the database, since it is not there yet.
 */
export function gatherForCommit<T>(
  em: SqlEntityManager,
  key: object,
  item: T,
  flush: (em: SqlEntityManager, items: T[]) => Promise<void>,
): boolean {
  const context = plainContextOf(em);
  if (!context) return false;
  const gathered = context.gathered.get(key) as Gathered<T> | undefined;
  if (gathered) gathered.items.push(item);
  else context.gathered.set(key, { items: [item], flush } as Gathered<unknown>);
  return true;
}

/**
 * The transaction context of `plainTransaction`: its client hands out the one connection to
 * `boundQuery`; any other use of the context or its client (knex's query builders read
 * `client.transacting`, MikroORM's nested transactions `transaction`, …) is refused and
 * remembered, so that a body catching the error still ends in a rollback.
 */
class PlainContext {
  refused: PlainTransactionRefused | null = null;
  readonly guarded: object;
  /** What `gatherForCommit` holds for the end of the transaction, by key. */
  readonly gathered = new Map<object, Gathered<unknown>>();

  constructor(readonly connection: PgClient) {
    const client: KnexClient = {
      acquireConnection: async () => connection,
      releaseConnection: async () => undefined,
    };
    this.guarded = this.guard({ client: this.guard(client, 'client.') }, '');
    PLAIN_CONTEXTS.set(this.guarded, this);
  }

  private guard<T extends object>(target: T, path: string): T {
    return new Proxy(target, {
      get: (t, prop) => {
        if (prop in t) return t[prop as keyof T];
        // Asking whether it is a promise (an async function returning it) is not a use.
        if (prop === 'then') return undefined;
        const refusal = new PlainTransactionRefused(`${path}${String(prop)}`);
        this.refused ??= refusal;
        throw refusal;
      },
    });
  }
}

/**
 * PostgreSQL: the statement straight to pg on the transaction's connection (or one of the
 * pool's), numbered placeholders and all. knex's raw query would re-scan the text for
 * placeholders twice and build a query object per call: a fifth of the CPU of a large insert.
 */
async function pgQuery(
  conn: RawConnection,
  trx: { client: KnexClient } | undefined,
  sql: string,
  params: unknown[],
): Promise<unknown> {
  const client = trx?.client ?? conn.getKnex().client;
  const connection = await client.acquireConnection();
  try {
    const text = numbered(sql);
    const values = params.map((v) => (v === undefined ? null : v));
    const name = statementName(text);
    return await connection.query(name ? { name, text, values } : { text, values });
  } finally {
    if (!trx) await client.releaseConnection(connection);
  }
}

/**
 * PostgreSQL: the name of the prepared statement a text runs as, or undefined (unnamed). The
 * first MAX_NAMED texts of at most 2,000 characters a process runs get a name for its lifetime:
 * each pooled connection parses and plans such a text once (pg's client remembers what it
 * prepared on each connection and sends only Bind and Execute afterwards), instead of on every
 * call. Plain statements are the hot path's fixed texts (a transition's lock and write, a
 * page, an event's insert, the relay's bookkeeping), so their parsing and planning, on the
 * database's share of the same cores, is paid once per connection. The cap bounds what each
 * server session keeps; texts that vary (multi-row inserts of many sizes) mostly exceed the
 * length and run unnamed, as do texts past the cap.
 */
function statementName(text: string): string | undefined {
  let name = NAMES.get(text);
  if (name === undefined && text.length <= 2000 && NAMES.size < MAX_NAMED) {
    name = `fp_${NAMES.size + 1}`;
    NAMES.set(text, name);
  }
  return name;
}

const MAX_NAMED = 400;
const NAMES = new Map<string, string>();

/** Texts with `?` placeholders as PostgreSQL numbers them (`$1`, `$2` …), the last few kept. */
const NUMBERED = new Map<string, string>();

function numbered(sql: string): string {
  let text = NUMBERED.get(sql);
  if (text !== undefined) return text;
  const parts = sql.split('?');
  text = parts[0]!;
  for (let i = 1; i < parts.length; i++) text += `$${i}${parts[i]}`;
  // Short texts repeat (reads, bookkeeping, one-row writes); long ones (multi-row inserts) rarely.
  if (sql.length <= 2000) {
    if (NUMBERED.size >= 500) NUMBERED.delete(NUMBERED.keys().next().value!);
    NUMBERED.set(sql, text);
  }
  return text;
}

const sqliteValue = (v: unknown) =>
  v instanceof Date ? v.getTime() : typeof v === 'boolean' ? (v ? 1 : 0) : v;

/** One column of an entity: its property, its column name and how its values are stored. */
interface Column {
  prop: string;
  field: string;
  kind: 'json' | 'date' | 'boolean' | 'plain';
  /** Its type on PostgreSQL (`uuid`, `varchar(120)`, `jsonb` …), for typed VALUES lists. */
  sqlType: string;
  /** Left out of reads unless asked for, as MikroORM leaves it (`lazy`: secrets, hashes). */
  lazy: boolean;
}

interface Table {
  meta: EntityMetadata;
  name: string;
  /** Every stored column, the autoincrement key left out (the database numbers it). */
  columns: Column[];
  /** The key rows are read and updated by (null: an autoincrement key; insert only). */
  primaryKey: Column | null;
  /** Properties set to a new value on every update (`onUpdate`). */
  onUpdate: { column: Column; value: () => unknown }[];
  /** The columns by property name. */
  byProp: Map<string, Column>;
  /**
   * The select list of a row read to answer with: every column but the lazy ones (left out as
   * MikroORM leaves them), quoted (some names are reserved words: `user`), over `t`.
   */
  reads: string;
}

const TABLES = new WeakMap<object, Table>();

function kindOf(prop: EntityProperty): Column['kind'] {
  if (prop.customType instanceof JsonType || prop.type === 'json') return 'json';
  const type = String(prop.runtimeType ?? prop.type).toLowerCase();
  if (type === 'date') return 'date';
  if (type === 'boolean') return 'boolean';
  if (['string', 'number'].includes(type)) return 'plain';
  throw new Error(`plain-sql: property ${prop.name} of type ${String(prop.type)} is not supported`);
}

/** The table of an entity read and updated by its one written primary key. */
function keyedTable(
  em: SqlEntityManager,
  entity: EntityName<object>,
): Table & { primaryKey: Column } {
  const table = tableOf(em, entity);
  if (!table.primaryKey)
    throw new Error(`plain-sql: ${table.meta.className} has no single written key`);
  return table as Table & { primaryKey: Column };
}

function tableOf(em: SqlEntityManager, entity: EntityName<object>): Table {
  const meta = em.getMetadata().find(entity as never)!;
  let table = TABLES.get(meta);
  if (table) return table;
  if (meta.relations.length) throw new Error(`plain-sql: ${meta.className} has relations`);
  const columns: Column[] = [];
  const onUpdate: Table['onUpdate'] = [];
  for (const prop of meta.props) {
    if (prop.persist === false || prop.formula) continue;
    if (prop.primary && prop.autoincrement) continue;
    const column = {
      prop: prop.name,
      field: prop.fieldNames[0]!,
      kind: kindOf(prop),
      sqlType: prop.columnTypes[0]!,
      lazy: prop.lazy === true,
    };
    columns.push(column);
    if (prop.onUpdate)
      onUpdate.push({ column, value: () => prop.onUpdate!({} as never, undefined as never) });
  }
  const keys = meta.props.filter((p) => p.primary);
  const primaryKey =
    keys.length === 1 ? (columns.find((c) => c.prop === keys[0]!.name) ?? null) : null;
  table = {
    meta,
    name: meta.tableName,
    columns,
    primaryKey,
    onUpdate,
    byProp: new Map(columns.map((c) => [c.prop, c])),
    reads: columns
      .filter((c) => !c.lazy)
      .map((c) => `t."${c.field}"`)
      .join(', '),
  };
  TABLES.set(meta, table);
  return table;
}

const PROJECTED = new WeakMap<Table, WeakMap<readonly string[], string>>();

/**
 * The select list of `props` only (with the key and `createdAt`, which pages order and cursor
 * by), in the table's column order; lazy columns stay out. Kept per property list (lib/projection
 * hands out the same array for the same operation).
 */
function projectedReads(table: Table, props: readonly string[]): string {
  let lists = PROJECTED.get(table);
  if (!lists) PROJECTED.set(table, (lists = new WeakMap()));
  let list = lists.get(props);
  if (list === undefined) {
    const wanted = new Set(props);
    for (const p of wanted)
      if (!table.byProp.has(p))
        throw new Error(`plain-sql: ${table.meta.className} has no column for ${p}`);
    if (table.primaryKey) wanted.add(table.primaryKey.prop);
    wanted.add('createdAt');
    list = table.columns
      .filter((c) => !c.lazy && wanted.has(c.prop))
      .map((c) => `t."${c.field}"`)
      .join(', ');
    lists.set(props, list);
  }
  return list;
}

/** A property's value as the database stores it (what MikroORM would write). */
function toDb(value: unknown, column: Column, postgres: boolean): unknown {
  if (value == null) return null;
  switch (column.kind) {
    case 'json':
      return JSON.stringify(value);
    case 'date':
      return postgres ? value : (value as Date).getTime();
    case 'boolean':
      return postgres ? value : value ? 1 : 0;
    default:
      return value;
  }
}

/** Column values of detached instances as last read or written. */
const SNAPSHOTS = new WeakMap<object, unknown[]>();

function snapshot(table: Table, instance: Row, postgres: boolean): unknown[] {
  return table.columns.map((c) => snapshotOf(instance, c, postgres));
}

const snapshotOf = (instance: Row, c: Column, postgres: boolean) =>
  comparable(toDb(instance[c.prop], c, postgres));

/** Dates compare by time (a fresh Date of the same instant is no change). */
const comparable = (v: unknown) => (v instanceof Date ? v.getTime() : v);

/**
 * The row of `entity` with primary key `key.id` (inside `key.workspaceId`, when given: lib/db
 * `byIdIn`) as a detached instance, locked for the transaction on PostgreSQL (SQLite serialises
 * writers by itself); null when there is none. Write it back with `updateChanged`.
 *
 * The lock is FOR NO KEY UPDATE, the one PostgreSQL's own UPDATE of non-key columns takes: it
 * excludes other writers of the row as FOR UPDATE does, but not the FOR KEY SHARE that writers
 * of rows hanging off it take (operations' `lockRunForChildren`), so creating a run's task runs
 * does not wait for the run's state changes, nor these for it.
 */
export function lockDetached<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  key: { id: string; workspaceId?: string | null },
  /**
   * Values read along with the row in the same statement, by name: each a scalar subquery over
   * the row (aliased `t`), e.g. a column of the row it refers to. `readAlong` answers them; the
   * rows they read are not locked.
   */
  along?: Record<string, string>,
): Promise<T | null> {
  return detachedRow(em, entity, key, isPostgres(em), along);
}

/** Values read along with a detached row (`lockDetached`'s `along`), by instance. */
const ALONG = new WeakMap<object, Row>();

/**
 * A value `lockDetached` read along with `instance` under `name`: undefined when it was not
 * asked for (the caller reads it itself), null when the subquery found nothing.
 */
export function readAlong(instance: object, name: string): unknown {
  const values = ALONG.get(instance);
  return values && name in values ? values[name] : undefined;
}

/**
 * Records `value` as read along with `instance` under `name`, for a caller that read such values
 * for many rows in one statement of its own (`readAlong` then answers them as if read along).
 */
export function rememberAlong(instance: object, name: string, value: unknown): void {
  const values = ALONG.get(instance);
  if (values) values[name] = value;
  else ALONG.set(instance, { [name]: value });
}

/**
 * `lockDetached` without the lock: a row to read only (a run's deployment and flow when it is
 * created), one plain statement instead of MikroORM's query building, hydration and identity map.
 */
export function readDetached<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  key: { id: string; workspaceId?: string | null },
): Promise<T | null> {
  return detachedRow(em, entity, key, false);
}

/**
 * `readDetached`, with the row of `ref` that the row's `via` column names read in the same
 * statement (a left join on `ref`'s key): a run's deployment and its flow when the run is
 * created, one round trip instead of two. Null when the row is not found; the referred row null
 * when there is none.
 */
export async function readDetachedWithRef<T extends object, R extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  key: { id: string; workspaceId?: string | null },
  ref: EntityName<R>,
  via: keyof T & string,
): Promise<{ row: T; ref: R | null } | null> {
  const table = keyedTable(em, entity as EntityName<object>);
  const other = keyedTable(em, ref as EntityName<object>);
  const link = table.byProp.get(via);
  if (!link) throw new Error(`plain-sql: ${table.meta.className} has no column for ${via}`);
  const { where, params } = keyCondition(table, key);
  const columns = other.columns.map((c, n) => `r.${c.field} as fp_ref_${n}`).join(', ');
  const sql =
    `select t.*, ${columns} from ${table.name} as t left join ${other.name} as r ` +
    `on r.${other.primaryKey.field} = t.${link.field} where ${where} limit 1`;
  const rows = await boundQuery<Row[]>(em, sql, params, 'all');
  if (!rows.length) return null;
  const row = rows[0]!;
  const referred: Row = {};
  other.columns.forEach((c, n) => {
    referred[c.field] = row[`fp_ref_${n}`];
    delete row[`fp_ref_${n}`];
  });
  return {
    row: detached(em, entity, table, row),
    ref: referred[other.primaryKey.field] == null ? null : detached(em, ref, other, referred),
  };
}

async function detachedRow<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  key: { id: string; workspaceId?: string | null },
  lock: boolean,
  along: Record<string, string> = {},
): Promise<T | null> {
  const table = keyedTable(em, entity as EntityName<object>);
  const { where, params } = keyCondition(table, key);
  const names = Object.keys(along);
  const extra = names.map((n) => `, (${along[n]}) as fp_along_${n}`).join('');
  const sql =
    `select t.*${extra} from ${table.name} as t where ${where} limit 1` +
    (lock ? ' for no key update of t' : '');
  const rows = await boundQuery<Row[]>(em, sql, params, 'all');
  if (!rows.length) return null;
  const row = rows[0]!;
  const values: Row = {};
  for (const n of names) {
    values[n] = row[`fp_along_${n}`] ?? null;
    delete row[`fp_along_${n}`];
  }
  const instance = detached(em, entity, table, row);
  if (names.length) ALONG.set(instance, values);
  return instance;
}

/** The condition on a row (aliased `t`) of `key`: its primary key, inside its workspace if given. */
function keyCondition(
  table: Table & { primaryKey: Column },
  key: { id: string; workspaceId?: string | null },
): { where: string; params: unknown[] } {
  if (key.workspaceId == null)
    return { where: `t.${table.primaryKey.field} = ?`, params: [key.id] };
  const workspace = table.byProp.get('workspaceId');
  if (!workspace) throw new Error(`plain-sql: ${table.meta.className} has no workspaceId`);
  return {
    where: `t.${table.primaryKey.field} = ? and t.${workspace.field} = ?`,
    params: [key.id, key.workspaceId],
  };
}

/** A row as read as a detached instance, with the snapshot `updateChanged` compares against. */
function detached<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  table: Table,
  row: Row,
): T {
  const [instance] = detachRows(em, entity, [row]);
  SNAPSHOTS.set(instance!, snapshot(table, instance as Row, isPostgres(em)));
  return instance!;
}

/**
 * Rows of `entity` by primary key as detached instances, to read only (references resolved for
 * other subgraphs, a page's related rows): one plain statement instead of MikroORM's query
 * building, hydration and identity map. Lazy columns are left out, as MikroORM leaves them.
 * `also`: a further condition over the row (aliased `t`), with `?` placeholders and values.
 */
export async function readDetachedMany<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  ids: readonly string[],
  also?: { sql: string; params: unknown[] },
): Promise<T[]> {
  if (!ids.length) return [];
  const chunk = MAX_PARAMS - (also?.params.length ?? 0);
  if (ids.length > chunk) {
    const parts: T[][] = [];
    for (let i = 0; i < ids.length; i += chunk)
      parts.push(await readDetachedMany(em, entity, ids.slice(i, i + chunk), also));
    return parts.flat();
  }
  const table = keyedTable(em, entity as EntityName<object>);
  const rows = await boundQuery<Row[]>(
    em,
    `select ${table.reads} from "${table.name}" as t where t."${table.primaryKey.field}" ` +
      `in (${ids.map(() => '?').join(', ')})${also ? ` and (${also.sql})` : ''}`,
    also ? [...ids, ...also.params] : [...ids],
    'all',
  );
  return detachRows(em, entity, rows);
}

/**
 * Rows of `entity` whose properties have the values of `where` (a value, or a list of which one
 * must match), first by `orderBy` (a property, ascending; the autoincrement key too), at most
 * `limit`, as detached instances to read only (see `readDetachedMany`), their autoincrement key
 * included: for rows that are never changed (stored events) or are only read. An empty list
 * matches nothing.
 */
export async function readDetachedWhere<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  where: Record<string, unknown>,
  order: { orderBy: string; limit: number },
): Promise<T[]> {
  const table = tableOf(em, entity as EntityName<object>);
  const postgres = isPostgres(em);
  const column = (prop: string) => {
    const c = table.byProp.get(prop);
    if (!c) throw new Error(`plain-sql: ${table.meta.className} has no column for ${prop}`);
    return c;
  };
  // An autoincrement key (the event store's `seq`) is read too, and may order the rows.
  const auto = table.meta.props.find((p) => p.primary && p.autoincrement);
  const orderField =
    auto && order.orderBy === auto.name ? auto.fieldNames[0]! : column(order.orderBy).field;
  if (!Number.isInteger(order.limit) || order.limit < 1)
    throw new Error(`plain-sql: limit ${order.limit} is not a positive integer`);
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [prop, value] of Object.entries(where)) {
    const c = column(prop);
    if (Array.isArray(value)) {
      if (!value.length) return [];
      conditions.push(`t."${c.field}" in (${value.map(() => '?').join(', ')})`);
      for (const v of value) params.push(toDb(v, c, postgres));
    } else {
      conditions.push(`t."${c.field}" = ?`);
      params.push(toDb(value, c, postgres));
    }
  }
  const rows = await boundQuery<Row[]>(
    em,
    `select ${auto ? `t."${auto.fieldNames[0]!}", ` : ''}${table.reads} from "${table.name}" as t` +
      (conditions.length ? ` where ${conditions.join(' and ')}` : '') +
      ` order by t."${orderField}" asc limit ${order.limit}`,
    params,
    'all',
  );
  return detachRows(em, entity, rows);
}

/** A statement to run (see `runWrites`); `done` runs once it has. */
export interface Write {
  sql: string;
  params: unknown[];
  done?: () => void;
}

/**
 * Bound parameters per statement at most: SQLite allows 32,766 per statement, PostgreSQL 65,535
 * (runWrites joins statements up to this many).
 */
export const MAX_PARAMS = 16_000;

/**
 * Multi-row INSERTs of new instances of one entity, in order: one, or several when the rows'
 * values are more than `MAX_PARAMS` (none for no instances).
 */
export function insertStatement<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  instances: readonly T[],
  /**
   * `skipExisting`: rows that would break a unique constraint are left out (`on conflict do
   * nothing`; SQLite and PostgreSQL), and the statement returns the `returning` columns of the
   * rows it wrote.
   */
  opts: { skipExisting?: { returning: string[] } } = {},
): Write[] {
  if (!instances.length) return [];
  const table = tableOf(em, entity as EntityName<object>);
  const postgres = isPostgres(em);
  const one = `(${table.columns.map(() => '?').join(', ')})`;
  const head = `insert into ${table.name} (${table.columns.map((c) => c.field).join(', ')}) values `;
  const tail = opts.skipExisting
    ? ` on conflict do nothing returning ${opts.skipExisting.returning.join(', ')}`
    : '';
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / table.columns.length));
  const writes: Write[] = [];
  for (let from = 0; from < instances.length; from += perStatement) {
    const rows = instances.slice(from, from + perStatement);
    writes.push({
      sql: head + rows.map(() => one).join(', ') + tail,
      params: rows.flatMap((i) => table.columns.map((c) => toDb((i as Row)[c.prop], c, postgres))),
    });
  }
  return writes;
}

/**
 * PostgreSQL: the INSERT of those of `instances` whose key is among the rows a data-modifying
 * WITH query of the same statement returned (`source`: its name and the columns `key` is
 * compared with), in the order given. For rows that hang off rows written only if new (the
 * related rows of events not stored before: `insertStatement`'s `skipExisting`). The values
 * travel as a VALUES list typed with the columns' types (`keyTypes` for the key's), so they are
 * bound exactly as in a plain INSERT. Null for no instances; one statement, whatever their
 * number (the caller keeps the parameters within `MAX_PARAMS`).
 */
export function insertWhereIn<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  instances: readonly T[],
  key: (instance: T, index: number) => unknown[],
  source: { name: string; columns: string[]; keyTypes: string[] },
): Write | null {
  if (!instances.length) return null;
  const table = tableOf(em, entity as EntityName<object>);
  const fields = table.columns.map((c) => c.field);
  const keys = source.columns.map((_, i) => `fp_k${i}`);
  const one =
    '(' +
    [
      ...table.columns.map((c) => `?::${unboundedType(c)}`),
      ...source.keyTypes.map((t) => `?::${t}`),
      '?::int',
    ].join(', ') +
    ')';
  const sql =
    `insert into ${table.name} (${fields.join(', ')}) select ${fields.join(', ')} ` +
    `from (values ${instances.map(() => one).join(', ')}) as v(${[...fields, ...keys, 'fp_ord'].join(', ')}) ` +
    `where (${keys.join(', ')}) in (select ${source.columns.join(', ')} from ${source.name}) ` +
    'order by fp_ord';
  const params = instances.flatMap((instance, i) => [
    ...table.columns.map((c) => toDb((instance as Row)[c.prop], c, true)),
    ...key(instance, i),
    i,
  ]);
  return { sql, params };
}

/**
 * PostgreSQL: `insertStatement` (one statement) with the rows bound as one parameter, a JSON
 * array of rows (each an array of its column values), read back with `jsonb_array_elements`:
 * the text is the same whatever the number of rows, so a batch of any size runs the same
 * prepared statement (see `statementName`) instead of a text of its own that the database
 * parses and plans afresh (a hundred events' VALUES list: some 1,500 parameters). One
 * JSON.stringify of the batch replaces a text array per column, which node-postgres built
 * element by element, escaping every quote of every JSON value (a tenth of the CPU of a batch
 * of events). Rows are inserted in the order given; no instances, no rows (the same text).
 * `skipExisting` as in `insertStatement`; `newOnly` as in `insertWhereIn` (only the instances
 * whose key is among the rows another part of the statement returned). `from`: the rows come from
 * that relation of the statement (columns `fp_row`, `fp_ord`: a WITH query over the document of
 * `jsonRowsDocument`, which other parts of the statement read too) instead of a bound document.
 */
export function insertJsonRows<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  instances: readonly T[],
  opts: {
    skipExisting?: { returning: string[] };
    newOnly?: {
      key: (instance: T, index: number) => unknown[];
      source: { name: string; columns: string[]; keyTypes: string[] };
    };
    from?: string;
  } = {},
): Write {
  const table = tableOf(em, entity as EntityName<object>);
  const fields = table.columns.map((c) => c.field);
  const values = table.columns.map((c, n) =>
    c.kind === 'json'
      ? // JSON null (or none) is SQL NULL, as MikroORM writes it.
        `nullif(v.fp_row->${n}, 'null'::jsonb)::${unboundedType(c)}`
      : `(v.fp_row->>${n})::${unboundedType(c)}`,
  );
  const width = table.columns.length;
  let where = '';
  if (opts.newOnly) {
    const { source } = opts.newOnly;
    const keys = source.keyTypes.map((t, k) => `(v.fp_row->>${width + k})::${t}`);
    where = ` where (${keys.join(', ')}) in (select ${source.columns.join(', ')} from ${source.name})`;
  }
  const sql =
    `insert into ${table.name} (${fields.join(', ')}) select ${values.join(', ')} ` +
    `from ${opts.from ? `${opts.from} as v` : JSON_ROWS}${where} ` +
    'order by v.fp_ord' +
    (opts.skipExisting
      ? ` on conflict do nothing returning ${opts.skipExisting.returning.join(', ')}`
      : '');
  return {
    sql,
    params: opts.from ? [] : [jsonRowsDocument(em, entity, instances, opts.newOnly?.key)],
  };
}

/** The rows of a bound `jsonRowsDocument`, in order: `v.fp_row` (a row), `v.fp_ord` (its place). */
export const JSON_ROWS = 'jsonb_array_elements(?::jsonb) with ordinality as v(fp_row, fp_ord)';

/**
 * The document `insertJsonRows` binds: a JSON array of the instances' rows, each an array of its
 * column values (in `jsonRowIndex` order), then the values of `key`, if given.
 */
export function jsonRowsDocument<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  instances: readonly T[],
  key?: (instance: T, index: number) => unknown[],
): string {
  const table = tableOf(em, entity as EntityName<object>);
  const rows = instances.map((instance, i) => {
    const row: unknown[] = table.columns.map((c) => jsonValue((instance as Row)[c.prop], c));
    if (key) for (const k of key(instance, i)) row.push(jsonValue(k, null));
    return row;
  });
  return JSON.stringify(rows);
}

/** Where a property's value is in a row of `jsonRowsDocument` (for `v.fp_row->N` in a statement). */
export function jsonRowIndex(
  em: SqlEntityManager,
  entity: EntityName<object>,
  prop: string,
): number {
  const n = tableOf(em, entity).columns.findIndex((c) => c.prop === prop);
  if (n < 0) throw new Error(`plain-sql: no column for ${prop}`);
  return n;
}

/**
 * A value as it goes into `insertJsonRows`' document: JSON values as they are (nested, not as
 * text), text made well-formed (a lone surrogate becomes U+FFFD, as node-postgres's UTF-8
 * encoding of a bound string makes it; JSON would carry it as an escape the database refuses).
 */
function jsonValue(value: unknown, column: Column | null): unknown {
  if (value == null) return null;
  if (column?.kind === 'json') return value;
  // Node 20 has String.prototype.toWellFormed; TypeScript's es2022 library does not declare it.
  if (typeof value === 'string')
    return (value as string & { toWellFormed(): string }).toWellFormed();
  return column ? toDb(value, column, true) : value;
}

/**
 * A column's type without a length: a too long value then fails the INSERT as in a plain one (a
 * cast to the bounded type would cut it).
 */
function unboundedType(c: Column): string {
  return c.sqlType.replace(/^(varchar|character varying)\(\d+\)$/, '$1');
}

/** How many bound parameters a row of `entity` takes in `insertStatement`. */
export function paramsPerRow(em: SqlEntityManager, entity: EntityName<object>): number {
  return tableOf(em, entity).columns.length;
}

/**
 * An entity instance with a plain row's values (lib/outbox `outboxRow`, event rows), for a path
 * that hands the row to the unit of work (`em.persist`) instead of writing it itself.
 */
export function entityOf<T extends object>(entity: new () => T, row: T): T {
  return Object.assign(new entity(), row);
}

/** Instances from `newPlain` not written yet. */
const UNWRITTEN = new WeakSet<object>();

/**
 * Marks a new instance (`new Entity()`, its fields set) to be written with plain statements:
 * `updateStatement` / `updateChanged` INSERT it the first time, and UPDATE what changed after
 * that. It is never managed by the unit of work.
 */
export function newPlain<T extends object>(instance: T): T {
  UNWRITTEN.add(instance);
  return instance;
}

/**
 * The UPDATE of the columns of a detached instance (from `lockDetached`) that changed since it
 * was read or last written, with the entity's `onUpdate` columns (updatedAt); null when none
 * changed. For an instance from `newPlain` not written yet, its INSERT.
 */
export function updateStatement<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  instance: T,
): Write | null {
  const table = keyedTable(em, entity as EntityName<object>);
  const postgres = isPostgres(em);
  const row = instance as Row;
  const written = () => {
    UNWRITTEN.delete(instance);
    SNAPSHOTS.set(instance, snapshot(table, row, postgres));
  };
  if (UNWRITTEN.has(instance)) {
    const [insert] = insertStatement(em, entity, [instance]);
    return { ...insert!, done: written };
  }
  const before = SNAPSHOTS.get(instance);
  if (!before) throw new Error('plain-sql: an update needs an instance from lockDetached');
  const changed = table.columns.filter((c, i) => snapshotOf(row, c, postgres) !== before[i]);
  if (!changed.length) return null;
  for (const u of table.onUpdate) {
    row[u.column.prop] = u.value();
    if (!changed.includes(u.column)) changed.push(u.column);
  }
  const sql =
    `update ${table.name} set ${changed.map((c) => `${c.field} = ?`).join(', ')} ` +
    `where ${table.primaryKey.field} = ?`;
  const params = [
    ...changed.map((c) => toDb(row[c.prop], c, postgres)),
    toDb(row[table.primaryKey.prop], table.primaryKey, postgres),
  ];
  return { sql, params, done: written };
}

/**
 * Runs writes in order in `em`'s transaction. On PostgreSQL consecutive ones are one statement
 * (each but the last a data-modifying WITH query) while their parameters stay within
 * `MAX_PARAMS`: one round trip instead of one each. They must not depend on each other's
 * effects (a statement's WITH queries all see the same snapshot).
 */
export async function runWrites(
  em: SqlEntityManager,
  writes: readonly (Write | readonly Write[] | null)[],
): Promise<void> {
  const all = writes.flat().filter((w): w is Write => w != null);
  if (!all.length) return;
  if (isPostgres(em)) {
    let group: Write[] = [];
    let params = 0;
    for (const w of all) {
      if (group.length && params + w.params.length > MAX_PARAMS) {
        await joined(em, group);
        group = [];
        params = 0;
      }
      group.push(w);
      params += w.params.length;
    }
    await joined(em, group);
  } else {
    for (const w of all) await boundQuery(em, w.sql, w.params, 'run');
  }
  for (const w of all) w.done?.();
}

/** Writes as one PostgreSQL statement: all but the last as data-modifying WITH queries. */
function joinedStatement(writes: readonly Write[]): { sql: string; params: unknown[] } {
  const last = writes[writes.length - 1]!;
  const sql =
    writes.length === 1
      ? last.sql
      : 'with ' +
        writes
          .slice(0, -1)
          .map((w, i) => `w${i} as (${w.sql})`)
          .join(', ') +
        ` ${last.sql}`;
  return { sql, params: writes.flatMap((w) => w.params) };
}

async function joined(em: SqlEntityManager, writes: readonly Write[]): Promise<void> {
  const { sql, params } = joinedStatement(writes);
  await boundQuery(em, sql, params, 'run');
}

/**
 * `runWrites` for the last writes of a plain transaction (nothing reads their result): on
 * PostgreSQL, as one statement that leaves with the transaction's next statement, its COMMIT
 * (lib/pg-pipeline `deferStatement`): a round trip less per transaction, and the locks it holds
 * released one round trip sooner; when they are the transaction's only statement, that statement
 * alone, without BEGIN and COMMIT. Their error, if any, is the COMMIT's (or the next statement's,
 * when one follows after all): `plainTransaction` then rolls back and throws it, so the body must
 * not expect to catch it itself. Anywhere else (SQLite, MikroORM's transactions, more than one
 * statement's parameters, a connection that has not prepared the statement while its
 * transaction is under way) exactly `runWrites`. Logged and counted like every statement.
 */
export async function runLastWrites(
  em: SqlEntityManager,
  writes: readonly (Write | readonly Write[] | null)[],
): Promise<void> {
  const all = writes.flat().filter((w): w is Write => w != null);
  const context = plainContextOf(em);
  if (!context || !all.length || all.reduce((n, w) => n + w.params.length, 0) > MAX_PARAMS)
    return runWrites(em, writes);
  const { sql, params } = joinedStatement(all);
  const text = numbered(sql);
  const deferred = deferStatement(context.connection as unknown as pg.Client, {
    text,
    values: params.map((v) => (v === undefined ? null : v)),
    name: statementName(text),
  });
  if (!deferred) return runWrites(em, writes);
  // Logged now, as it is handed over (it runs with the next statement).
  if (logsStatements(em))
    await (em.getConnection() as unknown as RawConnection).executeQuery(
      sql,
      async () => undefined,
      { query: sql, params, ...em.getLoggerContext() },
    );
  for (const w of all) w.done?.();
}

/** Writes what changed of a detached instance (see `updateStatement`); nothing if nothing did. */
export async function updateChanged<T extends object>(
  em: SqlEntityManager,
  entity: EntityName<T>,
  instance: T,
): Promise<void> {
  await runWrites(em, [updateStatement(em, entity, instance)]);
}

/**
 * Whether `instance` came from `lockDetached` or `newPlain` (written with plain statements, not
 * at flush).
 */
export function isPlain(instance: object): boolean {
  return SNAPSHOTS.has(instance) || UNWRITTEN.has(instance);
}

/** A condition in SQL over a row aliased `t`, with `?` placeholders and their values. */
export interface Condition {
  sql: string;
  params: unknown[];
}

const COMPARISONS: Record<string, string> = {
  $eq: '=',
  $ne: '<>',
  $gt: '>',
  $gte: '>=',
  $lt: '<',
  $lte: '<=',
};

/**
 * A MikroORM filter over the scalar columns of `entity` as a plain condition: `$and`, `$or`,
 * `$not`, equality (null as IS NULL), `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$in` and `$nin`
 * over non-empty lists of values. The filters of lists are these (a CASL ability's conditions,
 * a workspace, states, a cursor). Anything else (JSON columns, subqueries, other operators, empty
 * lists, undefined values) answers null: the caller builds that statement with MikroORM.
 */
export function plainCondition(
  em: SqlEntityManager,
  entity: EntityName<object>,
  where: unknown,
): Condition | null {
  const params: unknown[] = [];
  const sql = conditionOf(tableOf(em, entity).byProp, where, params);
  return sql === null ? null : { sql, params };
}

const isScalar = (v: unknown) =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'number' ||
  typeof v === 'boolean' ||
  (v instanceof Date && !Number.isNaN(v.getTime()));

function conditionOf(
  columns: Map<string, Column>,
  where: unknown,
  params: unknown[],
): string | null {
  if (where === null || typeof where !== 'object' || Array.isArray(where)) return null;
  if (Object.getPrototypeOf(where) !== Object.prototype) return null;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    let part: string | null;
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || !value.length) return null;
      const each: string[] = [];
      for (const v of value) {
        const c = conditionOf(columns, v, params);
        if (c === null) return null;
        each.push(c);
      }
      part = `(${each.join(key === '$and' ? ' and ' : ' or ')})`;
    } else if (key === '$not') {
      const c = conditionOf(columns, value, params);
      part = c === null ? null : `not ${c}`;
    } else {
      const column = columns.get(key);
      if (!column || column.kind === 'json') return null;
      part = columnCondition(`t."${column.field}"`, value, params);
    }
    if (part === null) return null;
    parts.push(part);
  }
  return parts.length ? `(${parts.join(' and ')})` : '(1 = 1)';
}

function columnCondition(col: string, value: unknown, params: unknown[]): string | null {
  if (isScalar(value)) return comparison(col, '$eq', value, params);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  if (Object.getPrototypeOf(value) !== Object.prototype) return null;
  const parts: string[] = [];
  for (const [op, operand] of Object.entries(value)) {
    let part: string | null = null;
    if (op in COMPARISONS) {
      part = isScalar(operand) ? comparison(col, op, operand, params) : null;
    } else if (op === '$in' || op === '$nin') {
      if (
        Array.isArray(operand) &&
        operand.length &&
        operand.every((v) => v !== null && isScalar(v))
      ) {
        params.push(...operand);
        part = `${col} ${op === '$in' ? 'in' : 'not in'} (${operand.map(() => '?').join(', ')})`;
      }
    }
    if (part === null) return null;
    parts.push(part);
  }
  return parts.length ? parts.join(' and ') : null;
}

function comparison(col: string, op: string, value: unknown, params: unknown[]): string | null {
  if (value === null) {
    if (op === '$eq') return `${col} is null`;
    if (op === '$ne') return `${col} is not null`;
    return null;
  }
  params.push(value);
  return `${col} ${COMPARISONS[op]} ?`;
}

/**
 * A page of `entity` in plain SQL (see `plainCondition`): the rows matching `where`, oldest
 * first by (createdAt, id), at most `limit`, with `counted` the count of all of them as
 * `fp_total` on each row. Null when the filter is not one `plainCondition` writes.
 */
export function plainPage(
  em: SqlEntityManager,
  entity: EntityName<object>,
  where: unknown,
  limit: number,
  counted: boolean,
  /** Only these properties' columns (lib/projection); every column when absent. */
  props?: readonly string[] | null,
): Condition | null {
  const condition = plainCondition(em, entity, where);
  if (!condition) return null;
  const table = tableOf(em, entity);
  const [created, id] = [table.byProp.get('createdAt'), table.byProp.get('id')];
  if (!created || !id) return null;
  return {
    sql:
      `select ${props ? projectedReads(table, props) : table.reads}` +
      `${counted ? ', count(*) over () as fp_total' : ''} ` +
      `from "${table.name}" as t where ${condition.sql} ` +
      `order by t."${created.field}" asc, t."${id.field}" asc limit ?`,
    params: [...condition.params, limit],
  };
}
