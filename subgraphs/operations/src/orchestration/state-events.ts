/**
 * The events of run state changes (REFERENCE §6, CONTRACT "System events"), stored with
 * `emitEvent` in the transaction of the change they describe (the status changes of
 * deployments, pools and queues are in work-pools/status.ts).
 */
import type { FlowRun } from '../flow-runs/flow-run.entity.js';
import type { RunState } from './run-state.entity.js';
import type { StateType } from './state-type.js';
import type { TaskRun } from '../task-runs/task-run.entity.js';
import {
  eventRows,
  NAME_LABEL,
  resourceId,
  SYSTEM_PREFIX,
  type EventRows,
} from '../event-store/emit.js';

type Related = { id: string; role: string; labels?: Record<string, string> };

/** The resources a flow run's events relate to: flow, deployment, pool, queue, tags. */
export function flowRunRelated(run: FlowRun): Related[] {
  const related: Related[] = [{ id: resourceId('flow', run.flowId), role: 'flow' }];
  if (run.deploymentId)
    related.push({ id: resourceId('deployment', run.deploymentId), role: 'deployment' });
  if (run.workPoolId)
    related.push({ id: resourceId('work-pool', run.workPoolId), role: 'work-pool' });
  if (run.workQueueId)
    related.push({ id: resourceId('work-queue', run.workQueueId), role: 'work-queue' });
  return related;
}

const tagsOf = (tags: string[]): Related[] =>
  tags.map((tag) => ({ id: `${SYSTEM_PREFIX}tag.${tag}`, role: 'tag' }));

/**
 * The event of a state the policy stored: `flowplane.flow-run.<State>` /
 * `flowplane.task-run.<State>`, as rows for the policy to write (lib/plain-sql or the unit of
 * work). `follows` is the run's previous state event, whose id the run row keeps: no query.
 */
export function stateEventRows(
  kind: 'FLOW' | 'TASK',
  run: FlowRun | TaskRun,
  initial: { type: StateType; name: string } | null,
  intended: { type: StateType },
  state: RunState,
): EventRows {
  const what = kind === 'FLOW' ? 'flow-run' : 'task-run';
  const related =
    kind === 'FLOW'
      ? flowRunRelated(run as FlowRun)
      : [{ id: resourceId('flow-run', (run as TaskRun).flowRunId), role: 'flow-run' }];
  const rows = eventRows({
    workspaceId: run.workspaceId,
    event: `${SYSTEM_PREFIX}${what}.${state.name}`,
    resource: {
      id: resourceId(what, run.id),
      labels: {
        [NAME_LABEL]: run.name,
        'flowplane.state-type': state.type,
        'flowplane.state-name': state.name,
      },
    },
    related: [...related, ...tagsOf(run.tags)],
    payload: {
      intended: { from: initial?.type ?? null, to: intended.type },
      initialState: initial ? { type: initial.type, name: initial.name } : null,
      validatedState: {
        type: state.type,
        name: state.name,
        message: state.message ?? null,
        timestamp: state.timestamp.toISOString(),
      },
      stateId: state.id,
    },
    occurred: state.timestamp,
    follows: run.lastStateEventId ?? null,
  });
  run.lastStateEventId = rows.event.id;
  return rows;
}
