import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace } from '../access/fixtures.js';

/** Access lists on deployments and work pools (REFERENCE §2). */
const SET_ACCESS = `mutation($input: SetObjectAccessInput!) { setObjectAccess(input: $input) { objectId } }`;
const REMOVE_ACCESS = `mutation($input: RemoveObjectAccessInput!) { removeObjectAccess(input: $input) }`;
const DEPLOYMENT = `query($id: ID!) { deployment(id: $id) { id name access { entries { level } } } }`;
const DEPLOYMENTS = `query($id: ID!) { workspace(id: $id) { deployments { totalCount edges { node { name } } } } }`;
const POOL = `query($id: ID!) { workPool(id: $id) { id access { entries { level } } } }`;
const POOLS = `query($id: ID!) { workspace(id: $id) { workPools { totalCount edges { node { name } } } } }`;
const UPDATE = `mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { id } }`;
const DELETE = `mutation($id: ID!) { deleteDeployment(id: $id) }`;
const RUN = `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id deployment { id } } }`;
const CLAIM = `mutation($input: ClaimFlowRunsInput!) { claimFlowRuns(input: $input) { id } }`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
let runner: Actor,
  otherRunner: Actor,
  dev: Actor,
  poolDev: Actor,
  worker: Actor,
  otherWorker: Actor;
let flowId: string, poolId: string, guarded: string, inPool: string, open: string;

async function ok<T = any>(a: Actor, query: string, variables: Record<string, unknown>) {
  const res = await a.gql(query, variables);
  expect(res.errors).toBeUndefined();
  return res.data as T;
}
const deploy = async (name: string, workPoolId?: string) =>
  (
    await ok(
      alice,
      `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
      { input: { flowId, name, workPoolId } },
    )
  ).createDeployment.id as string;
const setAccess = (a: Actor, objectType: string, objectId: string, entries: unknown[]) =>
  ok(a, SET_ACCESS, { input: { objectType, objectId, entries } });
const names = async (a: Actor, query: string, key: 'deployments' | 'workPools') => {
  const data = await ok(a, query, { id: ws.id });
  return data.workspace[key].edges.map((e: any) => e.node.name).sort();
};

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice);
  const member = (role: 'RUNNER' | 'DEVELOPER' | 'WORKER') =>
    addMember(stack, alice, { id: ws.id, role });
  [runner, otherRunner, dev, poolDev, worker, otherWorker] = [
    await member('RUNNER'),
    await member('RUNNER'),
    await member('DEVELOPER'),
    await member('DEVELOPER'),
    await member('WORKER'),
    await member('WORKER'),
  ];
  flowId = (
    await ok(alice, `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`, {
      input: { workspaceId: ws.id, name: `etl-${uid(3)}` },
    })
  ).createFlow.id;
  poolId = (
    await ok(
      alice,
      `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id } }`,
      {
        input: { workspaceId: ws.id, name: 'secure', type: 'process' },
      },
    )
  ).createWorkPool.id;
  await ok(
    alice,
    `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id } }`,
    {
      input: { workspaceId: ws.id, name: 'shared', type: 'process' },
    },
  );
  guarded = await deploy('guarded');
  inPool = await deploy('in-pool', poolId);
  open = await deploy('open');
  // The Owner sets lists without being on them (Owners are never locked out).
  await setAccess(alice, 'DEPLOYMENT', guarded, [{ level: 'RUN', userId: runner.userId }]);
  await setAccess(alice, 'WORK_POOL', poolId, [
    { level: 'MANAGE', userId: poolDev.userId },
    { level: 'RUN', userId: runner.userId },
    { level: 'RUN', userId: worker.userId },
  ]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('an access list on a deployment', () => {
  it('lets a listed Runner run it, not an unlisted one', async () => {
    const run = await ok(runner, RUN, { input: { deploymentId: guarded } });
    expect(run.createFlowRun.deployment.id).toBe(guarded);
    expect(codes(await otherRunner.gql(RUN, { input: { deploymentId: guarded } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('hides it from an unlisted Developer (NOT_FOUND), while the Owner keeps it', async () => {
    expect(codes(await dev.gql(DEPLOYMENT, { id: guarded }))).toEqual(['NOT_FOUND']);
    const upd = await dev.gql(UPDATE, { input: { id: guarded, description: 'mine' } });
    expect(codes(upd)).toEqual(['NOT_FOUND']);
    expect(codes(await dev.gql(DELETE, { id: guarded }))).toEqual(['NOT_FOUND']);
    expect(
      codes(
        await dev.gql(`mutation($id: ID!) { pauseDeployment(id: $id) { id } }`, { id: guarded }),
      ),
    ).toEqual(['NOT_FOUND']);
    const byOwner = await ok(alice, DEPLOYMENT, { id: guarded });
    expect(byOwner.deployment.access.entries).toEqual([{ level: 'RUN' }]);
    await ok(alice, UPDATE, { input: { id: guarded, description: 'by the owner' } });
  });

  it('a listed Runner below MANAGE cannot change it (FORBIDDEN naming the permission)', async () => {
    const upd = await runner.gql(UPDATE, { input: { id: guarded, description: 'x' } });
    expect(upd.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_deployments',
    });
  });

  it('lists never show hidden deployments (excluded in SQL)', async () => {
    stack.counters.operations.reset(true);
    expect(await names(dev, DEPLOYMENTS, 'deployments')).toEqual(['open']);
    expect(stack.counters.operations.statements.join('\n')).toMatch(/not in/i);
    expect(await names(runner, DEPLOYMENTS, 'deployments')).toEqual(['guarded', 'in-pool', 'open']);
    expect(await names(alice, DEPLOYMENTS, 'deployments')).toEqual(['guarded', 'in-pool', 'open']);
    const byFlow = await ok(
      dev,
      `query($id: ID!) { flow(id: $id) { deployments { totalCount } } }`,
      {
        id: flowId,
      },
    );
    expect(byFlow.flow.deployments.totalCount).toBe(1);
  });
});

describe("a deployment without its own list follows its work pool's", () => {
  it('hides the pool and its deployments from the unlisted, in lists too', async () => {
    expect(codes(await dev.gql(POOL, { id: poolId }))).toEqual(['NOT_FOUND']);
    expect(codes(await dev.gql(DEPLOYMENT, { id: inPool }))).toEqual(['NOT_FOUND']);
    expect(codes(await otherRunner.gql(RUN, { input: { deploymentId: inPool } }))).toEqual([
      'NOT_FOUND',
    ]);
    stack.counters.operations.reset(true);
    expect(await names(dev, POOLS, 'workPools')).toEqual(['shared']);
    expect(stack.counters.operations.statements.join('\n')).toMatch(/not in/i);
    expect(await names(alice, POOLS, 'workPools')).toEqual(['secure', 'shared']);
  });

  it("gives the pool's listed actors their level on the deployment", async () => {
    await ok(runner, RUN, { input: { deploymentId: inPool } });
    await ok(poolDev, UPDATE, { input: { id: inPool, description: 'by the pool manager' } });
    // The pool's list does not reach a deployment with its own list.
    expect(codes(await poolDev.gql(DEPLOYMENT, { id: guarded }))).toEqual(['NOT_FOUND']);
  });

  it('lets only listed workers claim from the pool', async () => {
    const input = { workPoolId: poolId, workerName: 'w1' };
    expect((await ok(worker, CLAIM, { input })).claimFlowRuns.length).toBeGreaterThan(0);
    expect(codes(await otherWorker.gql(CLAIM, { input: { ...input, workerName: 'w2' } }))).toEqual([
      'NOT_FOUND',
    ]);
    const heartbeat = await otherWorker.gql(
      `mutation($input: WorkerHeartbeatInput!) { workerHeartbeat(input: $input) { id } }`,
      { input: { workPoolId: poolId, name: 'w2' } },
    );
    expect(codes(heartbeat)).toEqual(['NOT_FOUND']);
  });

  it('a deployment cannot be placed in a pool its author cannot see', async () => {
    const res = await dev.gql(UPDATE, { input: { id: open, workPoolId: poolId } });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'workPoolId',
    });
  });
});

describe('removing the lists', () => {
  it('restores role-based access', async () => {
    await ok(alice, REMOVE_ACCESS, { input: { objectType: 'DEPLOYMENT', objectId: guarded } });
    await ok(otherRunner, RUN, { input: { deploymentId: guarded } });
    await ok(dev, UPDATE, { input: { id: guarded, description: 'mine now' } });
    expect((await ok(dev, DEPLOYMENT, { id: guarded })).deployment.access).toBeNull();
    // The pool still guards its deployment until its list goes too.
    expect(codes(await dev.gql(DEPLOYMENT, { id: inPool }))).toEqual(['NOT_FOUND']);
    await ok(poolDev, REMOVE_ACCESS, { input: { objectType: 'WORK_POOL', objectId: poolId } });
    expect(await names(dev, DEPLOYMENTS, 'deployments')).toEqual(['guarded', 'in-pool', 'open']);
    expect(await names(dev, POOLS, 'workPools')).toEqual(['secure', 'shared']);
    await ok(otherWorker, CLAIM, { input: { workPoolId: poolId, workerName: 'w2' } });
  });
});
