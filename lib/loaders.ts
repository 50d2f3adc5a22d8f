import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import { accessibleFilter, type AppAbility } from './ability.js';
import { isUuid } from './db.js';
import type { Em } from './orm.js';
import { readDetachedMany } from './plain-sql.js';

/**
 * A loader of rows by id that also answers synchronously for the ids it has loaded or been
 * primed with (`peek`): a field resolved from a row the request has read already can answer
 * without a promise, so graphql-js completes a list of such objects synchronously.
 */
export class RowLoader<T> extends DataLoader<string, T | null> {
  private readonly known: Map<string, T | null>;
  /** DataLoader's cache, ours to read: what `prime` may still set. */
  private readonly cache: Map<string, Promise<T | null>>;

  constructor(batch: (ids: readonly string[]) => Promise<(T | null)[]>) {
    const known = new Map<string, T | null>();
    const cache = new Map<string, Promise<T | null>>();
    super(
      async (ids) => {
        const rows = await batch(ids);
        ids.forEach((id, i) => known.set(id, rows[i] ?? null));
        return rows;
      },
      { cacheMap: cache },
    );
    this.known = known;
    this.cache = cache;
  }

  /** The row of `id` if this loader has it (null: read and not found), else undefined. */
  peek(id: string): T | null | undefined {
    return this.known.get(id);
  }

  /** As DataLoader's (a value for an id not asked for yet), and what `peek` then answers. */
  override prime(id: string, value: T | null | PromiseLike<T | null> | Error): this {
    if (!this.cache.has(id) && !(value instanceof Error) && !isThenable(value))
      this.known.set(id, value);
    return super.prime(id, value);
  }

  override clear(id: string): this {
    this.known.delete(id);
    return super.clear(id);
  }

  override clearAll(): this {
    this.known.clear();
    return super.clearAll();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Rows by id, one query per batch; ids that are not uuids (or not found) load as null. */
export function byId<T extends { id: string }>(em: Em, entity: EntityName<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await em.find(entity, { id: { $in: valid } } as never) : [];
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * Rows by id as detached instances, to read only (see lib/plain-sql `readDetachedMany`): for
 * references and a page's related rows, never for rows a request changes. `also` narrows the
 * rows further (a condition over the row, aliased `t`).
 */
export function detachedById<T extends { id: string }>(
  em: Em,
  entity: EntityName<T>,
  also?: { sql: string; params: unknown[] },
) {
  return new RowLoader<T>(async (ids) => {
    const rows = await readDetachedMany(em, entity, ids.filter(isUuid), also);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Rows grouped by the value of `key`, in `orderBy` order, one query per batch. */
export function groupedBy<T extends object>(
  em: Em,
  entity: EntityName<T>,
  key: keyof T & string,
  orderBy: Record<string, 'asc' | 'desc'>,
) {
  return new DataLoader<string, T[]>(async (keys) =>
    groupRows(
      keys,
      await em.find(entity, { [key]: { $in: [...keys] } } as never, { orderBy: orderBy as never }),
      key,
    ),
  );
}

/**
 * `groupedBy`, restricted in SQL to the rows `ability` may read as `subject` (one query per
 * batch; none when it may read none).
 */
export function readableGroupedBy<T extends object>(
  em: Em,
  ability: AppAbility,
  subject: string,
  entity: EntityName<T>,
  key: keyof T & string,
  orderBy: Record<string, 'asc' | 'desc'>,
) {
  return new DataLoader<string, T[]>(async (keys) => {
    const filter = accessibleFilter(ability, 'read', subject);
    if (!filter) return keys.map(() => []);
    const rows = await em.find(entity, { $and: [filter, { [key]: { $in: [...keys] } }] } as never, {
      orderBy: orderBy as never,
    });
    return groupRows(keys, rows, key);
  });
}

function groupRows<T extends object>(keys: readonly string[], rows: T[], key: keyof T & string) {
  const map = new Map<string, T[]>();
  for (const r of rows) {
    const k = r[key] as unknown as string;
    map.set(k, [...(map.get(k) ?? []), r]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

/**
 * Pages of a nested connection for many parents at once: one loader per key (the connection and
 * its arguments, e.g. `<first>:<after>`), made on first use, so the pages of all the parents of
 * a list are read together (see `paginateMany`).
 */
export function pagesOf<P>() {
  const loaders = new Map<string, DataLoader<string, P>>();
  return (key: string, load: (parents: readonly string[]) => Promise<P[]>) => {
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader(load);
      loaders.set(key, loader);
    }
    return loader;
  };
}
