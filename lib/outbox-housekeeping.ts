/**
 * What the outbox leaves behind: published rows and consumers' handled marks. Both are written
 * for every domain event (a mark per consumer group), so at a million runs a day they are the
 * largest tables of every subgraph unless they are pruned:
 * - an outbox row is needed until it is published; kept `sentHours` after that (what was
 *   published recently, for an operator looking into a delivery);
 * - a handled mark is what makes a redelivered event a no-op. Events are redelivered within
 *   seconds to minutes (a relay that died between publishing and marking a row sent; a Redis
 *   entry a dead consumer left pending, claimed by another after its idle time), so marks are
 *   kept `handledDays` (7 by default): an event delivered again more than that after it was
 *   first applied would be applied again.
 * Every instance runs it; deleting is idempotent and each batch is its own short transaction.
 */
import { dbTime } from './db.js';
import type { BackgroundService } from './background.js';
import type { Em, Orm } from './orm.js';

/** Rows deleted per transaction. */
export const HOUSEKEEPING_BATCH = 5000;

export interface HousekeepingSettings {
  /** Hours a published outbox row is kept. */
  sentHours: number;
  /** Days a consumer's handled mark is kept. */
  handledDays: number;
}

export const HOUSEKEEPING_DEFAULTS: HousekeepingSettings = { sentHours: 24, handledDays: 7 };

const HOUR_MS = 3600 * 1000;

/** Deletes, a batch per transaction, the rows `select` names by `key`; returns how many. */
async function inBatches(
  orm: Orm,
  table: string,
  key: string[],
  select: (em: Em) => import('@mikro-orm/knex').Knex.QueryBuilder,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await (orm.em.fork({ loggerContext: { label: 'background' } }) as Em).transactional(
      async (tx: Em) => {
        const rows = await tx
          .getConnection()
          .execute<Record<string, unknown>[]>(
            select(tx).limit(HOUSEKEEPING_BATCH),
            [],
            'all',
            tx.getTransactionContext(),
          );
        if (!rows.length) return 0;
        const knex = tx.getKnex();
        const del =
          key.length === 1
            ? knex(table).whereIn(
                key[0]!,
                rows.map((r) => r[key[0]!] as string),
              )
            : knex(table).whereIn(
                key,
                rows.map((r) => key.map((k) => r[k] as string)),
              );
        await tx.getConnection().execute(del.delete(), [], 'run', tx.getTransactionContext());
        return rows.length;
      },
    );
    deleted += n;
    if (n < HOUSEKEEPING_BATCH) return deleted;
  }
}

/** The housekeeping of one subgraph's outbox and handled marks, as a background service. */
export function outboxHousekeeping(
  orm: Orm,
  settings: HousekeepingSettings = HOUSEKEEPING_DEFAULTS,
): BackgroundService {
  return {
    name: 'outbox-housekeeping',
    intervalMs: 5 * 60 * 1000,
    async runOnce(now = new Date()) {
      const sentBefore = new Date(now.getTime() - settings.sentHours * HOUR_MS);
      const handledBefore = new Date(now.getTime() - settings.handledDays * 24 * HOUR_MS);
      // Both by their own index (outbox.sent_at, handled_event.handled_at), oldest first.
      const sent = await inBatches(orm, 'outbox', ['seq'], (em) =>
        em
          .getKnex()('outbox')
          .select('seq')
          .whereNotNull('sent_at')
          .where('sent_at', '<', dbTime(em, sentBefore))
          .orderBy('sent_at'),
      );
      const handled = await inBatches(orm, 'handled_event', ['consumer', 'event_id'], (em) =>
        em
          .getKnex()('handled_event')
          .select('consumer', 'event_id')
          .where('handled_at', '<', dbTime(em, handledBefore))
          .orderBy('handled_at'),
      );
      return sent + handled;
    },
  };
}
