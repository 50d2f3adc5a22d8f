import type { FilterQuery } from '@mikro-orm/core';
import type { Em } from '../../../../lib/orm.js';
import { RunState } from '../orchestration/run-state.entity.js';
import { StateType } from '../orchestration/state-type.js';
import { TaskRun } from '../task-runs/task-run.entity.js';
import { FlowRun } from './flow-run.entity.js';

/** Deletes flow runs with their task runs and the state history of both. */
export async function deleteFlowRuns(em: Em, where: FilterQuery<FlowRun>): Promise<string[]> {
  const runs = await em.find(FlowRun, where, { fields: ['id'] });
  const ids = runs.map((r) => r.id);
  if (!ids.length) return ids;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const tasks = await em.find(TaskRun, { flowRunId: { $in: chunk } }, { fields: ['id'] });
    await em.nativeDelete(RunState, { runId: { $in: [...chunk, ...tasks.map((t) => t.id)] } });
    await em.nativeDelete(TaskRun, { flowRunId: { $in: chunk } });
    await em.nativeDelete(FlowRun, { id: { $in: chunk } });
  }
  for (const r of runs) em.getUnitOfWork().unsetIdentity(r);
  return ids;
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
