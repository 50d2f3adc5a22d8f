import { z } from 'zod';
import {
  ClaimWorkPoolRunsDocument,
  CreateWorkPoolDocument,
  CreateWorkQueueDocument,
  DeleteWorkPoolDocument,
  FilterWorkPoolsDocument,
  LookupWorkPoolDocument,
  ReadWorkersDocument,
  ReadWorkPoolByNameDocument,
  ReadWorkQueueDocument,
  UpdateWorkPoolDocument,
  UpdateWorkQueueDocument,
  WorkerHeartbeatDocument,
} from '../generated/graphql.js';
import { page, toPrefectFlowRun } from '../prefect/shapes.js';
import { toPrefectWorker, toPrefectWorkPool, toPrefectWorkQueue } from '../prefect/work-pools.js';
import { Answer, notFound, route, type Lookup, type RouteInput } from '../route.js';
import { paged, windowOf } from './util.js';

/** Workers name themselves in this header (Prefect sets it from PREFECT__WORKER_NAME). */
export const WORKER_NAME_HEADER = 'x-prefect-worker-name';

/** The worker's name: its header, else a name of its credential's requests. */
export function workerName(input: RouteInput<unknown>, fallback: string): string {
  const h = input.headers[WORKER_NAME_HEADER];
  const name = Array.isArray(h) ? h[0] : h;
  return name?.trim() ? name.trim().slice(0, 200) : fallback;
}

interface FoundPool {
  id: string;
  name: string;
  queues: { id: string; name: string }[];
}

/** The pool the URL names (`{name}` or `{pool}`), looked up by name: 404 when absent. */
const poolByName = (param: string): Lookup<any> => ({
  operation: LookupWorkPoolDocument,
  variables: ({ params, workspaceId }) => ({ workspaceId, name: params[param] }),
  result: (d) => (d.workspace?.workPoolByName as FoundPool | null) ?? notFound('Work pool'),
});

const workPoolCreate = z.object({
  name: z.string(),
  description: z.string().nullish(),
  type: z.string().nullish(),
  base_job_template: z.record(z.string(), z.unknown()).nullish(),
  is_paused: z.boolean().nullish(),
  concurrency_limit: z.number().int().min(0).nullish(),
  storage_configuration: z.record(z.string(), z.unknown()).nullish(),
});

const workPoolUpdate = z.object({
  description: z.string().nullish(),
  is_paused: z.boolean().nullish(),
  base_job_template: z.record(z.string(), z.unknown()).nullish(),
  concurrency_limit: z.number().int().min(0).nullish(),
  storage_configuration: z.record(z.string(), z.unknown()).nullish(),
});

const workQueueCreate = z.object({
  name: z.string(),
  description: z.string().nullish(),
  is_paused: z.boolean().nullish(),
  concurrency_limit: z.number().int().min(0).nullish(),
  priority: z.number().int().min(1).nullish(),
});

const workQueueUpdate = z.object({
  name: z.string().nullish(),
  description: z.string().nullish(),
  is_paused: z.boolean().nullish(),
  concurrency_limit: z.number().int().min(0).nullish(),
  priority: z.number().int().min(1).nullish(),
});

const scheduledRuns = z.object({
  work_queue_names: z.array(z.string()).nullish(),
  scheduled_before: z.string().nullish(),
  scheduled_after: z.string().nullish(),
  limit: z.number().int().min(1).nullish(),
});

const heartbeat = z.object({
  name: z.string(),
  heartbeat_interval_seconds: z.number().int().nullish(),
  return_id: z.boolean().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

const TAGS = ['Work Pools'];

export const workPoolRoutes = [
  route('GET', '/collections/work_pool_types', {
    summary:
      'The worker types this server knows templates for: none (clients use their installed workers’ templates)',
    tags: TAGS,
    result: () => ({}),
  }),
  route('POST', '/work_pools/', {
    summary: 'Create a work pool (with its default queue)',
    tags: TAGS,
    operation: CreateWorkPoolDocument,
    body: workPoolCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        name: body.name,
        type: body.type ?? 'process',
        description: body.description ?? undefined,
        baseJobTemplate: body.base_job_template ?? undefined,
        concurrencyLimit: body.concurrency_limit ?? undefined,
        paused: body.is_paused ?? undefined,
      },
    }),
    fields: { baseJobTemplate: 'base_job_template', paused: 'is_paused' },
    result: (d) => toPrefectWorkPool(d.createWorkPool),
    status: 201,
  }),
  route('GET', '/work_pools/{name}', {
    summary: 'Read a work pool by name',
    tags: TAGS,
    operation: ReadWorkPoolByNameDocument,
    variables: ({ params, workspaceId }) => ({ workspaceId, name: params.name }),
    result: (d) => toPrefectWorkPool(d.workspace?.workPoolByName ?? notFound('Work pool')),
  }),
  route('PATCH', '/work_pools/{name}', {
    summary: 'Change a work pool (description, template, limit, paused)',
    tags: TAGS,
    lookup: poolByName('name'),
    operation: UpdateWorkPoolDocument,
    body: workPoolUpdate,
    variables: ({ body, found }) => ({
      input: {
        id: found.id,
        description: body.description,
        baseJobTemplate: body.base_job_template ?? undefined,
        concurrencyLimit: body.concurrency_limit,
      },
      id: found.id,
      pause: body.is_paused === true,
      resume: body.is_paused === false,
    }),
    fields: { baseJobTemplate: 'base_job_template' },
    result: () => null,
    status: 204,
  }),
  route('DELETE', '/work_pools/{name}', {
    summary: 'Delete a work pool with its queues and workers',
    tags: TAGS,
    lookup: poolByName('name'),
    operation: DeleteWorkPoolDocument,
    variables: ({ found }) => ({ id: found.id }),
    result: () => null,
    status: 204,
  }),
  route('POST', '/work_pools/filter', {
    summary: 'Read work pools',
    tags: TAGS,
    operation: FilterWorkPoolsDocument,
    body: z.object({
      ...page,
      work_pools: z
        .object({
          name: z.object({ any_: z.array(z.string()).nullish() }).nullish(),
          type: z.object({ any_: z.array(z.string()).nullish() }).nullish(),
        })
        .nullish(),
    }),
    variables: ({ body, workspaceId }) => ({ workspaceId, first: windowOf(body) }),
    result: (d, { body }) => {
      const names = body.work_pools?.name?.any_;
      const types = body.work_pools?.type?.any_;
      const pools = (d.workspace?.workPools.edges ?? [])
        .map((e) => e.node)
        .filter((p) => !names || names.includes(p.name))
        .filter((p) => !types || types.includes(p.type));
      return paged(pools, body).map(toPrefectWorkPool);
    },
  }),
  route('POST', '/work_pools/{name}/workers/heartbeat', {
    summary: 'Record a worker’s heartbeat',
    tags: TAGS,
    lookup: poolByName('name'),
    operation: WorkerHeartbeatDocument,
    body: heartbeat,
    variables: ({ body, found }) => ({
      input: {
        workPoolId: found.id,
        name: body.name,
        heartbeatIntervalSeconds:
          body.heartbeat_interval_seconds == null
            ? undefined
            : Math.min(3600, Math.max(5, body.heartbeat_interval_seconds)),
      },
    }),
    // Prefect Cloud answers the worker's id as plain text when asked (`return_id`).
    result: (d, { body }) =>
      body.return_id
        ? new Answer(200, d.workerHeartbeat.id, { 'content-type': 'text/plain; charset=utf-8' })
        : null,
    fields: { heartbeatIntervalSeconds: 'heartbeat_interval_seconds' },
    status: 204,
    answers: {
      200: {
        description: 'The worker’s id (`return_id: true`)',
        contentType: 'text/plain; charset=utf-8',
      },
    },
  }),
  route('POST', '/work_pools/{name}/workers/filter', {
    summary: 'Read the workers of a work pool',
    tags: TAGS,
    operation: ReadWorkersDocument,
    body: z.object({ ...page }),
    variables: ({ params, workspaceId }) => ({ workspaceId, name: params.name }),
    result: (d, { body }) => {
      const pool = d.workspace?.workPoolByName ?? notFound('Work pool');
      return paged(pool.workers, body).map((w) => toPrefectWorker(w, pool.id));
    },
  }),
  route('POST', '/work_pools/{name}/get_scheduled_flow_runs', {
    summary:
      'Claim the due runs of a work pool’s queues for the calling worker (they become PENDING; each run goes to one worker)',
    tags: TAGS,
    lookup: poolByName('name'),
    operation: ClaimWorkPoolRunsDocument,
    body: scheduledRuns,
    variables: (input) => ({
      input: {
        workPoolId: input.found.id,
        workerName: workerName(input, 'prefect-worker'),
        queueNames: input.body.work_queue_names?.length ? input.body.work_queue_names : undefined,
        limit: Math.min(100, input.body.limit ?? 10),
        // Prefect's worker may poll more runs than it starts: what it holds comes back.
        offerHeld: true,
      },
    }),
    fields: { queueNames: 'work_queue_names' },
    result: (d, { found }) =>
      d.claimFlowRuns.map((r) => ({
        work_pool_id: found.id,
        work_queue_id: r.workQueue?.id ?? null,
        flow_run: toPrefectFlowRun(r),
      })),
  }),
  route('POST', '/work_pools/{pool}/queues', {
    summary: 'Create a queue in a work pool',
    tags: TAGS,
    lookup: poolByName('pool'),
    operation: CreateWorkQueueDocument,
    body: workQueueCreate,
    variables: ({ body, found }) => ({
      input: {
        workPoolId: found.id,
        name: body.name,
        description: body.description ?? undefined,
        priority: body.priority ?? undefined,
        concurrencyLimit: body.concurrency_limit ?? undefined,
        paused: body.is_paused ?? undefined,
      },
    }),
    result: (d, { found }) => toPrefectWorkQueue(d.createWorkQueue, found),
    status: 201,
  }),
  route('GET', '/work_pools/{pool}/queues/{name}', {
    summary: 'Read a queue of a work pool by name',
    tags: TAGS,
    operation: ReadWorkPoolByNameDocument,
    variables: ({ params, workspaceId }) => ({ workspaceId, name: params.pool }),
    result: (d, { params }) => {
      const pool = d.workspace?.workPoolByName ?? notFound('Work pool');
      const q = pool.queues.find((x) => x.name === params.name) ?? notFound('Work queue');
      return toPrefectWorkQueue(q, pool);
    },
  }),
  route('PATCH', '/work_pools/{pool}/queues/{name}', {
    summary: 'Change a queue of a work pool',
    tags: TAGS,
    lookup: poolByName('pool'),
    operation: UpdateWorkQueueDocument,
    body: workQueueUpdate,
    variables: ({ body, found, params }) => ({
      input: {
        id:
          (found as FoundPool).queues.find((q) => q.name === params.name)?.id ??
          notFound('Work queue'),
        name: body.name ?? undefined,
        description: body.description,
        priority: body.priority ?? undefined,
        concurrencyLimit: body.concurrency_limit,
        paused: body.is_paused ?? undefined,
      },
    }),
    result: () => null,
    status: 204,
  }),
  route('GET', '/work_queues/{id}', {
    summary: 'Read a work queue by id (flow runs name theirs in their events)',
    tags: TAGS,
    operation: ReadWorkQueueDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: (d) => {
      const q = d.workQueue;
      if (!q?.workPool) notFound('Work queue');
      return toPrefectWorkQueue(q, q.workPool);
    },
  }),
  route('POST', '/work_pools/{pool}/queues/filter', {
    summary: 'Read the queues of a work pool',
    tags: TAGS,
    operation: ReadWorkPoolByNameDocument,
    body: z.object({
      ...page,
      work_queues: z
        .object({ name: z.object({ any_: z.array(z.string()).nullish() }).nullish() })
        .nullish(),
    }),
    variables: ({ params, workspaceId }) => ({ workspaceId, name: params.pool }),
    result: (d, { body }) => {
      const pool = d.workspace?.workPoolByName ?? notFound('Work pool');
      const names = body.work_queues?.name?.any_;
      const queues = pool.queues.filter((q) => !names || names.includes(q.name));
      return paged(queues, body).map((q) => toPrefectWorkQueue(q, pool));
    },
  }),
];
