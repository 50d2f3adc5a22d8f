import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace } from '../harness/seed.js';
import { createDeployment, createFlow, createPool, createRun, ok, setState } from './fixtures.js';

let stack: Stack;
let alice: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
  const pool = await createPool(alice, ws.id);
  for (let f = 0; f < 4; f++) {
    const flow = await createFlow(alice, ws.id);
    const d = await createDeployment(alice, flow.id, { workPoolId: pool.id });
    for (let i = 0; i < 25; i++)
      await createRun(alice, { deploymentId: d.id, tags: [`t${i % 3}`] });
  }
});
afterAll(async () => {
  await stack?.stop();
});

const QUERY = `query($id: ID!, $first: Int) {
  workspace(id: $id) {
    flowRuns(first: $first, filter: { stateTypes: [SCHEDULED] }) {
      totalCount
      edges { node {
        id name
        flow { name }
        deployment { name }
        workPool { name status }
        workQueue { name }
        state { type name timestamp }
        createdBy { handle }
      } }
    }
  }
}`;

it('listing 10 or 100 flow runs with flow, deployment, pool, queue, state and creator costs the same queries', async () => {
  const cost = async (first: number) => {
    await alice.gql(QUERY, { id: ws.id, first }); // warm the grants cache
    stack.counters.operations.reset(true);
    stack.counters.users.reset();
    const res = await ok(alice, QUERY, { id: ws.id, first });
    expect(res.workspace.flowRuns.edges).toHaveLength(first);
    const node = res.workspace.flowRuns.edges[0].node;
    expect(node.flow.name).toBeTruthy();
    expect(node.deployment.name).toBeTruthy();
    expect(node.workPool.status).toBe('NOT_READY');
    expect(node.createdBy.handle).toBe(alice.handle);
    return [stack.counters.operations.count, stack.counters.users.count];
  };
  const ten = await cost(10);
  const hundred = await cost(100);
  expect(hundred).toEqual(ten);
  // page + count, flows, deployments, pools, queues, online workers.
  expect(ten[0]).toBeLessThanOrEqual(7);
});

it('a page answers every field of a run exactly as reading that run alone does', async () => {
  // Pages are read outside the unit of work (lib/pagination.ts, detach): JSON, dates, numbers,
  // booleans and nulls must come out as MikroORM's own hydration gives them.
  const FIELDS = `id name tags expectedStartTime nextScheduledStartTime startTime endTime runCount
    totalRunTime retries retryDelaySeconds stateType stateName createdAt updatedAt parameters
    labels idempotencyKey autoScheduled infrastructureId workerName state { type name timestamp }`;
  const flow = await createFlow(alice, ws.id);
  const run = await createRun(alice, {
    flowId: flow.id,
    tags: ['x', 'y'],
    parameters: { n: 1, nested: { list: [1, 'two', null], flag: false } },
    idempotencyKey: `detached-${Date.now()}`,
  });
  await setState(alice, run.id, { type: 'PENDING' });
  await setState(alice, run.id, { type: 'RUNNING' });
  const one = await ok(alice, `query($id: ID!) { flowRun(id: $id) { ${FIELDS} } }`, { id: run.id });
  const page = await ok(
    alice,
    `query($w: ID!, $ids: [ID!]) { workspace(id: $w) { flowRuns(first: 5, filter: { ids: $ids }) {
      edges { node { ${FIELDS} } } } } }`,
    { w: ws.id, ids: [run.id] },
  );
  expect(page.workspace.flowRuns.edges).toHaveLength(1);
  expect(page.workspace.flowRuns.edges[0].node).toEqual(one.flowRun);
  expect(one.flowRun).toMatchObject({
    parameters: { n: 1, nested: { list: [1, 'two', null], flag: false } },
    tags: ['x', 'y'],
    autoScheduled: false,
    stateType: 'RUNNING',
    runCount: 1,
    endTime: null,
  });
  expect(one.flowRun.startTime).toMatch(/^\d{4}-\d\d-\d\dT/);
});
