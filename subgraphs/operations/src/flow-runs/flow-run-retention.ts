import type { Knex } from '@mikro-orm/knex';
import type { BackgroundService } from '../../../../lib/background.js';
import { dbTime, isPostgres, workspacesWithRows } from '../../../../lib/db.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import type { Em } from '../../../../lib/orm.js';
import { TERMINAL } from '../orchestration/state-type.js';
import { backgroundEm } from '../services/background-em.js';
import { DEFAULT_FLOW_RUN_RETENTION_DAYS, FlowRunSettings } from './flow-run-settings.entity.js';
import { deleteLockedRuns } from './flow-run.cleanup.js';

const DAY_MS = 24 * 3600 * 1000;

/** How much one transaction of the purge deletes at most. */
export interface PurgeLimits {
  /** Flow runs. */
  runs: number;
  /**
   * Task runs (each with its states), unless one run alone has more: a run goes whole, so a
   * batch stops short of the run that would pass this.
   */
  taskRuns: number;
}

/**
 * With runs of the usual shape (docs/capacity.md: 3 task runs, 13 states, 10 log lines) a batch
 * is about 5,000 rows, as a batch of the log retention is.
 */
export const FLOW_RUN_PURGE_LIMITS: PurgeLimits = { runs: 200, taskRuns: 2000 };

/**
 * Purges one batch of a workspace's flow runs that are in a terminal state and ended before
 * `cutoff` (the policy sets `end_time` on entering a terminal state and clears it on leaving
 * one), oldest first by the (workspace, end time) index, with everything that hangs off them
 * (`deleteLockedRuns`). One transaction; on PostgreSQL the runs are taken FOR UPDATE SKIP
 * LOCKED, so a run being orchestrated or written to right now is left for a later pass, and
 * instances purging at once split the runs.
 */
async function purgeBatch(
  tx: Em,
  workspaceId: string,
  cutoff: Date,
  limits: PurgeLimits,
): Promise<{ purged: number; more: boolean }> {
  const knex = tx.getKnex();
  const rows = <R extends object>(qb: Knex.QueryBuilder) =>
    tx.getConnection().execute<R[]>(qb, [], 'all', tx.getTransactionContext());
  const select = knex('flow_run as r')
    .select('r.id')
    .where('r.workspace_id', workspaceId)
    .where('r.end_time', '<', dbTime(tx, cutoff))
    .whereIn('r.state_type', [...TERMINAL])
    .orderBy('r.end_time')
    .limit(limits.runs);
  if (isPostgres(tx)) select.forUpdate().skipLocked();
  const found = (await rows<{ id: string }>(select)).map((r) => r.id);
  if (!found.length) return { purged: 0, more: false };

  // A prefix of the runs whose task runs fit the budget (always at least one run).
  const counts = new Map(
    (
      await rows<{ flow_run_id: string; n: string | number }>(
        knex('task_run')
          .select('flow_run_id')
          .count({ n: '*' })
          .whereIn('flow_run_id', found)
          .groupBy('flow_run_id'),
      )
    ).map((r) => [r.flow_run_id, Number(r.n)]),
  );
  const ids: string[] = [];
  let tasks = 0;
  for (const id of found) {
    tasks += counts.get(id) ?? 0;
    if (ids.length && tasks > limits.taskRuns) break;
    ids.push(id);
  }

  await deleteLockedRuns(tx, workspaceId, ids);
  return {
    purged: ids.length,
    more: ids.length < found.length || found.length === limits.runs,
  };
}

/**
 * Purges each workspace's finished flow runs older than its flow-run retention (its setting, 30
 * days by default), a batch per transaction (see `purgeBatch`). Runs, their task runs and their
 * states are most of what the database keeps for good otherwise (docs/capacity.md). Runs on
 * every instance; returns how many flow runs it purged.
 */
export function flowRunRetentionService(
  sub: SubgraphRuntime<any>,
  limits: PurgeLimits = FLOW_RUN_PURGE_LIMITS,
): BackgroundService {
  return {
    name: 'flow-run-retention',
    intervalMs: 10 * 60 * 1000,
    async runOnce(now = new Date()) {
      const em = backgroundEm(sub.orm);
      const days = new Map(
        (await em.fork().find(FlowRunSettings, {})).map((s) => [s.workspaceId, s.retentionDays]),
      );
      let purged = 0;
      for (const workspaceId of await workspacesWithRows(em.fork(), 'flow_run')) {
        const keep = days.get(workspaceId) ?? DEFAULT_FLOW_RUN_RETENTION_DAYS;
        const cutoff = new Date(now.getTime() - keep * DAY_MS);
        for (;;) {
          const batch = await em
            .fork()
            .transactional((tx: Em) => purgeBatch(tx, workspaceId, cutoff, limits));
          purged += batch.purged;
          if (!batch.more) break;
        }
      }
      if (purged) await sub.publish();
      return purged;
    },
  };
}
