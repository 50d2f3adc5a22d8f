import { randomUUID } from 'node:crypto';
import { LockMode, type EntityName, type FilterQuery } from '@mikro-orm/core';
import { forUpdate, isPostgres } from './db.js';
import type { Em } from './orm.js';

/** A row of a work table that background services claim under a lease. */
export interface Leasable {
  id: string;
  nextAttemptAt: Date;
  leaseUntil?: Date | null;
  leaseToken?: string | null;
}

/**
 * Claims up to `limit` due rows of `entity` (matching `where`, `nextAttemptAt` reached, no live
 * lease) for `leaseMs`, inside the caller's transaction: each gets a fresh `leaseToken`, which
 * the outcome's write must match (`{ id, leaseToken }`), so a claim that lapsed and was taken by
 * another instance cannot be recorded twice. On PostgreSQL rows are read FOR UPDATE SKIP LOCKED:
 * concurrent instances split the due rows and never take one twice; SQLite has one writer.
 * Returns detached copies (safe to use after the transaction).
 */
export async function claimLeased<T extends Leasable>(
  em: Em,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  opts: { now: Date; leaseMs: number; limit: number },
): Promise<T[]> {
  const rows = (await em.find(
    entity,
    {
      $and: [
        where,
        { nextAttemptAt: { $lte: opts.now } },
        { $or: [{ leaseUntil: null }, { leaseUntil: { $lt: opts.now } }] },
      ],
    } as FilterQuery<T>,
    {
      ...(isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
      orderBy: { nextAttemptAt: 'asc', id: 'asc' } as never,
      limit: opts.limit,
    },
  )) as T[];
  for (const r of rows) {
    r.leaseToken = randomUUID();
    r.leaseUntil = new Date(opts.now.getTime() + opts.leaseMs);
  }
  return rows.map((r) => ({ ...r }) as T);
}

/**
 * Ends a claim inside the caller's transaction: the row again, locked, with the attempt counted
 * and the lease given back — or null when the lease lapsed and another instance took the row
 * (its outcome is then that instance's to record).
 */
export async function endLease<T extends Leasable & { attempts: number }>(
  em: Em,
  entity: EntityName<T>,
  claimed: T,
): Promise<T | null> {
  const row = (await em.findOne(
    entity,
    { id: claimed.id, leaseToken: claimed.leaseToken } as FilterQuery<T>,
    forUpdate(em),
  )) as T | null;
  if (!row) return null;
  row.attempts += 1;
  row.leaseToken = null;
  row.leaseUntil = null;
  return row;
}
