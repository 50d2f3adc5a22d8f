import { z } from 'zod';
import {
  CanSeeLogsDocument,
  CreateFlowRunDocument,
  DeleteFlowRunDocument,
  FilterFlowRunsDocument,
  ReadFlowRunDocument,
  ReadFlowRunErrorSummaryDocument,
  ReadFlowRunStatesDocument,
  SetFlowRunStateDocument,
  UpdateFlowRunDocument,
  type StateType,
} from '../generated/graphql.js';
import {
  anyOf,
  errorSummaryJson,
  flowRunWithSummaryJson,
  page,
  stateCreate,
  toOrchestrationResult,
  toPrefectErrorSummary,
  toPrefectFlowRun,
  toPrefectFlowRunWithSummary,
  toPrefectState,
  toStateInput,
  STATE_TYPES,
} from '../prefect/shapes.js';
import { FLOWPLANE_EXTENSIONS, notFound, route, type Lookup } from '../route.js';
import { paged, windowOf } from './util.js';

const flowRunCreate = z.object({
  flow_id: z.uuid(),
  name: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  context: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
  parent_task_run_id: z.uuid().nullish(),
  idempotency_key: z.string().nullish(),
  state: stateCreate.nullish(),
  empirical_policy: z
    .object({ retries: z.number().int().nullish(), retry_delay: z.number().nullish() })
    .nullish(),
});

const setState = z.object({
  state: stateCreate,
  force: z.boolean().nullish(),
});

const flowRunFilter = z.object({
  ...page,
  flows: z.object({ id: anyOf }).nullish(),
  flow_runs: z
    .object({
      id: z.object({ any_: z.array(z.string()).max(200).nullish() }).nullish(),
      parent_task_run_id: anyOf,
      state: z
        .object({
          type: z.object({ any_: z.array(z.enum(STATE_TYPES)).nullish() }).nullish(),
          name: z.object({ any_: z.array(z.string()).nullish() }).nullish(),
        })
        .nullish(),
      tags: z.object({ all_: z.array(z.string()).nullish() }).nullish(),
    })
    .nullish(),
  deployments: z.object({ id: anyOf }).nullish(),
  work_pools: z
    .object({ name: z.object({ any_: z.array(z.string()).nullish() }).nullish() })
    .nullish(),
});

const flowRunUpdate = z.object({
  name: z.string().nullish(),
  flow_version: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  empirical_policy: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  infrastructure_pid: z.string().nullish(),
  job_variables: z.record(z.string(), z.unknown()).nullish(),
});

/**
 * Whether the caller may read the workspace's logs, so the read asks for `errorSummary` only
 * then: `FlowRun.errorSummary` answers FORBIDDEN (audited) without see_logs, which would fail
 * the whole read. One extra operation per read (answered from the caller's grants).
 */
const seesLogs: Lookup<unknown> = {
  operation: CanSeeLogsDocument,
  variables: ({ workspaceId }) => ({ workspaceId }),
  result: (d: { workspace: { can: boolean } | null }) => d.workspace?.can === true,
};

const single = (values: string[] | null | undefined) =>
  values?.length === 1 ? values[0] : undefined;

export const flowRunRoutes = [
  route('POST', '/flow_runs/', {
    summary: 'Create a flow run',
    tags: ['Flow Runs'],
    operation: CreateFlowRunDocument,
    body: flowRunCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        flowId: body.flow_id,
        workspaceId,
        name: body.name ?? undefined,
        parameters: body.parameters ?? {},
        tags: body.tags ?? [],
        labels: body.labels ?? undefined,
        parentTaskRunId: body.parent_task_run_id ?? undefined,
        idempotencyKey: body.idempotency_key ?? undefined,
        state: body.state ? toStateInput(body.state) : undefined,
        retries: body.empirical_policy?.retries ?? undefined,
        retryDelaySeconds:
          body.empirical_policy?.retry_delay == null
            ? undefined
            : Math.round(body.empirical_policy.retry_delay),
      },
    }),
    fields: { 'input.flowId': 'flow_id', flowId: 'flow_id', parentTaskRunId: 'parent_task_run_id' },
    result: (d) => toPrefectFlowRun(d.createFlowRun),
    status: 201,
  }),
  route('GET', '/flow_runs/{id}', {
    summary: 'Read a flow run',
    description:
      'Prefect’s flow run, plus Flowplane’s `error_summary` (why it failed; null when it has none or the caller lacks see_logs).',
    tags: ['Flow Runs'],
    operation: ReadFlowRunDocument,
    lookup: seesLogs,
    variables: ({ params, workspaceId, found }) => ({
      id: params.id,
      workspaceId,
      withSummary: found === true,
    }),
    response: flowRunWithSummaryJson,
    result: (d) => toPrefectFlowRunWithSummary(d.flowRun ?? notFound('Flow run')),
  }),
  route('GET', '/flow_runs/{id}/error_summary', {
    summary: 'Read why a flow run failed (Flowplane extension)',
    description:
      'Not in Prefect’s API: the error summary of the flow run’s latest failure (`FlowRun.errorSummary` in GraphQL). 404 when the run has none (not failed, not written yet, or summaries are off for the account); 403 without see_logs.',
    tags: ['Flow Runs', FLOWPLANE_EXTENSIONS],
    operation: ReadFlowRunErrorSummaryDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    response: errorSummaryJson,
    result: (d) => {
      const run = d.flowRun ?? notFound('Flow run');
      if (!run.errorSummary) notFound('Error summary');
      return toPrefectErrorSummary(run.errorSummary, run.id);
    },
  }),
  route('POST', '/flow_runs/{id}/set_state', {
    summary: 'Propose a new state for a flow run',
    tags: ['Flow Runs'],
    operation: SetFlowRunStateDocument,
    body: setState,
    variables: ({ params, body, workspaceId }) => ({
      input: {
        flowRunId: params.id,
        workspaceId,
        state: toStateInput(body.state),
        force: body.force ?? false,
      },
    }),
    result: (d, { params }) => toOrchestrationResult(d.setFlowRunState, { flowRunId: params.id }),
    status: 201,
  }),
  route('GET', '/flow_run_states/', {
    summary: 'Read the states of a flow run',
    tags: ['Flow Run States'],
    operation: ReadFlowRunStatesDocument,
    queryParams: ['flow_run_id'],
    variables: ({ query, workspaceId }) => ({ id: query.get('flow_run_id') ?? '', workspaceId }),
    result: (d) =>
      (d.flowRun ?? notFound('Flow run')).states.map((s) =>
        toPrefectState(s, { flowRunId: d.flowRun!.id }),
      ),
  }),
  route('POST', '/flow_runs/filter', {
    summary: 'Read flow runs',
    description:
      'Prefect’s flow runs, each with Flowplane’s `error_summary` (null when it has none or the caller lacks see_logs; read in one batch).',
    tags: ['Flow Runs'],
    operation: FilterFlowRunsDocument,
    lookup: seesLogs,
    body: flowRunFilter,
    response: z.array(flowRunWithSummaryJson),
    variables: ({ body, workspaceId, found }) => ({
      workspaceId,
      withSummary: found === true,
      filter: {
        ids: body.flow_runs?.id?.any_ ?? undefined,
        flowId: single(body.flows?.id?.any_),
        deploymentId: single(body.deployments?.id?.any_),
        parentTaskRunId: single(body.flow_runs?.parent_task_run_id?.any_),
        stateTypes: (body.flow_runs?.state?.type?.any_ ?? undefined) as StateType[] | undefined,
        stateNames: body.flow_runs?.state?.name?.any_ ?? undefined,
        tags: body.flow_runs?.tags?.all_ ?? undefined,
      },
      first: windowOf(body),
    }),
    result: (d, { body }) => {
      const parents = body.flow_runs?.parent_task_run_id?.any_;
      const flows = body.flows?.id?.any_;
      const deployments = body.deployments?.id?.any_;
      const pools = body.work_pools?.name?.any_;
      const runs = (d.workspace?.flowRuns.edges ?? [])
        .map((e) => e.node)
        .filter((r) => !parents || parents.includes(r.parentTaskRun?.id ?? ''))
        .filter((r) => !flows || flows.includes(r.flow?.id ?? ''))
        .filter((r) => !deployments || deployments.includes(r.deployment?.id ?? ''))
        .filter((r) => !pools || pools.includes(r.workPool?.name ?? ''));
      return paged(runs, body).map(toPrefectFlowRunWithSummary);
    },
  }),
  route('PATCH', '/flow_runs/{id}', {
    summary: 'Change a flow run (name, tags, infrastructure pid) as what runs it reports it',
    tags: ['Flow Runs'],
    operation: UpdateFlowRunDocument,
    body: flowRunUpdate,
    variables: ({ body, params, workspaceId }) => ({
      input: {
        id: params.id,
        workspaceId,
        name: body.name ?? undefined,
        tags: body.tags ?? undefined,
        infrastructureId: body.infrastructure_pid ?? undefined,
      },
    }),
    fields: { infrastructureId: 'infrastructure_pid' },
    result: () => null,
    status: 204,
  }),
  route('PATCH', '/flow_runs/{id}/labels', {
    summary: 'Add labels to a flow run (merged into its labels)',
    tags: ['Flow Runs'],
    operation: UpdateFlowRunDocument,
    body: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    variables: ({ body, params, workspaceId }) => ({
      input: { id: params.id, workspaceId, labels: body },
    }),
    fields: { labels: '' },
    result: () => null,
    status: 204,
  }),
  route('DELETE', '/flow_runs/{id}', {
    summary: 'Delete a flow run with its task runs and history',
    tags: ['Flow Runs'],
    operation: DeleteFlowRunDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: () => null,
    status: 204,
  }),
];
