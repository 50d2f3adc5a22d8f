/**
 * The events of run state changes (REFERENCE §6, CONTRACT "System events"), stored with
 * `emitEvent` in the transaction of the change they describe (the status changes of
 * deployments, pools and queues are in work-pools/status.ts).
 */
import type { Em } from '../../../../lib/orm.js';
import type { FlowRun } from '../flow-runs/flow-run.entity.js';
import type { RunState } from './run-state.entity.js';
import type { StateType } from './state-type.js';
import type { TaskRun } from '../task-runs/task-run.entity.js';
import { emitEvent, NAME_LABEL, resourceId, SYSTEM_PREFIX } from '../event-store/emit.js';
import type { Event } from '../event-store/event.entity.js';

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
 * `flowplane.flow-run.<State>` / `flowplane.task-run.<State>` for a state the policy stored.
 * `follows` is the run's previous state event, whose id the run row keeps: no query.
 */
export function emitStateEvent(
  em: Em,
  kind: 'FLOW' | 'TASK',
  run: FlowRun | TaskRun,
  initial: { type: StateType; name: string } | null,
  intended: { type: StateType },
  state: RunState,
): Event {
  const what = kind === 'FLOW' ? 'flow-run' : 'task-run';
  const related =
    kind === 'FLOW'
      ? flowRunRelated(run as FlowRun)
      : [{ id: resourceId('flow-run', (run as TaskRun).flowRunId), role: 'flow-run' }];
  const e = emitEvent(em, {
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
  run.lastStateEventId = e.id;
  return e;
}
