import { expect } from 'vitest';
import { uid, type Actor } from '../harness/stack.js';

type Gql = Pick<Actor, 'gql'>;

export const STATE = 'state { id type name message details timestamp }';
export const RUN_FIELDS = `id name stateType stateName runCount totalRunTime startTime endTime expectedStartTime nextScheduledStartTime retries parameters tags idempotencyKey ${STATE}`;
export const CREATE_RUN = `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { ${RUN_FIELDS} } }`;
export const SET_STATE = `mutation($input: SetFlowRunStateInput!) {
  setFlowRunState(input: $input) { status reason delaySeconds ${STATE} }
}`;
export const SET_TASK_STATE = `mutation($input: SetTaskRunStateInput!) {
  setTaskRunState(input: $input) { status reason delaySeconds ${STATE} }
}`;
export const CREATE_TASK = `mutation($input: CreateTaskRunInput!) { createTaskRun(input: $input) { id stateType stateName runCount } }`;
export const FLOW_RUN = `query($id: ID!) { flowRun(id: $id) { ${RUN_FIELDS} states { type name } } }`;
export const CREATE_DEPLOYMENT = `mutation($input: CreateDeploymentInput!) {
  createDeployment(input: $input) { id name parameters parameterSchema concurrencyLimit collisionStrategy paused tags workPool { id } workQueue { id name } schedules { id cron intervalSeconds rrule timezone active } }
}`;
export const CREATE_POOL = `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id name type status paused concurrencyLimit queues { id name priority } } }`;

/** Runs a mutation or query and fails the test on any error. */
export async function ok<T = any>(
  by: Gql,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const res = await by.gql(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

export async function createFlow(by: Gql, workspaceId: string, name = `flow-${uid(4)}`) {
  const d = await ok(
    by,
    `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id name } }`,
    {
      input: { workspaceId, name },
    },
  );
  return d.createFlow as { id: string; name: string };
}

export async function createDeployment(
  by: Gql,
  flowId: string,
  over: Record<string, unknown> = {},
) {
  const d = await ok(by, CREATE_DEPLOYMENT, { input: { flowId, name: `dep-${uid(4)}`, ...over } });
  return d.createDeployment;
}

export async function createRun(by: Gql, input: Record<string, unknown>) {
  return (await ok(by, CREATE_RUN, { input })).createFlowRun;
}

export async function setState(
  by: Gql,
  flowRunId: string,
  state: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return (await ok(by, SET_STATE, { input: { flowRunId, state, ...extra } })).setFlowRunState as {
    status: string;
    reason: string | null;
    delaySeconds: number | null;
    state: { id: string; type: string; name: string; details: any; timestamp: string };
  };
}

export async function createPool(by: Gql, workspaceId: string, over: Record<string, unknown> = {}) {
  return (
    await ok(by, CREATE_POOL, {
      input: { workspaceId, name: `pool-${uid(4)}`, type: 'process', ...over },
    })
  ).createWorkPool;
}
