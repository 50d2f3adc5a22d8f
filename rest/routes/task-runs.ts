import { z } from 'zod';
import {
  CreateTaskRunDocument,
  ReadTaskRunDocument,
  SetTaskRunStateDocument,
} from '../generated/graphql.js';
import {
  stateCreate,
  toOrchestrationResult,
  toPrefectTaskRun,
  toStateInput,
} from '../prefect/shapes.js';
import { notFound, route } from '../route.js';

const taskRunCreate = z.object({
  id: z.uuid().nullish(),
  name: z.string().nullish(),
  flow_run_id: z.uuid(),
  task_key: z.string(),
  dynamic_key: z.string(),
  cache_key: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  empirical_policy: z
    .object({
      retries: z.number().int().nullish(),
      retry_delay: z.union([z.number(), z.array(z.number())]).nullish(),
    })
    .nullish(),
  state: stateCreate.nullish(),
});

const delayOf = (d: number | number[] | null | undefined) =>
  d == null ? undefined : Math.round(Array.isArray(d) ? (d[0] ?? 0) : d);

export const taskRunRoutes = [
  route('POST', '/task_runs/', {
    summary: 'Create a task run (the same id, or flow run + task key + dynamic key, returns it)',
    tags: ['Task Runs'],
    operation: CreateTaskRunDocument,
    body: taskRunCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        id: body.id ?? undefined,
        flowRunId: body.flow_run_id,
        workspaceId,
        taskKey: body.task_key,
        dynamicKey: body.dynamic_key,
        name: body.name ?? undefined,
        cacheKey: body.cache_key ?? undefined,
        tags: body.tags ?? [],
        retries: body.empirical_policy?.retries ?? undefined,
        retryDelaySeconds: delayOf(body.empirical_policy?.retry_delay),
        state: body.state ? toStateInput(body.state) : undefined,
      },
    }),
    fields: { flowRunId: 'flow_run_id', taskKey: 'task_key', dynamicKey: 'dynamic_key' },
    result: (d) => toPrefectTaskRun(d.createTaskRun),
    status: 201,
  }),
  route('GET', '/task_runs/{id}', {
    summary: 'Read a task run',
    tags: ['Task Runs'],
    operation: ReadTaskRunDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: (d) => toPrefectTaskRun(d.taskRun ?? notFound('Task run')),
  }),
  route('POST', '/task_runs/{id}/set_state', {
    summary: 'Propose a new state for a task run',
    tags: ['Task Runs'],
    operation: SetTaskRunStateDocument,
    body: z.object({ state: stateCreate, force: z.boolean().nullish() }),
    variables: ({ params, body, workspaceId }) => ({
      input: {
        taskRunId: params.id,
        workspaceId,
        state: toStateInput(body.state),
        force: body.force ?? false,
      },
    }),
    result: (d, { params }) => toOrchestrationResult(d.setTaskRunState, { taskRunId: params.id }),
    status: 201,
  }),
];
