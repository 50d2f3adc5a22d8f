import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, eventually, expectError } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { connectWs } from '../harness/ws.js';
import { createDeployment, createFlow, createPool, createRun, ok, setState } from './fixtures.js';

// What Prefect's deploy, worker and runner need of the API (issue 11): deployments saved again by
// name with their code location, name lookups, run updates by what runs them, claims that are
// never lost or shared, variables that refuse a taken name, and event subscriptions that replay
// a time window.

const UPSERT = `mutation($input: CreateDeploymentInput!) { upsertDeployment(input: $input) {
  id name version entrypoint path pullSteps tags schedules { intervalSeconds } workPool { name } workQueue { name }
} }`;
const BY_NAME = `query($w: ID!, $f: String!, $n: String!, $p: String!) { workspace(id: $w) {
  deploymentByName(flowName: $f, name: $n) { id entrypoint }
  workPoolByName(name: $p) { id name queues { name } }
} }`;
const UPDATE_RUN = `mutation($input: UpdateFlowRunInput!) { updateFlowRun(input: $input) { id name tags labels infrastructureId } }`;
const RUNS = `query($w: ID!, $f: FlowRunFilter) { workspace(id: $w) { flowRuns(first: 50, filter: $f) { edges { node { id stateName } } } } }`;
const CLAIM = `mutation($input: ClaimFlowRunsInput!) { claimFlowRuns(input: $input) { id stateName workerName } }`;
const CLAIM_D = `mutation($input: ClaimDeploymentFlowRunsInput!) { claimDeploymentFlowRuns(input: $input) { id stateType workerName } }`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
let flow: { id: string; name: string };

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
  flow = await createFlow(alice, ws.id);
});

afterAll(async () => {
  await stack?.stop();
});

describe('deployments saved by name', () => {
  it('upsertDeployment creates, then changes the same deployment; its code location is kept', async () => {
    const pool = await createPool(alice, ws.id, { name: `pool-${uid(3)}` });
    const steps = [{ 'prefect.deployments.steps.set_working_directory': { directory: '/srv' } }];
    const first = await ok(alice, UPSERT, {
      input: {
        flowId: flow.id,
        name: 'nightly',
        entrypoint: 'flows.py:nightly',
        pullSteps: steps,
        workPoolId: pool.id,
        schedules: [{ intervalSeconds: 3600 }],
        tags: ['a'],
      },
    });
    expect(first.upsertDeployment).toMatchObject({
      entrypoint: 'flows.py:nightly',
      path: null,
      pullSteps: steps,
      workPool: { name: pool.name },
      workQueue: { name: 'default' },
      schedules: [{ intervalSeconds: 3600 }],
    });
    const again = await ok(alice, UPSERT, {
      input: { flowId: flow.id, name: 'nightly', version: '2', path: '/opt/flows', tags: ['b'] },
    });
    expect(again.upsertDeployment).toMatchObject({
      id: first.upsertDeployment.id,
      version: '2',
      path: '/opt/flows',
      entrypoint: 'flows.py:nightly',
      tags: ['b'],
      schedules: [{ intervalSeconds: 3600 }],
    });

    const found = await ok(alice, BY_NAME, { w: ws.id, f: flow.name, n: 'nightly', p: pool.name });
    expect(found.workspace.deploymentByName).toEqual({
      id: first.upsertDeployment.id,
      entrypoint: 'flows.py:nightly',
    });
    expect(found.workspace.workPoolByName).toEqual({
      id: pool.id,
      name: pool.name,
      queues: [{ name: 'default' }],
    });
    const missing = await ok(alice, BY_NAME, { w: ws.id, f: flow.name, n: 'nope', p: 'nope' });
    expect(missing.workspace).toEqual({ deploymentByName: null, workPoolByName: null });
  });

  it('refuses pull steps that are not a list of objects, naming the field and saving nothing', async () => {
    const name = `bad-${uid(3)}`;
    expectError(
      await alice.gql(UPSERT, { input: { flowId: flow.id, name, pullSteps: { not: 'a list' } } }),
      'BAD_USER_INPUT',
      'pullSteps',
    );
    expectError(
      await alice.gql(UPSERT, { input: { flowId: flow.id, name, pullSteps: ['text'] } }),
      'BAD_USER_INPUT',
      'pullSteps.0',
    );
    const found = await ok(alice, BY_NAME, { w: ws.id, f: flow.name, n: name, p: 'x' });
    expect(found.workspace.deploymentByName).toBeNull();
  });
});

describe('runs as what runs them sees them', () => {
  it('updateFlowRun sets name, tags and infrastructure id and merges labels', async () => {
    const run = await createRun(alice, { flowId: flow.id, labels: { team: 'data' } });
    const d = await ok(alice, UPDATE_RUN, {
      input: {
        id: run.id,
        name: 'renamed',
        tags: ['x'],
        labels: { pid: 42 },
        infrastructureId: '4242',
      },
    });
    expect(d.updateFlowRun).toEqual({
      id: run.id,
      name: 'renamed',
      tags: ['x'],
      labels: { team: 'data', pid: 42 },
      infrastructureId: '4242',
    });
    expectError(
      await alice.gql(UPDATE_RUN, { input: { id: run.id, labels: ['not', 'an', 'object'] } }),
      'BAD_USER_INPUT',
      'labels',
    );
  });

  it('lists runs by ids and by state name', async () => {
    const a = await createRun(alice, { flowId: flow.id });
    const b = await createRun(alice, { flowId: flow.id });
    await setState(alice, b.id, { type: 'CANCELLING', name: 'Cancelling' });
    const byIds = await ok(alice, RUNS, { w: ws.id, f: { ids: [a.id, b.id, 'not-a-uuid'] } });
    expect(byIds.workspace.flowRuns.edges.map((e: any) => e.node.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    const cancelling = await ok(alice, RUNS, {
      w: ws.id,
      f: { ids: [a.id, b.id], stateNames: ['Cancelling'] },
    });
    expect(cancelling.workspace.flowRuns.edges.map((e: any) => e.node.id)).toEqual([b.id]);
  });
});

describe('claims', () => {
  it('a worker that claimed more than it started gets those runs again when it asks (offerHeld), and nobody else does', async () => {
    const pool = await createPool(alice, ws.id, { name: `claims-${uid(3)}` });
    const d = await createDeployment(alice, flow.id, { workPoolId: pool.id });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push((await createRun(alice, { deploymentId: d.id })).id);
    const first = await ok(alice, CLAIM, {
      input: { workPoolId: pool.id, workerName: 'w1', limit: 2 },
    });
    expect(first.claimFlowRuns).toHaveLength(2);
    // w1 started one of them (Submitting); the other is still only claimed.
    const started = first.claimFlowRuns[0].id;
    await setState(alice, started, { type: 'PENDING', name: 'Submitting' });
    const other = await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'w2' } });
    // Without offerHeld a claim never hands a run out twice, not even to the same worker.
    const plain = await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'w1' } });
    expect(plain.claimFlowRuns).toEqual([]);
    const again = await ok(alice, CLAIM, {
      input: { workPoolId: pool.id, workerName: 'w1', offerHeld: true },
    });
    const ids = (l: any[]) => l.map((r) => r.id).sort();
    expect(ids(other.claimFlowRuns)).toEqual([
      runs.find((r) => !ids(first.claimFlowRuns).includes(r)),
    ]);
    expect(ids(again.claimFlowRuns)).toEqual([first.claimFlowRuns[1].id]);
  });

  it("a claim reads its runs' deployment limits in one statement, however many runs, and honours them", async () => {
    const pool = await createPool(alice, ws.id, { name: `limits-${uid(3)}` });
    const free = await createDeployment(alice, flow.id, { workPoolId: pool.id });
    const capped = await createDeployment(alice, flow.id, {
      workPoolId: pool.id,
      concurrencyLimit: 2,
    });
    for (let i = 0; i < 4; i++) {
      await createRun(alice, { deploymentId: free.id });
      await createRun(alice, { deploymentId: capped.id });
    }
    const limitReads = async (limit: number) => {
      stack.counters.operations.reset(true);
      const r = await ok(alice, CLAIM, { input: { workPoolId: pool.id, workerName: 'w', limit } });
      const reads = stack.counters.operations.statements.filter((l) =>
        /select\b[^;]*concurrency_limit from deployment/i.test(l),
      );
      return { claimed: r.claimFlowRuns as { id: string }[], reads: reads.length };
    };
    const small = await limitReads(2);
    const large = await limitReads(10);
    expect(small.claimed).toHaveLength(2);
    expect(small.reads).toBe(1);
    expect(large.reads).toBe(1);
    // Six of the eight: the capped deployment's limit (2) holds the other two back.
    const runsOf = async (deploymentId: string) =>
      (await ok(alice, RUNS, { w: ws.id, f: { deploymentId } })).workspace.flowRuns.edges.filter(
        (e: any) => e.node.stateName === 'Pending',
      ).length;
    expect(small.claimed.length + large.claimed.length).toBe(6);
    expect(await runsOf(free.id)).toBe(4);
    expect(await runsOf(capped.id)).toBe(2);
  });

  it('claimDeploymentFlowRuns hands each due run of served deployments to one claimer', async () => {
    const d = await createDeployment(alice, flow.id, {});
    const due = [];
    for (let i = 0; i < 4; i++) due.push((await createRun(alice, { deploymentId: d.id })).id);
    const later = await createRun(alice, {
      deploymentId: d.id,
      state: {
        type: 'SCHEDULED',
        details: { scheduledTime: new Date(Date.now() + 3600_000).toISOString() },
      },
    });
    const claim = (name: string, limit: number) =>
      ok(alice, CLAIM_D, {
        input: { workspaceId: ws.id, deploymentIds: [d.id], claimerName: name, limit },
      });
    const [x, y] = await Promise.all([claim('runner-x', 3), claim('runner-y', 3)]);
    const got = [...x.claimDeploymentFlowRuns, ...y.claimDeploymentFlowRuns];
    expect(got.map((r: any) => r.id).sort()).toEqual([...due].sort());
    for (const r of got) expect(r.stateType).toBe('PENDING');
    expect(got.map((r: any) => r.id)).not.toContain(later.id);
    // Unstarted claims come back to their claimer only.
    const xAgain = await claim('runner-x', 10);
    expect(xAgain.claimDeploymentFlowRuns.map((r: any) => r.id).sort()).toEqual(
      x.claimDeploymentFlowRuns.map((r: any) => r.id).sort(),
    );
    expectError(
      await alice.gql(CLAIM_D, {
        input: {
          workspaceId: ws.id,
          deploymentIds: [crypto.randomUUID()],
          claimerName: 'runner-x',
        },
      }),
      'NOT_FOUND',
    );
  });
});

describe('variables and event replay', () => {
  it('createVariable refuses a taken name with CONFLICT and leaves the value', async () => {
    const CREATE = `mutation($input: SetVariableInput!) { createVariable(input: $input) { name value } }`;
    const name = `v_${uid(3)}`;
    await ok(alice, CREATE, { input: { workspaceId: ws.id, name, value: 1 } });
    expectError(
      await alice.gql(CREATE, { input: { workspaceId: ws.id, name, value: 2 } }),
      'CONFLICT',
      'name',
    );
    const v = await ok(
      alice,
      `query($w: ID!, $n: String!) { workspace(id: $w) { variableByName(name: $n) { value } } }`,
      { w: ws.id, n: name },
    );
    expect(v.workspace.variableByName.value).toBe(1);
  });

  it('an events subscription with replayFrom first delivers what occurred since then, then live events', async () => {
    const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
    const tag = uid(4);
    const emit = (name: string, occurred: Date) =>
      ok(alice, EMIT, {
        input: {
          workspaceId: ws.id,
          events: [{ event: `replay.${tag}.${name}`, occurred, resource: { id: `r.${tag}` } }],
        },
      });
    const now = Date.now();
    await emit('old', new Date(now - 10 * 60_000));
    await emit('recent', new Date(now - 60_000));
    const socket = await connectWs(stack.url, { authorization: `Bearer ${alice.token}` });
    try {
      const sub = socket.subscribe(
        `subscription($w: ID!, $f: EventFilter, $from: DateTime) { events(workspaceId: $w, filter: $f, replayFrom: $from) { event } }`,
        { w: ws.id, f: { namePrefixes: [`replay.${tag}.`] }, from: new Date(now - 5 * 60_000) },
      );
      await eventually(async () => expect(sub.results).toHaveLength(1));
      await emit('live', new Date());
      await eventually(async () =>
        expect(sub.results.map((r) => r.data!.events.event)).toEqual([
          `replay.${tag}.recent`,
          `replay.${tag}.live`,
        ]),
      );
      const bad = socket.subscribe(
        `subscription($w: ID!) { events(workspaceId: $w, replayFrom: "yesterday") { event } }`,
        { w: ws.id },
      );
      await eventually(async () =>
        expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT'),
      );
    } finally {
      await socket.dispose();
    }
  });
});
