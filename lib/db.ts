import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { randomFillSync } from 'node:crypto';
import { conflict } from './errors.js';

/** A uuid's text (any case). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row (and must not reach a uuid column on PostgreSQL). */
export function isUuid(value: string | null | undefined): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The last time-ordered id's millisecond and its counter within that millisecond. */
let lastMs = 0;
let counter = 0;

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter within the
 * millisecond, 62 random bits. Ids made by one process sort (as text and as PostgreSQL's uuid)
 * in the order they were made, so rows ordered by a timestamp that can tie at the millisecond
 * (states recorded from a client's events) keep their order with `id` as the tie-break.
 */
export function timeOrderedUuid(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    if (++counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  // The random bits from a pool filled 512 ids at a time (a call into the system's generator
  // per id cost more than the rest of making one; randomUUID pools the same way).
  if (poolAt + 8 > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 8;
  const t = ms.toString(16).padStart(12, '0');
  const c = counter.toString(16).padStart(3, '0');
  return (
    `${t.slice(0, 8)}-${t.slice(8)}-7${c}-${HEX[(POOL[r]! & 0x3f) | 0x80]}${HEX[POOL[r + 1]!]}-` +
    `${HEX[POOL[r + 2]!]}${HEX[POOL[r + 3]!]}${HEX[POOL[r + 4]!]}${HEX[POOL[r + 5]!]}` +
    `${HEX[POOL[r + 6]!]}${HEX[POOL[r + 7]!]}`
  );
}

const POOL = Buffer.alloc(8 * 512);
let poolAt = POOL.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The filter of a lookup by id that may be bound to a workspace (the REST layer passes its URL's):
 * `{ id }`, or `{ id, workspaceId }` so the row is found inside that workspace in SQL. `key`
 * names the id column when it is not `id` (a lease's slots by `leaseId`). Null when either is
 * not a UUID (nothing can match: NOT_FOUND).
 */
export function byIdIn<K extends string = 'id'>(
  id: string,
  workspaceId?: string | null,
  key: K = 'id' as K,
): ({ [P in K]: string } & { workspaceId?: string }) | null {
  if (!isUuid(id) || (workspaceId != null && !isUuid(workspaceId))) return null;
  const where = { [key]: id } as { [P in K]: string } & { workspaceId?: string };
  if (workspaceId != null) where.workspaceId = workspaceId;
  return where;
}

/**
 * byIdIn for a row read through the request's DataLoader (reads stay batched): the row when it
 * is in `workspaceId`, or when none is given; null otherwise (NOT_FOUND, before any permission
 * check, so another workspace's id answers as a missing one).
 */
export function withinWorkspace<T extends { workspaceId: string }>(
  row: T | null | undefined,
  workspaceId?: string | null,
): T | null {
  return row && (workspaceId == null || row.workspaceId === workspaceId) ? row : null;
}

/**
 * Find options that lock the loaded row until the transaction ends, on PostgreSQL. SQLite
 * serialises write transactions by itself (and has no row locks).
 */
export function forUpdate(em: EntityManager): { lockMode?: LockMode } {
  return isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {};
}

/** Whether an ORM or entity manager runs on PostgreSQL (the other backend is SQLite). */
export function isPostgres(orm: { config: { get(key: 'driver'): unknown } }): boolean {
  return (orm.config.get('driver') as { name?: string } | undefined)?.name === 'PostgreSqlDriver';
}

/** A Date as `datetime` columns hold it: epoch milliseconds on SQLite, timestamptz on PostgreSQL. */
export function dbTime(orm: { config: { get(key: 'driver'): unknown } }, d: Date): Date | number {
  return isPostgres(orm) ? d : d.getTime();
}

/**
 * Runs a write and turns a unique-constraint race (two requests passing the pre-check at once)
 * into the same CONFLICT the pre-check gives.
 */
export async function conflictOnDuplicate<T>(
  field: string,
  message: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw conflict(field, message);
    throw err;
  }
}

/**
 * The workspaces that have rows in `table`, by a loose scan of its (workspace_id, …) index: one
 * index probe per workspace, however many rows each has (a `select distinct` would read them
 * all). What the retention jobs walk.
 */
export async function workspacesWithRows(
  em: SqlEntityManager,
  table: 'flow_run' | 'log',
): Promise<string[]> {
  const rows = await em.getConnection().execute<{ id: string }[]>(
    `with recursive w(id) as (
       select (select workspace_id from ${table} order by workspace_id limit 1)
       union all
       select (select t.workspace_id from ${table} t where t.workspace_id > w.id
               order by t.workspace_id limit 1)
       from w where w.id is not null)
     select id from w where id is not null`,
  );
  return rows.map((r) => r.id);
}
