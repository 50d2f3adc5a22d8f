import { forUpdate } from '../../../../lib/db.js';
import { BACKGROUND_LABEL } from '../../../../lib/outbox.js';
import type { Orm } from '../../../../lib/orm.js';
import type { BackgroundService } from '../../../../lib/background.js';
import { AuditChain, AuditEvent } from './audit-event.entity.js';

/** The workspaces subgraph's default (Account.auditRetentionDays), until its event says more. */
export const DEFAULT_RETENTION_DAYS = 365;
const DAY_MS = 24 * 3600_000;
const BACKGROUND = { loggerContext: { label: BACKGROUND_LABEL } };

/**
 * Deletes one account's entries older than its retention, oldest first and only as a prefix of
 * the chain, and records the anchor (seq and hash of the last deleted entry) that the first
 * remaining entry links to, so verification still passes. Holds the chain lock: appends wait,
 * and a second instance purging at once finds nothing left to do.
 */
export async function purgeAccount(orm: Orm, accountId: string, now = new Date()): Promise<number> {
  return orm.em.fork(BACKGROUND).transactional(async (em) => {
    const chain = await em.findOne(AuditChain, { accountId }, forUpdate(em));
    if (!chain) return 0;
    const cutoff = new Date(
      now.getTime() - (chain.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS,
    );
    const firstKept = await em.findOne(
      AuditEvent,
      { accountId, seq: { $gt: chain.anchorSeq }, occurredAt: { $gte: cutoff } },
      { orderBy: { seq: 'asc' }, fields: ['seq'] },
    );
    const keepFrom = firstKept?.seq ?? chain.headSeq + 1;
    if (keepFrom - 1 <= chain.anchorSeq) return 0;
    const last = await em.findOne(AuditEvent, { accountId, seq: keepFrom - 1 });
    // A gap where the anchor should come from is tampering: keep the evidence.
    if (!last) return 0;
    const deleted = await em.nativeDelete(AuditEvent, { accountId, seq: { $lt: keepFrom } });
    chain.anchorSeq = last.seq;
    chain.anchorHash = last.hash;
    chain.purgedAt = now;
    return deleted;
  });
}

/** Purges every account's log; returns how many entries went. */
export async function purgeExpired(orm: Orm, now = new Date()): Promise<number> {
  const chains = await orm.em
    .fork(BACKGROUND)
    .find(AuditChain, {}, { fields: ['accountId'], orderBy: { accountId: 'asc' } });
  let total = 0;
  for (const c of chains) total += await purgeAccount(orm, c.accountId, now);
  return total;
}

/** Purges on an interval in every instance (the chain lock keeps them from colliding). */
export function auditRetentionService(orm: Orm, intervalMs = 3600_000): BackgroundService {
  return { name: 'audit-retention', intervalMs, runOnce: (now) => purgeExpired(orm, now) };
}
