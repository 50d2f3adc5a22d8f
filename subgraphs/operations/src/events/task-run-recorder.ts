import { isUuid } from '../../../../lib/db.js';
import { badInput } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import {
  boundQuery,
  insertStatement,
  lockDetached,
  newPlain,
  runWrites,
  updateChanged,
} from '../../../../lib/plain-sql.js';
import { lockRunForChildren } from '../flow-runs/flow-run.cleanup.js';
import { orchestrate } from '../orchestration/policy.js';
import { toProposal } from '../orchestration/proposal.js';
import { RunState } from '../orchestration/run-state.entity.js';
import type { StateType } from '../orchestration/state-type.js';
import { TaskRun } from '../task-runs/task-run.entity.js';
import type { EmitSpec } from '../event-store/emit.js';

/**
 * Prefect 3 clients orchestrate task runs themselves and report each state as an event
 * (`prefect.task-run.<State>`, resource `prefect.task-run.<id>`, related `flow-run`, the run and
 * its validated state in the payload), as Prefect's server turns them into task runs. The
 * recorder does the same inside the transaction that stores the event: the task run is created
 * with the client's id on its first event, each state is stored once (the event's id is
 * de-duplicated before this runs), and a state older than the run's current one (events that
 * arrive out of order) joins the history without replacing the current state.
 */
export const TASK_RUN_EVENT_PREFIX = 'prefect.task-run.';

const DETAIL_NAMES: Record<string, string> = {
  scheduled_time: 'scheduledTime',
  cache_key: 'cacheKey',
  transition_id: 'transitionId',
};

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : null);

/** Whether an event is a Prefect task-run state event the recorder handles. */
export function isTaskRunStateEvent(spec: EmitSpec): boolean {
  return (
    spec.event.startsWith(TASK_RUN_EVENT_PREFIX) &&
    spec.resource.id.startsWith(TASK_RUN_EVENT_PREFIX) &&
    obj(spec.payload).validated_state !== undefined
  );
}

/**
 * Applies one task-run state event (the caller has checked that the actor may write task
 * runs in the workspace). Events of a flow run that is not in this workspace are stored as
 * events only.
 */
export async function recordTaskRunEvent(em: Em, spec: EmitSpec, field: string): Promise<void> {
  const id = spec.resource.id.slice(TASK_RUN_EVENT_PREFIX.length);
  if (!isUuid(id)) throw badInput(`${field}.resource.id`, 'A task run id is a UUID');
  const flowRunRef = spec.related?.find((r) => r.role === 'flow-run')?.id ?? '';
  const flowRunId = flowRunRef.startsWith('prefect.flow-run.')
    ? flowRunRef.slice('prefect.flow-run.'.length)
    : '';
  if (!isUuid(flowRunId)) return;
  // Stored (perhaps by an earlier event of the same batch, in this transaction): read locked,
  // with plain statements (lib/plain-sql), as set-state requests do.
  let run = await lockDetached(em, TaskRun, { id });
  if (run && (run.flowRunId !== flowRunId || run.workspaceId !== spec.workspaceId)) return;
  // To create one, its flow run, locked against its deletion (a stored one is locked itself).
  const flowRun = run
    ? null
    : await lockRunForChildren(em, 'FLOW', { id: flowRunId, workspaceId: spec.workspaceId });
  if (!run && !flowRun) return;

  const payload = obj(spec.payload);
  const validated = obj(payload.validated_state);
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj(validated.state_details))) {
    if (v !== null && v !== undefined) details[DETAIL_NAMES[k] ?? k] = v;
  }
  if (validated.type !== 'SCHEDULED') delete details.scheduledTime;
  if (validated.data != null) details.data = validated.data;
  const proposal = toProposal(
    {
      type: String(validated.type) as StateType,
      name: str(validated.name) ?? undefined,
      message: str(validated.message) ?? undefined,
      details,
    },
    `${field}.payload.validated_state`,
  );
  const occurred = spec.occurred ?? new Date();

  if (!run) {
    const t = obj(payload.task_run);
    const policy = obj(t.empirical_policy);
    const retryDelay = Array.isArray(policy.retry_delay)
      ? policy.retry_delay[0]
      : policy.retry_delay;
    const taskKey = (str(t.task_key) ?? 'task').slice(0, 200);
    const dynamicKey = (str(t.dynamic_key) ?? id).slice(0, 200);
    // The same task call under another id (a client that re-created it): keep the first.
    const same = await boundQuery(
      em,
      'select 1 from task_run where flow_run_id = ? and task_key = ? and dynamic_key = ? limit 1',
      [flowRunId, taskKey, dynamicKey],
    );
    if (same.length) return;
    // Inserted by the policy's commit with its first state.
    run = newPlain(
      Object.assign(new TaskRun(), {
        id,
        workspaceId: flowRun!.workspaceId,
        flowRunId,
        taskKey,
        dynamicKey,
        name: (str(t.name) ?? taskKey).slice(0, 200),
        cacheKey: str(t.cache_key)?.slice(0, 500) ?? null,
        tags: Array.isArray(t.tags) ? t.tags.filter((x): x is string => typeof x === 'string') : [],
        retries: Number.isInteger(policy.retries) ? Number(policy.retries) : 0,
        retryDelaySeconds: typeof retryDelay === 'number' ? Math.round(retryDelay) : 0,
        expectedStartTime: occurred,
        stateType: proposal.type,
        stateName: proposal.name,
      }),
    );
  } else if (run.stateId && occurred.getTime() < run.stateTimestamp.getTime()) {
    const late = Object.assign(new RunState(), {
      runId: run.id,
      runKind: 'TASK' as const,
      type: proposal.type,
      name: proposal.name,
      message: proposal.message,
      details: proposal.details,
      timestamp: occurred,
    });
    await runWrites(em, [insertStatement(em, RunState, [late])]);
    return;
  }
  // The client already orchestrated this transition: record it as it happened.
  await orchestrate(em, 'TASK', run, proposal, { force: true, now: occurred });
  // In-process retries go RUNNING → Retrying (RUNNING): the client counts the attempts.
  const attempts = Number(obj(payload.task_run).run_count);
  if (Number.isInteger(attempts) && attempts > run.runCount) {
    run.runCount = attempts;
    await updateChanged(em, TaskRun, run);
  }
}
