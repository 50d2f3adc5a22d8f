import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { requireService } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace, expectError } from '../harness/seed.js';
import { addMember } from '../access/fixtures.js';
import {
  CREATE_POOL,
  createDeployment,
  createFlow,
  createPool,
  createRun,
  ok,
  setState,
} from './fixtures.js';

const POOL = `query($id: ID!) { workPool(id: $id) { id name status paused concurrencyLimit queues { id name priority paused } workers { name status heartbeatIntervalSeconds } } }`;
const CLAIM = `mutation($input: ClaimFlowRunsInput!) { claimFlowRuns(input: $input) { id stateType stateName workerName workQueue { name } } }`;
const HEARTBEAT = `mutation($input: WorkerHeartbeatInput!) { workerHeartbeat(input: $input) { id name status lastHeartbeatAt } }`;
const CREATE_QUEUE = `mutation($input: CreateWorkQueueInput!) { createWorkQueue(input: $input) { id name priority concurrencyLimit workPool { id } } }`;

function suite(db: 'sqlite' | 'postgres') {
  let stack: Stack;
  let alice: Actor;
  let ws: { id: string };
  let flowId: string;
  beforeAll(async () => {
    stack = await startStack({ database: db });
    alice = await stack.signUp();
    ws = await createWorkspace(alice, alice.accountId);
    flowId = (await createFlow(alice, ws.id)).id;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A deployment on `pool` (optionally a queue) and `n` due runs of it. */
  async function dueRuns(poolId: string, n: number, over: Record<string, unknown> = {}) {
    const d = await createDeployment(alice, flowId, { workPoolId: poolId, ...over });
    const runs = [];
    for (let i = 0; i < n; i++) runs.push(await createRun(alice, { deploymentId: d.id }));
    return runs.map((r) => r.id as string);
  }

  it('creates a pool with a default queue; names unique; status follows workers and pause', async () => {
    const pool = await createPool(alice, ws.id, { name: 'main', concurrencyLimit: 5 });
    expect(pool).toMatchObject({
      name: 'main',
      type: 'process',
      status: 'NOT_READY',
      queues: [{ name: 'default', priority: 1 }],
    });
    expectError(
      await alice.gql(CREATE_POOL, {
        input: { workspaceId: ws.id, name: 'main', type: 'process' },
      }),
      'CONFLICT',
      'name',
    );
    expectError(
      await alice.gql(CREATE_POOL, { input: { workspaceId: ws.id, name: 'x', type: 'Bad Type' } }),
      'BAD_USER_INPUT',
      'type',
    );
    expectError(
      await alice.gql(CREATE_POOL, {
        input: { workspaceId: ws.id, name: 'y', type: 'docker', concurrencyLimit: -1 },
      }),
      'BAD_USER_INPUT',
      'concurrencyLimit',
    );
    await ok(alice, HEARTBEAT, { input: { workPoolId: pool.id, name: 'w1' } });
    expect((await ok(alice, POOL, { id: pool.id })).workPool).toMatchObject({
      status: 'READY',
      workers: [{ name: 'w1', status: 'ONLINE', heartbeatIntervalSeconds: 30 }],
    });
    await ok(alice, `mutation($id: ID!) { pauseWorkPool(id: $id) { paused } }`, { id: pool.id });
    expect((await ok(alice, POOL, { id: pool.id })).workPool.status).toBe('PAUSED');
    await ok(alice, `mutation($id: ID!) { resumeWorkPool(id: $id) { paused } }`, { id: pool.id });
    const push = await createPool(alice, ws.id, { type: 'serverless-push' });
    expect(push.status).toBe('READY');
    const upd = await ok(
      alice,
      `mutation($input: UpdateWorkPoolInput!) { updateWorkPool(input: $input) { name concurrencyLimit } }`,
      { input: { id: pool.id, name: 'main-2', concurrencyLimit: null } },
    );
    expect(upd.updateWorkPool).toEqual({ name: 'main-2', concurrencyLimit: null });
  });

  it('queues: unique names, priorities, the default queue stays; deleting moves runs to default', async () => {
    const pool = await createPool(alice, ws.id);
    const q = (
      await ok(alice, CREATE_QUEUE, {
        input: { workPoolId: pool.id, name: 'fast', priority: 2, concurrencyLimit: 3 },
      })
    ).createWorkQueue;
    expect(q).toMatchObject({
      name: 'fast',
      priority: 2,
      concurrencyLimit: 3,
      workPool: { id: pool.id },
    });
    expectError(
      await alice.gql(CREATE_QUEUE, { input: { workPoolId: pool.id, name: 'fast' } }),
      'CONFLICT',
      'name',
    );
    const def = pool.queues[0].id;
    expectError(
      await alice.gql(`mutation($id: ID!) { deleteWorkQueue(id: $id) }`, { id: def }),
      'BAD_USER_INPUT',
      'id',
    );
    const [runId] = await dueRuns(pool.id, 1, { workQueueId: q.id });
    await ok(alice, `mutation($id: ID!) { deleteWorkQueue(id: $id) }`, { id: q.id });
    const run = await ok(alice, `query($id: ID!) { flowRun(id: $id) { workQueue { name } } }`, {
      id: runId,
    });
    expect(run.flowRun.workQueue.name).toBe('default');
    expect(
      (await ok(alice, `mutation($id: ID!) { deleteWorkPool(id: $id) }`, { id: pool.id }))
        .deleteWorkPool,
    ).toBe(pool.id);
    expect(codes(await alice.gql(POOL, { id: pool.id }))).toEqual(['NOT_FOUND']);
  });

  it('claims due runs by queue priority then scheduled time, moving them to PENDING; future and paused ones stay', async () => {
    const pool = await createPool(alice, ws.id);
    const low = (
      await ok(alice, CREATE_QUEUE, { input: { workPoolId: pool.id, name: 'low', priority: 5 } })
    ).createWorkQueue;
    const high = (
      await ok(alice, CREATE_QUEUE, { input: { workPoolId: pool.id, name: 'high', priority: 1 } })
    ).createWorkQueue;
    const lowRuns = await dueRuns(pool.id, 2, { workQueueId: low.id });
    const highRuns = await dueRuns(pool.id, 2, { workQueueId: high.id });
    const d = await createDeployment(alice, flowId, { workPoolId: pool.id });
    await createRun(alice, {
      deploymentId: d.id,
      state: {
        type: 'SCHEDULED',
        details: { scheduledTime: new Date(Date.now() + 3600_000).toISOString() },
      },
    });
    const first = (
      await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'w', limit: 3 } })
    ).claimFlowRuns;
    expect(first.map((r: any) => r.id)).toEqual([...highRuns, lowRuns[0]]);
    expect(first.every((r: any) => r.stateType === 'PENDING' && r.workerName === 'w')).toBe(true);
    const onlyDefault = (
      await ok(alice, CLAIM, {
        input: { workPoolId: pool.id, workerName: 'w', queueNames: ['default'], limit: 10 },
      })
    ).claimFlowRuns;
    expect(onlyDefault).toEqual([]);
    expectError(
      await alice.gql(CLAIM, {
        input: { workPoolId: pool.id, workerName: 'w', queueNames: ['nope'] },
      }),
      'BAD_USER_INPUT',
      'queueNames',
    );
    await ok(
      alice,
      `mutation($input: UpdateWorkQueueInput!) { updateWorkQueue(input: $input) { paused } }`,
      { input: { id: low.id, paused: true } },
    );
    expect(
      (await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'w', limit: 10 } }))
        .claimFlowRuns,
    ).toEqual([]);
    // Claiming counts as a heartbeat.
    expect((await ok(alice, POOL, { id: pool.id })).workPool.status).toBe('READY');
  });

  it('respects pool and queue concurrency limits (PENDING and RUNNING runs count)', async () => {
    const pool = await createPool(alice, ws.id, { concurrencyLimit: 3 });
    const q = (
      await ok(alice, CREATE_QUEUE, {
        input: { workPoolId: pool.id, name: 'narrow', concurrencyLimit: 1, priority: 1 },
      })
    ).createWorkQueue;
    await dueRuns(pool.id, 3, { workQueueId: q.id });
    await dueRuns(pool.id, 4);
    const a = (
      await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'a', limit: 10 } })
    ).claimFlowRuns;
    expect(a).toHaveLength(3);
    expect(a.filter((r: any) => r.workQueue.name === 'narrow')).toHaveLength(1);
    expect(
      (await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'a', limit: 10 } }))
        .claimFlowRuns,
    ).toEqual([]);
    await setState(alice, a[0].id, { type: 'RUNNING' });
    await setState(alice, a[0].id, { type: 'COMPLETED' });
    expect(
      (await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'a', limit: 10 } }))
        .claimFlowRuns,
    ).toHaveLength(1);
  });

  it('concurrent claimers never get the same run', async () => {
    const pool = await createPool(alice, ws.id);
    const runs = await dueRuns(pool.id, 40);
    const seen = new Map<string, string>();
    for (let round = 0; round < 10 && seen.size < 40; round++) {
      const results = await Promise.all(
        ['w1', 'w2', 'w3', 'w4'].map((workerName) =>
          alice.gql(CLAIM, { input: { workPoolId: pool.id, workerName, limit: 3 } }),
        ),
      );
      for (const [i, res] of results.entries()) {
        expect(res.errors).toBeUndefined();
        for (const r of res.data.claimFlowRuns) {
          expect(seen.has(r.id), `run ${r.id} handed out twice`).toBe(false);
          seen.set(r.id, `w${i + 1}`);
          expect(r.workerName).toBe(`w${i + 1}`);
        }
      }
    }
    expect(seen.size).toBe(40);
    expect([...seen.keys()].every((id) => runs.includes(id))).toBe(true);
    // Each run went SCHEDULED → PENDING exactly once.
    const orm = stack.running.subgraphs.operations!.orm;
    const rows = await orm.em
      .fork()
      .getConnection()
      .execute(
        `select run_id, count(*) as n from run_state where type = 'PENDING' group by run_id having count(*) > 1`,
      );
    expect(rows).toEqual([]);
  });

  it('permissions: WORKER heartbeats and claims, cannot manage pools; non-members get NOT_FOUND', async () => {
    const pool = await createPool(alice, ws.id);
    const bob = await addMember(stack, alice, { id: ws.id, role: 'WORKER' });
    expect(
      (await bob.gql(HEARTBEAT, { input: { workPoolId: pool.id, name: 'bob' } })).errors,
    ).toBeUndefined();
    expect(
      (await bob.gql(CLAIM, { input: { workPoolId: pool.id, workerName: 'bob' } })).errors,
    ).toBeUndefined();
    const denied = await bob.gql(CREATE_POOL, {
      input: { workspaceId: ws.id, name: `p-${uid(3)}`, type: 'process' },
    });
    expect(denied.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_work_pools',
    });
    const q = await bob.gql(CREATE_QUEUE, { input: { workPoolId: pool.id, name: 'q' } });
    expect(q.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_work_queues',
    });
    const carol = await addMember(stack, alice, { id: ws.id, role: 'RUNNER' });
    const dc = await carol.gql(CLAIM, { input: { workPoolId: pool.id, workerName: 'carol' } });
    expect(dc.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'write_workers',
    });
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(POOL, { id: pool.id }))).toEqual(['NOT_FOUND']);
    expect(
      codes(await mallory.gql(CLAIM, { input: { workPoolId: pool.id, workerName: 'm' } })),
    ).toEqual(['NOT_FOUND']);
    expect(
      codes(await mallory.gql(HEARTBEAT, { input: { workPoolId: pool.id, name: 'm' } })),
    ).toEqual(['NOT_FOUND']);
  });
}

describe('work pools on SQLite', () => suite('sqlite'));
describe.runIf(requireService('DATABASE_URL'))('work pools on PostgreSQL', () => suite('postgres'));
