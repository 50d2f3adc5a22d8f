import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace } from '../harness/seed.js';
import { createDeployment, createFlow, createPool, createRun, ok } from './fixtures.js';

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
