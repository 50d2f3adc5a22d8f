import DataLoader from 'dataloader';
import { raw } from '@mikro-orm/core';
import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { ConcurrencyLeaseSlot } from './concurrency-limit.entity.js';

/** Slots in use per limit: unexpired leases only, so expiry frees slots without a sweeper. */
export async function activeSlots(
  em: Em,
  limitIds: readonly string[],
): Promise<Map<string, number>> {
  const ids = limitIds.filter(isUuid);
  if (!ids.length) return new Map();
  const rows = (await em
    .createQueryBuilder(ConcurrencyLeaseSlot, 'l')
    .select(['l.limitId', raw('sum(l.slots) as total')])
    .where({ limitId: { $in: ids }, expiresAt: { $gt: new Date() } })
    .groupBy('l.limitId')
    .execute('all', false)) as { limit_id: string; total: number | string }[];
  return new Map(rows.map((r) => [r.limit_id, Number(r.total)]));
}

/** Per-request loaders of the concurrency-limits domain. */
export function concurrencyLimitLoaders(em: Em) {
  return {
    /** Slots held now per concurrency limit. */
    activeSlotsByLimitId: new DataLoader<string, number>(async (ids) => {
      const used = await activeSlots(em, ids);
      return ids.map((id) => used.get(id) ?? 0);
    }),
  };
}

type ConcurrencyLimitLoaders = ReturnType<typeof concurrencyLimitLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends ConcurrencyLimitLoaders {}
}
