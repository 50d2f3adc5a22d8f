import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';
import { isPostgres, isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { boundQuery } from '../../../../lib/plain-sql.js';
import { StateType } from '../orchestration/state-type.js';
import { FlowRun } from './flow-run.entity.js';

/**
 * Announces flow runs deleted with what hangs off them (`{ workspaceId, runIds }`, at most
 * `DELETE_CHUNK` ids), whatever deleted them (the retention, `deleteFlowRun`, a flow's deletion,
 * a schedule's change), to the modules of higher layers that keep rows about runs (error
 * summaries, push submissions and credentials). Not audited: what deleted the runs is (the
 * retention setting, the deletion), as for event and log retention.
 */
export const FLOW_RUN_PURGED = 'flow-run.purged';

/** The payload of `flow-run.purged`. */
export interface PurgedRuns {
  workspaceId?: string;
  runIds?: unknown;
}

/** The run ids of a `flow-run.purged` payload; none when it is malformed. */
export function purgedRunIds(p: PurgedRuns | null): string[] {
  if (!p || !isUuid(p.workspaceId) || !Array.isArray(p.runIds)) return [];
  return p.runIds.filter((id): id is string => typeof id === 'string' && isUuid(id));
}

/** Runs per set of statements and per announcement: a bounded `IN (…)` and payload. */
const DELETE_CHUNK = 500;

/**
 * A run (`FLOW`) or task run (`TASK`) in `workspaceId` (when given), taken FOR KEY SHARE on
 * PostgreSQL until the transaction ends, as a foreign key's check would take it: null when
 * there is none. Writers of what hangs off a run (task runs, artifacts) call it in the
 * transaction that writes, so a deletion (which takes its runs and task runs FOR UPDATE first,
 * see `deleteLockedRuns`) either waits for them and deletes what they wrote, or goes first and
 * they find no run. KEY SHARE does not wait for the set-state requests' lock on the run (FOR NO
 * KEY UPDATE, lib/plain-sql `lockDetached`), only for FOR UPDATE; SQLite serialises writers by
 * itself.
 */
export async function lockRunForChildren(
  em: Em,
  kind: 'FLOW' | 'TASK',
  key: { id: string; workspaceId?: string | null },
): Promise<{ id: string; workspaceId: string; flowRunId: string } | null> {
  const sql =
    (kind === 'FLOW'
      ? 'select id, workspace_id, id as flow_run_id from flow_run where id = ?'
      : 'select id, workspace_id, flow_run_id from task_run where id = ?') +
    (key.workspaceId != null ? ' and workspace_id = ?' : '') +
    (isPostgres(em) ? ' for key share' : '');
  const params = key.workspaceId != null ? [key.id, key.workspaceId] : [key.id];
  const [row] = await boundQuery<{ id: string; workspace_id: string; flow_run_id: string }[]>(
    em,
    sql,
    params,
  );
  return row ? { id: row.id, workspaceId: row.workspace_id, flowRunId: row.flow_run_id } : null;
}

/**
 * Deletes flow runs of `workspaceId` that the caller has locked (FOR UPDATE on PostgreSQL) with
 * everything that hangs off them: task runs, the states of both, logs, artifacts; then announces
 * them (`flow-run.purged`) so that higher layers delete their rows about them. Set-based
 * statements keyed on the runs, in the caller's transaction.
 *
 * Race-safe on PostgreSQL (READ COMMITTED): writers of task runs and artifacts lock the run
 * first (`lockRunForChildren`), and state writers lock the run or task run itself, so once the
 * runs and then their task runs are locked here, every such row written for them has committed
 * and each statement below (a new snapshot) sees it; later writers wait and find no run. Log
 * ingest reads no run (one statement per batch; lines of any run id are stored, as Prefect does):
 * a line that lands after the delete of the logs stays, as a line of an unknown run does, until
 * the log retention.
 *
 * Left as they are: events (their own retention), incident links (an incident's record outlives
 * the runs it names; a missing run reads as null) and a subflow's link to its parent task run
 * (reads as null too, as it would after Prefect's `ON DELETE SET NULL`).
 */
export async function deleteLockedRuns(
  tx: Em,
  workspaceId: string,
  ids: readonly string[],
): Promise<void> {
  if (!ids.length) return;
  const knex = tx.getKnex();
  const run = (qb: Knex.QueryBuilder) =>
    tx.getConnection().execute(qb, [], 'run', tx.getTransactionContext());
  const taskIds = () => knex('task_run').select('id').whereIn('flow_run_id', ids);
  // A task run's state being written now commits before its states are deleted below.
  if (isPostgres(tx))
    await tx
      .getConnection()
      .execute(
        knex.count({ n: '*' }).from(taskIds().forUpdate().as('t')),
        [],
        'all',
        tx.getTransactionContext(),
      );
  await run(knex('run_state').whereIn('run_id', taskIds()).delete());
  await run(knex('artifact').whereIn('task_run_id', taskIds()).delete());
  await run(knex('artifact').whereIn('flow_run_id', ids).delete());
  await run(knex('log').where('workspace_id', workspaceId).whereIn('flow_run_id', ids).delete());
  await run(knex('task_run').whereIn('flow_run_id', ids).delete());
  await run(knex('run_state').whereIn('run_id', ids).delete());
  await run(knex('flow_run').whereIn('id', ids).delete());
  recordEvent(tx, FLOW_RUN_PURGED, { workspaceId, runIds: [...ids] });
}

/**
 * Deletes the flow runs `where` selects with everything that hangs off them (`deleteLockedRuns`),
 * locked first on PostgreSQL (FOR UPDATE, in id order, waiting for writers of each); a run that
 * no longer matches once locked stays. In the caller's transaction; returns the deleted ids.
 */
export async function deleteFlowRuns(em: Em, where: FilterQuery<FlowRun>): Promise<string[]> {
  const runs = await em.find(FlowRun, where, {
    fields: ['id', 'workspaceId'],
    orderBy: { id: 'asc' },
    lockMode: isPostgres(em) ? LockMode.PESSIMISTIC_WRITE : LockMode.NONE,
  });
  const byWorkspace = new Map<string, string[]>();
  for (const r of runs) {
    const ids = byWorkspace.get(r.workspaceId) ?? [];
    ids.push(r.id);
    byWorkspace.set(r.workspaceId, ids);
  }
  for (const [workspaceId, ids] of byWorkspace)
    for (let i = 0; i < ids.length; i += DELETE_CHUNK)
      await deleteLockedRuns(em, workspaceId, ids.slice(i, i + DELETE_CHUNK));
  for (const r of runs) em.getUnitOfWork().unsetIdentity(r);
  return runs.map((r) => r.id);
}

/** Runs a schedule created ahead that have not started: they go when schedules change. */
export function removeFutureScheduledRuns(em: Em, where: { deploymentId: string }) {
  return deleteFlowRuns(em, {
    deploymentId: where.deploymentId,
    autoScheduled: true,
    stateType: StateType.SCHEDULED,
    runCount: 0,
  });
}
