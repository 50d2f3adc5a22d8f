/**
 * What hangs off flow runs, counted table by table: the deletion and retention tests compare
 * these counts before and after runs go (`NO_ROWS` once they are gone whole).
 */
import type { Em } from '../../lib/orm.js';
import { Artifact } from '../../subgraphs/operations/src/artifacts/artifact.entity.js';
import { ErrorSummary } from '../../subgraphs/operations/src/error-summaries/error-summary.entity.js';
import { FlowRun } from '../../subgraphs/operations/src/flow-runs/flow-run.entity.js';
import { Log } from '../../subgraphs/operations/src/logs/log.entity.js';
import { RunState } from '../../subgraphs/operations/src/orchestration/run-state.entity.js';
import {
  FlowRunCredential,
  PushSubmission,
} from '../../subgraphs/operations/src/push-pools/push-entities.js';
import { TaskRun } from '../../subgraphs/operations/src/task-runs/task-run.entity.js';
import { uid, type Actor } from '../harness/stack.js';
import { CREATE_TASK, ok, SET_TASK_STATE } from './fixtures.js';

const WRITE_LOGS = `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`;
const CREATE_ARTIFACT = `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id } }`;

/** A flow run and the task runs it ran. */
export interface Run {
  id: string;
  taskIds: string[];
}

/**
 * What a run leaves as it goes: `tasks` task runs (RUNNING, then COMPLETED), a log line from the
 * flow and from each task, an artifact of the run and one of its first task only.
 */
export async function fillRun(
  actor: Actor,
  workspaceId: string,
  runId: string,
  tasks = 2,
): Promise<Run> {
  const taskIds: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const t = (
      await ok(actor, CREATE_TASK, {
        input: { flowRunId: runId, taskKey: `t${i}`, state: { type: 'RUNNING' } },
      })
    ).createTaskRun;
    await ok(actor, SET_TASK_STATE, { input: { taskRunId: t.id, state: { type: 'COMPLETED' } } });
    taskIds.push(t.id);
  }
  const timestamp = new Date().toISOString();
  await ok(actor, WRITE_LOGS, {
    input: {
      workspaceId,
      logs: [
        { flowRunId: runId, level: 20, message: 'flow line', timestamp },
        ...taskIds.map((taskRunId) => ({
          flowRunId: runId,
          taskRunId,
          level: 20,
          message: 'task line',
          timestamp,
        })),
      ],
    },
  });
  await ok(actor, CREATE_ARTIFACT, {
    input: {
      workspaceId,
      type: 'MARKDOWN',
      data: '# Report',
      key: `r-${uid(4)}`,
      flowRunId: runId,
    },
  });
  if (taskIds.length)
    await ok(actor, CREATE_ARTIFACT, {
      input: { workspaceId, type: 'MARKDOWN', data: 'a task’s', taskRunId: taskIds[0] },
    });
  return { id: runId, taskIds };
}

/** Rows of each table that belong to these runs. */
export async function rowsOf(em: Em, runs: Run[]) {
  const ids = runs.map((r) => r.id);
  const taskIds = runs.flatMap((r) => r.taskIds);
  return {
    flowRun: await em.count(FlowRun, { id: { $in: ids } }),
    taskRun: await em.count(TaskRun, { flowRunId: { $in: ids } }),
    runState: await em.count(RunState, { runId: { $in: [...ids, ...taskIds] } }),
    log: await em.count(Log, { flowRunId: { $in: ids } }),
    artifact: await em.count(Artifact, {
      $or: [{ flowRunId: { $in: ids } }, { taskRunId: { $in: taskIds } }],
    }),
    errorSummary: await em.count(ErrorSummary, { flowRunId: { $in: ids } }),
    pushSubmission: await em.count(PushSubmission, { flowRunId: { $in: ids } }),
    flowRunCredential: await em.count(FlowRunCredential, { flowRunId: { $in: ids } }),
  };
}

/** `rowsOf` runs gone with everything that hung off them. */
export const NO_ROWS = {
  flowRun: 0,
  taskRun: 0,
  runState: 0,
  log: 0,
  artifact: 0,
  errorSummary: 0,
  pushSubmission: 0,
  flowRunCredential: 0,
};
