import { z } from 'zod';
import {
  ClaimDeploymentRunsDocument,
  CreateFlowRunDocument,
  DeleteDeploymentDocument,
  FilterDeploymentsDocument,
  LookupWorkPoolDocument,
  PauseDeploymentDocument,
  ReadDeploymentByNameDocument,
  ReadDeploymentDocument,
  ReadDeploymentSchedulesDocument,
  ReplaceDeploymentSchedulesDocument,
  ResumeDeploymentDocument,
  UpdateDeploymentDocument,
  UpsertDeploymentDocument,
  type CollisionStrategy,
  type DeploymentScheduleInput,
  type PrefectScheduleFragment,
} from '../generated/graphql.js';
import {
  scheduleCreate,
  toPrefectDeployment,
  toPrefectSchedule,
  toScheduleInput,
} from '../prefect/deployments.js';
import { anyOf, page, stateCreate, toPrefectFlowRun, toStateInput } from '../prefect/shapes.js';
import { DEFAULT_QUEUE } from '../prefect/work-pools.js';
import { notFound, route, type Lookup } from '../route.js';
import { paged, windowOf } from './util.js';
import { workerName } from './work-pools.js';

const labels = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const concurrencyOptions = z
  .object({ collision_strategy: z.enum(['ENQUEUE', 'CANCEL_NEW']) })
  .nullish();

const deploymentCreate = z.object({
  name: z.string(),
  flow_id: z.uuid(),
  paused: z.boolean().nullish(),
  schedules: z.array(scheduleCreate).nullish(),
  concurrency_limit: z.number().int().min(0).nullish(),
  concurrency_options: concurrencyOptions,
  enforce_parameter_schema: z.boolean().nullish(),
  parameter_openapi_schema: z.record(z.string(), z.unknown()).nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  labels: labels.nullish(),
  pull_steps: z.array(z.record(z.string(), z.unknown())).nullish(),
  work_queue_name: z.string().nullish(),
  work_pool_name: z.string().nullish(),
  description: z.string().nullish(),
  path: z.string().nullish(),
  version: z.string().nullish(),
  entrypoint: z.string().nullish(),
  job_variables: z.record(z.string(), z.unknown()).nullish(),
});

const deploymentUpdate = deploymentCreate
  .omit({ name: true, flow_id: true, labels: true })
  .extend({ paused: z.boolean().nullish() });

const deploymentFlowRunCreate = z.object({
  name: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  context: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  labels: labels.nullish(),
  idempotency_key: z.string().nullish(),
  parent_task_run_id: z.uuid().nullish(),
  state: stateCreate.nullish(),
  enforce_parameter_schema: z.boolean().nullish(),
  job_variables: z.record(z.string(), z.unknown()).nullish(),
  empirical_policy: z
    .object({ retries: z.number().int().nullish(), retry_delay: z.number().nullish() })
    .nullish(),
});

/** Prefect's deployment body fields → Flowplane input paths (for 422 `loc`). */
const FIELDS = {
  flowId: 'flow_id',
  parameterSchema: 'parameter_openapi_schema',
  jobVariables: 'job_variables',
  pullSteps: 'pull_steps',
  workPoolId: 'work_pool_name',
  workQueueId: 'work_queue_name',
  concurrencyLimit: 'concurrency_limit',
  collisionStrategy: 'concurrency_options.collision_strategy',
};

interface FoundPlacement {
  workPoolId: string;
  workQueueId: string;
}

/** The work pool (and queue) a deployment body names, looked up by name. */
const placementByName: Lookup<{ work_pool_name?: string | null; work_queue_name?: string | null }> =
  {
    operation: LookupWorkPoolDocument,
    variables: ({ body, workspaceId }) =>
      body.work_pool_name ? { workspaceId, name: body.work_pool_name } : null,
    result: (d, { body }): FoundPlacement => {
      const pool = d.workspace?.workPoolByName ?? notFound(`Work pool "${body.work_pool_name}"`);
      const queueName = body.work_queue_name ?? DEFAULT_QUEUE;
      const queue =
        pool.queues.find((q: { name: string }) => q.name === queueName) ??
        notFound(`Work queue "${queueName}"`);
      return { workPoolId: pool.id, workQueueId: queue.id };
    },
  };

function deploymentFields(
  body: z.infer<typeof deploymentUpdate>,
  found: FoundPlacement | undefined,
) {
  return {
    description: body.description,
    version: body.version,
    parameters: body.parameters ?? undefined,
    parameterSchema: body.parameter_openapi_schema,
    workPoolId: found ? found.workPoolId : body.work_pool_name === null ? null : undefined,
    workQueueId: found ? found.workQueueId : undefined,
    jobVariables: body.job_variables ?? undefined,
    schedules: body.schedules ? body.schedules.map(toScheduleInput) : undefined,
    concurrencyLimit: body.concurrency_limit,
    collisionStrategy: (body.concurrency_options?.collision_strategy ?? undefined) as
      CollisionStrategy | undefined,
    tags: body.tags ?? undefined,
    entrypoint: body.entrypoint,
    path: body.path,
    pullSteps: body.pull_steps,
  };
}

/** A stored schedule as an input again (to write the list back with one changed). */
function scheduleInputOf(s: PrefectScheduleFragment): DeploymentScheduleInput {
  return {
    active: s.active,
    cron: s.cron ?? undefined,
    intervalSeconds: s.intervalSeconds ?? undefined,
    anchorDate: s.anchorDate ?? undefined,
    rrule: s.rrule ?? undefined,
    timezone: s.timezone,
  };
}

/** The deployment's schedules (it must be in the URL's workspace). */
const schedulesOf: Lookup<unknown> = {
  operation: ReadDeploymentSchedulesDocument,
  variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
  result: (d) => (d.deployment ?? notFound('Deployment')).schedules,
};

const TAGS = ['Deployments'];

export const deploymentRoutes = [
  route('POST', '/deployments/', {
    summary:
      'Create a deployment, or update the flow’s deployment of this name (as `prefect deploy` and `flow.deploy()` do)',
    tags: TAGS,
    lookup: placementByName,
    operation: UpsertDeploymentDocument,
    body: deploymentCreate,
    variables: ({ body, found, workspaceId }) => ({
      input: {
        flowId: body.flow_id,
        workspaceId,
        name: body.name,
        paused: body.paused ?? undefined,
        ...deploymentFields(body, found),
      },
    }),
    fields: FIELDS,
    result: (d) => toPrefectDeployment(d.upsertDeployment),
    status: 201,
  }),
  route('GET', '/deployments/{id}', {
    summary: 'Read a deployment',
    tags: TAGS,
    operation: ReadDeploymentDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: (d) => toPrefectDeployment(d.deployment ?? notFound('Deployment')),
  }),
  route('GET', '/deployments/name/{flow_name}/{deployment_name}', {
    summary: 'Read a deployment by its flow’s name and its own',
    tags: TAGS,
    operation: ReadDeploymentByNameDocument,
    variables: ({ params, workspaceId }) => ({
      workspaceId,
      flowName: params.flow_name,
      name: params.deployment_name,
    }),
    result: (d) => toPrefectDeployment(d.workspace?.deploymentByName ?? notFound('Deployment')),
  }),
  route('PATCH', '/deployments/{id}', {
    summary: 'Change a deployment',
    tags: TAGS,
    lookup: placementByName,
    operation: UpdateDeploymentDocument,
    body: deploymentUpdate,
    variables: ({ body, found, params, workspaceId }) => ({
      input: { id: params.id, workspaceId, ...deploymentFields(body, found) },
      id: params.id,
      workspaceId,
      pause: body.paused === true,
      resume: body.paused === false,
    }),
    fields: FIELDS,
    result: () => null,
    status: 204,
  }),
  route('DELETE', '/deployments/{id}', {
    summary: 'Delete a deployment and its future scheduled runs',
    tags: TAGS,
    operation: DeleteDeploymentDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: () => null,
    status: 204,
  }),
  route('POST', '/deployments/{id}/pause_deployment', {
    summary: 'Pause a deployment’s schedules',
    tags: TAGS,
    operation: PauseDeploymentDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: () => null,
  }),
  route('POST', '/deployments/{id}/resume_deployment', {
    summary: 'Resume a paused deployment',
    tags: TAGS,
    operation: ResumeDeploymentDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: () => null,
  }),
  route('POST', '/deployments/filter', {
    summary: 'Read deployments',
    tags: TAGS,
    operation: FilterDeploymentsDocument,
    body: z.object({
      ...page,
      flows: z.object({ id: anyOf }).nullish(),
      deployments: z
        .object({
          id: anyOf,
          name: z
            .object({ any_: z.array(z.string()).nullish(), like_: z.string().nullish() })
            .nullish(),
          paused: z.object({ eq_: z.boolean().nullish() }).nullish(),
        })
        .nullish(),
      work_pools: z
        .object({ name: z.object({ any_: z.array(z.string()).nullish() }).nullish() })
        .nullish(),
    }),
    variables: ({ body, workspaceId }) => ({
      workspaceId,
      filter: {
        flowId: body.flows?.id?.any_?.length === 1 ? body.flows.id.any_[0] : undefined,
        paused: body.deployments?.paused?.eq_ ?? undefined,
      },
      first: windowOf(body),
    }),
    result: (d, { body }) => {
      const ids = body.deployments?.id?.any_;
      const names = body.deployments?.name?.any_;
      const like = body.deployments?.name?.like_;
      const flows = body.flows?.id?.any_;
      const pools = body.work_pools?.name?.any_;
      const found = (d.workspace?.deployments.edges ?? [])
        .map((e) => e.node)
        .filter((x) => !ids || ids.includes(x.id))
        .filter((x) => !names || names.includes(x.name))
        .filter((x) => !like || x.name.includes(like))
        .filter((x) => !flows || flows.includes(x.flow?.id ?? ''))
        .filter((x) => !pools || pools.includes(x.workPool?.name ?? ''));
      return paged(found, body).map(toPrefectDeployment);
    },
  }),
  route('POST', '/deployments/{id}/create_flow_run', {
    summary: 'Create a flow run of a deployment',
    tags: TAGS,
    operation: CreateFlowRunDocument,
    body: deploymentFlowRunCreate,
    variables: ({ body, params, workspaceId }) => ({
      input: {
        deploymentId: params.id,
        workspaceId,
        name: body.name ?? undefined,
        parameters: body.parameters ?? undefined,
        tags: body.tags ?? undefined,
        labels: body.labels ?? undefined,
        idempotencyKey: body.idempotency_key ?? undefined,
        parentTaskRunId: body.parent_task_run_id ?? undefined,
        state: body.state ? toStateInput(body.state) : undefined,
        retries: body.empirical_policy?.retries ?? undefined,
        retryDelaySeconds:
          body.empirical_policy?.retry_delay == null
            ? undefined
            : Math.round(body.empirical_policy.retry_delay),
      },
    }),
    fields: { deploymentId: 'id', parentTaskRunId: 'parent_task_run_id' },
    result: (d) => toPrefectFlowRun(d.createFlowRun),
    status: 201,
  }),
  route('POST', '/deployments/get_scheduled_flow_runs', {
    summary:
      'Claim the due runs of deployments served without a work pool (`flow.serve()`); they become PENDING and each goes to one caller',
    tags: TAGS,
    operation: ClaimDeploymentRunsDocument,
    body: z.object({
      deployment_ids: z.array(z.uuid()).min(1).max(100),
      scheduled_before: z.string().nullish(),
      limit: z.number().int().min(1).nullish(),
    }),
    variables: (input) => ({
      input: {
        workspaceId: input.workspaceId,
        deploymentIds: input.body.deployment_ids,
        claimerName: workerName(input, 'prefect-runner'),
        limit: Math.min(100, input.body.limit ?? 10),
      },
    }),
    fields: { deploymentIds: 'deployment_ids' },
    result: (d) => d.claimDeploymentFlowRuns.map(toPrefectFlowRun),
  }),
  route('GET', '/deployments/{id}/schedules', {
    summary: 'Read a deployment’s schedules',
    tags: TAGS,
    operation: ReadDeploymentSchedulesDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: (d) =>
      (d.deployment ?? notFound('Deployment')).schedules.map((s) =>
        toPrefectSchedule(s, d.deployment!.id),
      ),
  }),
  route('POST', '/deployments/{id}/schedules', {
    summary: 'Add schedules to a deployment',
    tags: TAGS,
    lookup: schedulesOf,
    operation: ReplaceDeploymentSchedulesDocument,
    body: z.array(scheduleCreate),
    variables: ({ body, found, params, workspaceId }) => ({
      input: {
        id: params.id,
        workspaceId,
        schedules: [
          ...(found as PrefectScheduleFragment[]).map(scheduleInputOf),
          ...body.map(toScheduleInput),
        ],
      },
    }),
    fields: { schedules: '' },
    // Schedules keep their order: the new ones are the last.
    result: (d, { body }) =>
      d.updateDeployment.schedules
        .slice(-body.length || d.updateDeployment.schedules.length)
        .map((s) => toPrefectSchedule(s, d.updateDeployment.id)),
    status: 201,
  }),
  route('DELETE', '/deployments/{id}/schedules/{schedule_id}', {
    summary: 'Remove a schedule of a deployment',
    tags: TAGS,
    lookup: schedulesOf,
    operation: UpdateDeploymentDocument,
    variables: ({ found, params, workspaceId }) => {
      const all = found as PrefectScheduleFragment[];
      if (!all.some((s) => s.id === params.schedule_id)) notFound('Schedule');
      return {
        input: {
          id: params.id,
          workspaceId,
          schedules: all.filter((s) => s.id !== params.schedule_id).map(scheduleInputOf),
        },
        id: params.id,
        workspaceId,
        pause: false,
        resume: false,
      };
    },
    result: () => null,
    status: 204,
  }),
];
