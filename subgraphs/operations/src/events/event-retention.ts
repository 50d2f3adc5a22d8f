import type { Knex } from '@mikro-orm/knex';
import { isPostgres } from '../../../../lib/db.js';
import type { BackgroundService } from '../../../../lib/background.js';
import type { Em } from '../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { backgroundEm } from '../services/background-em.js';
import { dbTime } from './event-query.js';
import { DEFAULT_RETENTION_DAYS, EventSettings } from './event-settings.entity.js';

const DAY_MS = 24 * 3600 * 1000;
/** Events deleted per transaction. */
export const PURGE_BATCH = 1000;

/**
 * Deletes events of `scope` that occurred before `cutoff` (and their related-resource rows), a
 * batch per transaction. On PostgreSQL a batch's rows are taken FOR UPDATE SKIP LOCKED, so
 * instances purging at once split the rows; deleting is idempotent, so nothing is counted twice.
 */
async function purge(
  em: Em,
  scope: (qb: Knex.QueryBuilder) => void,
  cutoff: Date,
): Promise<number> {
  let purged = 0;
  for (;;) {
    const n = await em.fork().transactional(async (tx: Em) => {
      const knex = tx.getKnex();
      const select = knex('event as e')
        .select('e.seq', 'e.id', 'e.workspace_id')
        .where('e.occurred', '<', dbTime(tx, cutoff))
        // An incident's events are its timeline: they stay as long as the incident does.
        .whereNot('e.resource_id', 'like', 'flowplane.incident.%')
        .orderBy('e.seq')
        .limit(PURGE_BATCH);
      scope(select);
      if (isPostgres(tx)) select.forUpdate().skipLocked();
      const rows = await tx
        .getConnection()
        .execute<{ seq: number; id: string; workspace_id: string }[]>(
          select,
          [],
          'all',
          tx.getTransactionContext(),
        );
      if (!rows.length) return 0;
      await tx.getConnection().execute(
        knex('event_related')
          .whereIn(
            ['workspace_id', 'event_id'],
            rows.map((r) => [r.workspace_id, r.id]),
          )
          .delete(),
        [],
        'run',
        tx.getTransactionContext(),
      );
      const deleted = await tx.getConnection().execute<{ affectedRows?: number }>(
        knex('event')
          .whereIn(
            'seq',
            rows.map((r) => r.seq),
          )
          .delete(),
        [],
        'run',
        tx.getTransactionContext(),
      );
      return deleted.affectedRows ?? rows.length;
    });
    purged += n;
    if (n < PURGE_BATCH) return purged;
  }
}

/**
 * Purges each workspace's events older than its retention (its setting, 30 days by default).
 * Runs on every instance; see `purge` for why that is safe.
 */
export function eventRetentionService(sub: SubgraphRuntime<any>): BackgroundService {
  return {
    name: 'event-retention',
    intervalMs: 10 * 60 * 1000,
    async runOnce(now = new Date()) {
      const em = backgroundEm(sub.orm);
      const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS);
      let purged = 0;
      for (const s of await em.fork().find(EventSettings, {})) {
        purged += await purge(
          em,
          (qb) => qb.where('e.workspace_id', s.workspaceId),
          cutoff(s.retentionDays),
        );
      }
      purged += await purge(
        em,
        (qb) =>
          qb.whereRaw(
            'not exists (select 1 from event_settings as s where s.workspace_id = e.workspace_id)',
          ),
        cutoff(DEFAULT_RETENTION_DAYS),
      );
      return purged;
    },
  };
}
