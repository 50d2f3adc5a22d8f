import { z } from 'zod';
import type {
  PrefectFlowFragment,
  PrefectErrorSummaryFragment,
  PrefectFlowRunFragment,
  PrefectSetStateResultFragment,
  PrefectStateFragment,
  PrefectTaskRunFragment,
  StateInput,
  StateType,
} from '../generated/graphql.js';

/** Pure mappings between Prefect's JSON and Flowplane's GraphQL shapes (no decisions here). */

export const STATE_TYPES = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
] as const;

/** Prefect's `StateCreate`. */
export const stateCreate = z.object({
  type: z.enum(STATE_TYPES),
  name: z.string().nullish(),
  message: z.string().nullish(),
  state_details: z.record(z.string(), z.unknown()).nullish(),
  data: z.unknown().optional(),
  timestamp: z.string().nullish(),
  id: z.string().nullish(),
});
export type PrefectStateCreate = z.infer<typeof stateCreate>;

/** Prefect's `state_details` keys that Flowplane's policy reads under another name. */
const DETAIL_NAMES: Record<string, string> = {
  scheduled_time: 'scheduledTime',
  cache_key: 'cacheKey',
  transition_id: 'transitionId',
  child_flow_run_id: 'childFlowRunId',
};
const DETAIL_NAMES_BACK = Object.fromEntries(Object.entries(DETAIL_NAMES).map(([k, v]) => [v, k]));
/** Run ids in Prefect's details are the run's own; they are not stored twice. */
const DROPPED_DETAILS = new Set(['flow_run_id', 'task_run_id']);

/** A Prefect state as Flowplane's `StateInput` (the result data rides in `details.data`). */
export function toStateInput(state: PrefectStateCreate): StateInput {
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state.state_details ?? {})) {
    if (v === null || v === undefined || DROPPED_DETAILS.has(k)) continue;
    details[DETAIL_NAMES[k] ?? k] = v;
  }
  if (state.type !== 'SCHEDULED') delete details.scheduledTime;
  if (state.data !== undefined && state.data !== null) details.data = state.data;
  return {
    type: state.type as StateType,
    name: state.name ?? undefined,
    message: state.message ?? undefined,
    details,
  };
}

/** Flowplane's state as Prefect's `State`. */
export function toPrefectState(
  s: PrefectStateFragment,
  ids: { flowRunId?: string | null; taskRunId?: string | null },
) {
  const stored = (s.details ?? {}) as Record<string, unknown>;
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stored)) {
    if (k === 'data' || k === 'pauseExpiresAt' || k === 'pauseTimeoutSeconds') continue;
    details[DETAIL_NAMES_BACK[k] ?? k] = v;
  }
  if (typeof stored.pauseExpiresAt === 'string') details.pause_timeout = stored.pauseExpiresAt;
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    timestamp: s.timestamp,
    message: s.message ?? null,
    data: stored.data ?? null,
    state_details: {
      flow_run_id: ids.flowRunId ?? null,
      task_run_id: ids.taskRunId ?? null,
      ...details,
    },
  };
}

/** Prefect's `OrchestrationResult`. */
export function toOrchestrationResult(
  r: PrefectSetStateResultFragment,
  ids: { flowRunId?: string | null; taskRunId?: string | null },
) {
  const details =
    r.status === 'ACCEPT'
      ? { type: 'accept_details' }
      : r.status === 'WAIT'
        ? { type: 'wait_details', delay_seconds: r.delaySeconds ?? 0, reason: r.reason }
        : r.status === 'REJECT'
          ? { type: 'reject_details', reason: r.reason }
          : { type: 'abort_details', reason: r.reason };
  return { status: r.status, state: toPrefectState(r.state, ids), details };
}

export function toPrefectFlow(f: PrefectFlowFragment) {
  return {
    id: f.id,
    created: f.createdAt,
    updated: f.updatedAt,
    name: f.name,
    tags: f.tags,
    labels: f.labels ?? {},
  };
}

const MINUTE_ZERO = 0;

export function toPrefectFlowRun(r: PrefectFlowRunFragment) {
  return {
    id: r.id,
    created: r.createdAt,
    updated: r.updatedAt,
    name: r.name,
    flow_id: r.flow?.id ?? null,
    state_id: r.state.id,
    deployment_id: r.deployment?.id ?? null,
    deployment_version: null,
    work_queue_id: r.workQueue?.id ?? null,
    work_queue_name: r.workQueue?.name ?? null,
    work_pool_id: r.workPool?.id ?? null,
    work_pool_name: r.workPool?.name ?? null,
    flow_version: null,
    parameters: r.parameters ?? {},
    idempotency_key: r.idempotencyKey ?? null,
    context: {},
    empirical_policy: {
      max_retries: 0,
      retry_delay_seconds: 0,
      retries: r.retries,
      retry_delay: r.retryDelaySeconds,
      pause_keys: [],
      resuming: false,
    },
    tags: r.tags,
    labels: r.labels ?? {},
    parent_task_run_id: r.parentTaskRun?.id ?? null,
    state_type: r.state.type,
    state_name: r.state.name,
    run_count: r.runCount,
    expected_start_time: r.expectedStartTime ?? null,
    next_scheduled_start_time: r.nextScheduledStartTime ?? null,
    start_time: r.startTime ?? null,
    end_time: r.endTime ?? null,
    total_run_time: r.totalRunTime,
    estimated_run_time: r.totalRunTime,
    estimated_start_time_delta: MINUTE_ZERO,
    auto_scheduled: r.autoScheduled,
    infrastructure_document_id: null,
    infrastructure_pid: r.infrastructureId ?? null,
    created_by: null,
    job_variables: {},
    state: toPrefectState(r.state, { flowRunId: r.id }),
  };
}

/**
 * Flowplane's extension of Prefect's flow run JSON: why the run failed (`FlowRun.errorSummary`),
 * snake_case like the rest. Prefect's client ignores fields its models do not declare.
 */
export const errorSummaryJson = z
  .object({
    id: z.uuid(),
    flow_run_id: z.uuid(),
    state_id: z.uuid().describe('The FAILED or CRASHED state it explains.'),
    explanation: z.string().describe('One paragraph: what failed, where, and why.'),
    root_cause: z
      .object({
        exception_type: z.string().nullable(),
        message: z.string().nullable(),
        task_name: z.string().nullable(),
        task_run_id: z.uuid().nullable(),
        file: z.string().nullable(),
        line: z.int().nullable(),
        function: z.string().nullable(),
        chain: z.array(z.string()),
        exit_code: z.int().nullable(),
      })
      .describe('The root cause: original exception, failing task, user frame, exit code.'),
    fix_kind: z
      .enum([
        'MISSING_MODULE',
        'OUT_OF_MEMORY',
        'TIMEOUT',
        'CONNECTION_REFUSED',
        'PERMISSION_DENIED',
        'INVALID_PARAMETERS',
        'CANCELLED',
      ])
      .nullable(),
    fix_hint: z.string().nullable().describe('A likely fix, for well-known causes.'),
    engine: z.enum(['BUILT_IN', 'LLM']).describe('Which engine wrote it.'),
    signature: z
      .string()
      .nullable()
      .describe('Groups failures of the same cause (see `Workspace.failureGroups` in GraphQL).'),
    failed: z.iso.datetime({ offset: true }).describe('When the run failed or crashed.'),
    created: z.iso.datetime({ offset: true }).describe('When the summary was written.'),
  })
  .describe(
    'Flowplane extension (not in Prefect’s API): why the flow run failed or crashed, written after the failure from its logs, state message and exit code. Needs see_logs.',
  );

export function toPrefectErrorSummary(
  s: PrefectErrorSummaryFragment,
  flowRunId: string,
): z.infer<typeof errorSummaryJson> {
  const c = s.rootCause;
  return {
    id: s.id,
    flow_run_id: flowRunId,
    state_id: s.stateId,
    explanation: s.explanation,
    root_cause: {
      exception_type: c.exceptionType,
      message: c.message,
      task_name: c.taskName,
      task_run_id: c.taskRunId,
      file: c.file,
      line: c.line,
      function: c.function,
      chain: c.chain,
      exit_code: c.exitCode,
    },
    fix_kind: s.fixKind,
    fix_hint: s.fixHint,
    engine: s.engine,
    signature: s.signature,
    failed: s.failedAt,
    created: s.createdAt,
  };
}

/** A flow run read with its summary: Prefect's flow run plus `error_summary` (null when none or not visible). */
export const flowRunWithSummaryJson = z
  .looseObject({
    id: z.uuid(),
    error_summary: errorSummaryJson
      .nullable()
      .describe(
        'Flowplane extension (not in Prefect’s API): why the run failed or crashed; null when it has none, or when the caller lacks see_logs.',
      ),
  })
  .describe('Prefect’s FlowRun, plus Flowplane’s `error_summary`.');

/** `toPrefectFlowRun` plus `error_summary` (null when the run has none or it was not read). */
export function toPrefectFlowRunWithSummary(
  r: PrefectFlowRunFragment & { errorSummary?: PrefectErrorSummaryFragment | null },
) {
  return {
    ...toPrefectFlowRun(r),
    error_summary: r.errorSummary ? toPrefectErrorSummary(r.errorSummary, r.id) : null,
  };
}

export function toPrefectTaskRun(t: PrefectTaskRunFragment) {
  return {
    id: t.id,
    created: t.createdAt,
    updated: t.updatedAt,
    name: t.name,
    flow_run_id: t.flowRun?.id ?? null,
    task_key: t.taskKey,
    dynamic_key: t.dynamicKey,
    cache_key: t.cacheKey ?? null,
    cache_expiration: null,
    task_version: null,
    empirical_policy: {
      max_retries: 0,
      retry_delay_seconds: 0,
      retries: t.retries,
      retry_delay: t.retryDelaySeconds,
    },
    tags: t.tags,
    labels: {},
    state_id: t.state.id,
    task_inputs: {},
    state_type: t.state.type,
    state_name: t.state.name,
    run_count: t.runCount,
    flow_run_run_count: t.flowRun?.runCount ?? 0,
    expected_start_time: t.expectedStartTime ?? null,
    next_scheduled_start_time: t.nextScheduledStartTime ?? null,
    start_time: t.startTime ?? null,
    end_time: t.endTime ?? null,
    total_run_time: t.totalRunTime,
    estimated_run_time: t.totalRunTime,
    estimated_start_time_delta: 0,
    state: toPrefectState(t.state, { flowRunId: t.flowRun?.id, taskRunId: t.id }),
  };
}

/** Prefect's pagination of `/…/filter` bodies (`limit`, `offset`). */
export const page = {
  limit: z.number().int().min(1).max(200).nullish(),
  offset: z.number().int().min(0).nullish(),
};

/** Prefect's `{any_: [...]}` / `{eq_: …}` filter operands: the values named, if any. */
export const anyOf = z.object({ any_: z.array(z.string()).nullish() }).nullish();
