import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import { accessibleFilter, type AppAbility } from './ability.js';
import { isUuid } from './db.js';
import type { Em } from './orm.js';

/** Rows by id, one query per batch; ids that are not uuids (or not found) load as null. */
export function byId<T extends { id: string }>(em: Em, entity: EntityName<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await em.find(entity, { id: { $in: valid } } as never) : [];
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
