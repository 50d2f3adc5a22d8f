import type { BackgroundService } from '../../../../lib/background.js';
import { dbTime, isPostgres, workspacesWithRows } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { backgroundEm } from '../services/background-em.js';
import { DEFAULT_LOG_RETENTION_DAYS, LogSettings } from './log-settings.entity.js';

const DAY_MS = 24 * 3600 * 1000;
/** Lines deleted per transaction: short transactions, so ingest never waits long on a purge. */
export const LOG_PURGE_BATCH = 5000;

/**
 * Deletes one workspace's lines whose timestamp is before `cutoff`, a batch per transaction, in
 * the order of the (workspace, timestamp, seq) index so a batch reads only what it deletes. On
 * PostgreSQL a batch's rows are taken FOR UPDATE SKIP LOCKED, so instances purging at once split
 * the rows; deleting is idempotent.
 */
async function purge(em: Em, workspaceId: string, cutoff: Date): Promise<number> {
  let purged = 0;
  for (;;) {
    const n = await em.fork().transactional(async (tx: Em) => {
      const knex = tx.getKnex();
      const select = knex('log as l')
        .select('l.seq')
        .where('l.workspace_id', workspaceId)
        .where('l.timestamp', '<', dbTime(tx, cutoff))
        .orderBy([
          { column: 'l.timestamp', order: 'asc' },
          { column: 'l.seq', order: 'asc' },
        ])
        .limit(LOG_PURGE_BATCH);
      if (isPostgres(tx)) select.forUpdate().skipLocked();
      const rows = await tx
        .getConnection()
        .execute<{ seq: string | number }[]>(select, [], 'all', tx.getTransactionContext());
      if (!rows.length) return 0;
      const deleted = await tx.getConnection().execute<{ affectedRows?: number }>(
        knex('log')
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
    if (n < LOG_PURGE_BATCH) return purged;
  }
}

/**
 * Purges each workspace's log lines (runs' and workers' own) older than its log retention (its
 * setting, 30 days by default). At a million runs a day with ten lines each, the log table takes
 * ten million rows a day: without this it only grows. Runs on every instance; see `purge`.
 */
export function logRetentionService(sub: SubgraphRuntime<any>): BackgroundService {
  return {
    name: 'log-retention',
    intervalMs: 10 * 60 * 1000,
    async runOnce(now = new Date()) {
      const em = backgroundEm(sub.orm);
      const days = new Map(
        (await em.fork().find(LogSettings, {})).map((s) => [s.workspaceId, s.retentionDays]),
      );
      let purged = 0;
      for (const workspaceId of await workspacesWithRows(em.fork(), 'log')) {
        const keep = days.get(workspaceId) ?? DEFAULT_LOG_RETENTION_DAYS;
        purged += await purge(em, workspaceId, new Date(now.getTime() - keep * DAY_MS));
      }
      return purged;
    },
  };
}
