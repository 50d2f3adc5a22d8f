import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace, eventually, expectError } from '../harness/seed.js';
import { addMember, setRole } from '../access/fixtures.js';
import {
  CREATE_DEPLOYMENT,
  CREATE_RUN,
  FLOW_RUN,
  createDeployment,
  createFlow,
  createPool,
  createRun,
  ok,
} from './fixtures.js';

let stack: Stack;
let alice: Actor;
let ws: { id: string };
let flowId: string;
const SET_STATE = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
  flowId = (await createFlow(alice, ws.id)).id;
});
afterAll(async () => {
  await stack?.stop();
});

const SCHEMA = {
  type: 'object',
  properties: { count: { type: 'integer', minimum: 1 }, name: { type: 'string' } },
  required: ['count'],
  additionalProperties: false,
};

describe('deployments', () => {
  it('creates one with schedules, pool and default queue; names are unique per flow', async () => {
    const pool = await createPool(alice, ws.id);
    const d = await createDeployment(alice, flowId, {
      name: 'nightly',
      parameters: { name: 'x' },
      parameterSchema: SCHEMA,
      workPoolId: pool.id,
      tags: ['etl'],
      schedules: [
        { cron: '0 9 * * *', timezone: 'Europe/Paris' },
        { intervalSeconds: 3600 },
        { rrule: 'FREQ=WEEKLY;BYDAY=MO', active: false },
      ],
    });
    expect(d).toMatchObject({
      name: 'nightly',
      workPool: { id: pool.id },
      workQueue: { name: 'default' },
      collisionStrategy: 'ENQUEUE',
      paused: false,
    });
    expect(d.schedules.map((s: any) => [s.cron, s.intervalSeconds, s.rrule, s.timezone])).toEqual([
      ['0 9 * * *', null, null, 'Europe/Paris'],
      [null, 3600, null, 'UTC'],
      [null, null, 'FREQ=WEEKLY;BYDAY=MO', 'UTC'],
    ]);
    const dup = await alice.gql(CREATE_DEPLOYMENT, { input: { flowId, name: 'nightly' } });
    expectError(dup, 'CONFLICT', 'name');
    const other = await createFlow(alice, ws.id);
    await createDeployment(alice, other.id, { name: 'nightly' });
    const list = await ok(
      alice,
      `query($id: ID!, $f: ID!) { workspace(id: $id) { deployments(filter: { flowId: $f }) { totalCount edges { node { id flow { id } } } } } flow(id: $f) { deployments { totalCount } } }`,
      { id: ws.id, f: flowId },
    );
    expect(list.workspace.deployments.totalCount).toBe(1);
    expect(list.flow.deployments.totalCount).toBe(1);
  });

  it('rejects malformed schedules, schemas and limits with BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ schedules: [{ cron: '61 * * * *' }] }, 'schedules.0.cron'],
      [{ schedules: [{ cron: 'every day' }] }, 'schedules.0.cron'],
      [{ schedules: [{ cron: '0 9 * * *', timezone: 'Mars/Olympus' }] }, 'schedules.0.timezone'],
      [{ schedules: [{ rrule: 'FREQ=SOMETIMES' }] }, 'schedules.0.rrule'],
      [{ schedules: [{ intervalSeconds: 0 }] }, 'schedules.0.intervalSeconds'],
      [{ schedules: [{ cron: '* * * * *', intervalSeconds: 60 }] }, 'schedules.0'],
      [
        { parameterSchema: { type: 'object', properties: { a: { type: 'nonsense' } } } },
        'parameterSchema',
      ],
      [{ parameterSchema: { type: 'string' } }, 'parameterSchema'],
      [{ parameterSchema: SCHEMA, parameters: { count: 0 } }, 'parameters.count'],
      [{ parameters: [1, 2] }, 'parameters'],
      [{ concurrencyLimit: -1 }, 'concurrencyLimit'],
      [{ workPoolId: '00000000-0000-4000-8000-000000000000' }, 'workPoolId'],
    ];
    for (const [over, field] of cases) {
      const res = await alice.gql(CREATE_DEPLOYMENT, {
        input: { flowId, name: `x-${uid(3)}`, ...over },
      });
      expect(res.errors?.[0]?.extensions, JSON.stringify(over)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
  });

  it('updates, pauses, resumes and deletes', async () => {
    const d = await createDeployment(alice, flowId, { schedules: [{ intervalSeconds: 60 }] });
    const up = await ok(
      alice,
      `mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { name description concurrencyLimit schedules { cron } } }`,
      {
        input: {
          id: d.id,
          description: 'hi',
          concurrencyLimit: 2,
          schedules: [{ cron: '*/5 * * * *' }],
        },
      },
    );
    expect(up.updateDeployment).toMatchObject({
      description: 'hi',
      concurrencyLimit: 2,
      schedules: [{ cron: '*/5 * * * *' }],
    });
    expect(
      (await ok(alice, `mutation($id: ID!) { pauseDeployment(id: $id) { paused } }`, { id: d.id }))
        .pauseDeployment.paused,
    ).toBe(true);
    expect(
      (await ok(alice, `mutation($id: ID!) { resumeDeployment(id: $id) { paused } }`, { id: d.id }))
        .resumeDeployment.paused,
    ).toBe(false);
    const run = await createRun(alice, { deploymentId: d.id });
    expect(
      (await ok(alice, `mutation($id: ID!) { deleteDeployment(id: $id) }`, { id: d.id }))
        .deleteDeployment,
    ).toBe(d.id);
    expect(
      codes(await alice.gql(`query($id: ID!) { deployment(id: $id) { id } }`, { id: d.id })),
    ).toEqual(['NOT_FOUND']);
    // Its manual runs stay, without the deployment.
    const kept = await ok(alice, `query($id: ID!) { flowRun(id: $id) { id deployment { id } } }`, {
      id: run.id,
    });
    expect(kept.flowRun).toEqual({ id: run.id, deployment: null });
  });
});

describe('flow runs', () => {
  it('from a deployment: defaults merged with input, validated against the schema', async () => {
    const d = await createDeployment(alice, flowId, {
      parameters: { name: 'default' },
      parameterSchema: SCHEMA,
      tags: ['dep'],
      retries: 3,
    });
    const run = await createRun(alice, {
      deploymentId: d.id,
      parameters: { count: 2 },
      tags: ['mine'],
    });
    expect(run).toMatchObject({
      parameters: { name: 'default', count: 2 },
      tags: ['dep', 'mine'],
      retries: 3,
      stateType: 'SCHEDULED',
    });
    const missing = await alice.gql(CREATE_RUN, { input: { deploymentId: d.id } });
    expectError(missing, 'BAD_USER_INPUT', 'parameters.count');
    const wrong = await alice.gql(CREATE_RUN, {
      input: { deploymentId: d.id, parameters: { count: 'two' } },
    });
    expectError(wrong, 'BAD_USER_INPUT', 'parameters.count');
    const extra = await alice.gql(CREATE_RUN, {
      input: { deploymentId: d.id, parameters: { count: 1, zap: 1 } },
    });
    expectError(extra, 'BAD_USER_INPUT', 'parameters.zap');
    const both = await alice.gql(CREATE_RUN, { input: { deploymentId: d.id, flowId } });
    expectError(both, 'BAD_USER_INPUT', 'deploymentId');
  });

  it('the same idempotency key returns the same run, also under concurrent requests', async () => {
    const key = `k-${uid()}`;
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        alice.gql(CREATE_RUN, { input: { flowId, idempotencyKey: key } }),
      ),
    );
    for (const r of runs) expect(r.errors).toBeUndefined();
    const ids = new Set(runs.map((r) => r.data.createFlowRun.id));
    expect(ids.size).toBe(1);
    const list = await ok(
      alice,
      `query($id: ID!) { workspace(id: $id) { flowRuns(first: 200) { edges { node { idempotencyKey } } } } }`,
      { id: ws.id },
    );
    expect(
      list.workspace.flowRuns.edges.filter((e: any) => e.node.idempotencyKey === key),
    ).toHaveLength(1);
  });

  it('lists with filters on state types, flow, deployment and tags', async () => {
    const w = await createWorkspace(alice, alice.accountId);
    const f1 = await createFlow(alice, w.id);
    const f2 = await createFlow(alice, w.id);
    const d = await createDeployment(alice, f1.id);
    const a = await createRun(alice, { deploymentId: d.id, tags: ['x', 'y'] });
    const b = await createRun(alice, { flowId: f2.id, tags: ['x'], state: { type: 'RUNNING' } });
    const c = await createRun(alice, { flowId: f1.id, state: { type: 'COMPLETED' } });
    const ids = async (filter: Record<string, unknown>) =>
      (
        await ok(
          alice,
          `query($id: ID!, $filter: FlowRunFilter) { workspace(id: $id) { flowRuns(filter: $filter) { totalCount edges { node { id } } } } }`,
          { id: w.id, filter },
        )
      ).workspace.flowRuns.edges.map((e: any) => e.node.id);
    expect(await ids({})).toEqual([a.id, b.id, c.id]);
    expect(await ids({ stateTypes: ['RUNNING', 'COMPLETED'] })).toEqual([b.id, c.id]);
    expect(await ids({ flowId: f1.id })).toEqual([a.id, c.id]);
    expect(await ids({ deploymentId: d.id })).toEqual([a.id]);
    expect(await ids({ tags: ['x'] })).toEqual([a.id, b.id]);
    expect(await ids({ tags: ['x', 'y'] })).toEqual([a.id]);
    expect(await ids({ flowId: 'not-a-uuid' })).toEqual([]);
  });

  it('a run lifecycle writes only the run: its flow and deployment are not rewritten', async () => {
    const d = await createDeployment(alice, flowId);
    const read = `query($f: ID!, $d: ID!) { flow(id: $f) { updatedAt } deployment(id: $d) { updatedAt } }`;
    const before = await ok(alice, read, { f: flowId, d: d.id });
    stack.counters.operations.reset(true);
    const run = await createRun(alice, { deploymentId: d.id });
    for (const type of ['PENDING', 'RUNNING', 'COMPLETED'])
      await ok(alice, SET_STATE, { i: { flowRunId: run.id, state: { type } } });
    const writes = stack.counters.operations.statements.filter((s) =>
      /^\[query\] (update|insert into) [`"]?(\w+[`"]?\.[`"]?)?(flow|deployment)[`"]? /.test(s),
    );
    expect(writes).toEqual([]);
    expect(await ok(alice, read, { f: flowId, d: d.id })).toEqual(before);
  });

  it('deleteFlowRun removes the run with its task runs and history', async () => {
    const run = await createRun(alice, { flowId, state: { type: 'RUNNING' } });
    await ok(
      alice,
      `mutation($input: CreateTaskRunInput!) { createTaskRun(input: $input) { id } }`,
      {
        input: { flowRunId: run.id, taskKey: 'a' },
      },
    );
    const tr = await ok(
      alice,
      `query($id: ID!) { flowRun(id: $id) { taskRuns { totalCount edges { node { id taskKey state { type } flowRun { id } } } } } }`,
      { id: run.id },
    );
    expect(tr.flowRun.taskRuns.totalCount).toBe(1);
    expect(
      (await ok(alice, `mutation($id: ID!) { deleteFlowRun(id: $id) }`, { id: run.id }))
        .deleteFlowRun,
    ).toBe(run.id);
    expect(codes(await alice.gql(FLOW_RUN, { id: run.id }))).toEqual(['NOT_FOUND']);
    const orm = stack.running.subgraphs.operations!.orm;
    const left = await orm.em
      .fork()
      .getConnection()
      .execute(`select count(*) as n from run_state where run_id = ?`, [run.id]);
    expect(Number(left[0].n)).toBe(0);
  });
});

describe('permissions', () => {
  let bob: Actor;
  let deploymentId: string;
  let runId: string;
  beforeAll(async () => {
    bob = await addMember(stack, alice);
    deploymentId = (await createDeployment(alice, flowId)).id;
    runId = (await createRun(alice, { flowId })).id;
  });

  it('non-members get NOT_FOUND for everything', async () => {
    const mallory = await stack.signUp();
    for (const res of [
      await mallory.gql(`query($id: ID!) { deployment(id: $id) { id } }`, { id: deploymentId }),
      await mallory.gql(FLOW_RUN, { id: runId }),
      await mallory.gql(CREATE_RUN, { input: { deploymentId } }),
      await mallory.gql(CREATE_RUN, { input: { flowId } }),
      await mallory.gql(CREATE_DEPLOYMENT, { input: { flowId, name: 'x' } }),
      await mallory.gql(
        `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
        {
          input: { flowRunId: runId, state: { type: 'RUNNING' } },
        },
      ),
    ]) {
      expect(codes(res)).toEqual(['NOT_FOUND']);
    }
  });

  it('VIEWER reads; RUNNER runs deployments only; DEVELOPER manages; WORKER reports states', async () => {
    await setRole(alice, ws.id, bob.userId, 'VIEWER');
    expect((await bob.gql(FLOW_RUN, { id: runId })).errors).toBeUndefined();
    const denied = await bob.gql(CREATE_RUN, { input: { deploymentId } });
    expect(denied.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'run_deployments',
    });

    await setRole(alice, ws.id, bob.userId, 'RUNNER');
    expect((await bob.gql(CREATE_RUN, { input: { deploymentId } })).errors).toBeUndefined();
    const adhoc = await bob.gql(CREATE_RUN, { input: { flowId } });
    expect(adhoc.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_flow_runs',
    });
    const write = await bob.gql(
      `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
      {
        input: { flowRunId: runId, state: { type: 'PENDING' } },
      },
    );
    expect(write.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'write_flow_runs',
    });
    const mk = await bob.gql(CREATE_DEPLOYMENT, { input: { flowId, name: `b-${uid(3)}` } });
    expect(mk.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_deployments',
    });

    await setRole(alice, ws.id, bob.userId, 'WORKER');
    const set = await bob.gql(
      `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
      {
        input: { flowRunId: runId, state: { type: 'PENDING' } },
      },
    );
    expect(set.data.setFlowRunState.status).toBe('ACCEPT');
    expect(
      codes(await bob.gql(`mutation($id: ID!) { deleteFlowRun(id: $id) }`, { id: runId })),
    ).toEqual(['FORBIDDEN']);

    await setRole(alice, ws.id, bob.userId, 'DEVELOPER');
    expect(
      (await bob.gql(CREATE_DEPLOYMENT, { input: { flowId, name: `b-${uid(3)}` } })).errors,
    ).toBeUndefined();
    expect(
      (await bob.gql(`mutation($id: ID!) { deleteFlowRun(id: $id) }`, { id: runId })).errors,
    ).toBeUndefined();
  });
});

describe('cascades', () => {
  const count = async (table: string, workspaceId: string) =>
    Number(
      (
        await stack.running.subgraphs
          .operations!.orm.em.fork()
          .getConnection()
          .execute(`select count(*) as n from ${table} where workspace_id = ?`, [workspaceId])
      )[0].n,
    );

  it('deleting a flow deletes its deployments and runs; deleting the workspace deletes the rest', async () => {
    const w = await createWorkspace(alice, alice.accountId);
    const keep = await createFlow(alice, w.id);
    const gone = await createFlow(alice, w.id);
    const pool = await createPool(alice, w.id);
    for (const f of [keep, gone]) {
      const d = await createDeployment(alice, f.id, {
        workPoolId: pool.id,
        schedules: [{ intervalSeconds: 60 }],
      });
      await createRun(alice, { deploymentId: d.id });
    }
    await ok(alice, `mutation($id: ID!) { deleteFlow(id: $id) }`, { id: gone.id });
    expect(await count('deployment', w.id)).toBe(1);
    expect(await count('flow_run', w.id)).toBe(1);
    await ok(alice, `mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: w.id });
    await eventually(async () => {
      for (const t of [
        'flow',
        'deployment',
        'deployment_schedule',
        'flow_run',
        'work_pool',
        'work_queue',
      ])
        expect(await count(t, w.id), t).toBe(0);
    });
  });
});
