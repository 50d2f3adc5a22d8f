/**
 * Automations act inside their own workspace and with no more authority than whoever saved them
 * (issue 10, C1). Tenant B's automation, fed events that name tenant A's objects, must not run,
 * pause, resume, cancel, suspend or change any of them; each such action fails with a reason in
 * B's own event store. Inside one workspace, an automation can do only what its saver may do
 * (permissions and access lists).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../harness/seed.js';
import { createWorkspace, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { auditEntriesOf, ok } from './authority-helpers.js';

let stack: Stack;
let alice: Actor; // tenant A
let bob: Actor; // tenant B
beforeAll(async () => {
  stack = await startStack();
  [alice, bob] = await Promise.all([stack.signUp(), stack.signUp()]);
});
afterAll(async () => {
  await stack?.stop();
});

const CREATE_AUTOMATION = `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { id actions { id type } } }`;
const UPDATE_AUTOMATION = `mutation($input: UpdateAutomationInput!) { updateAutomation(input: $input) { id } }`;
const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const OUTCOMES = `query($id: ID!, $names: [String!]) { workspace(id: $id) {
  events(first: 200, filter: { names: $names }, order: OCCURRED_ASC) { edges { node { event payload } } }
} }`;
const A_STATE = `query($d: ID!, $p: ID!, $a: ID!, $r: ID!, $w: ID!) {
  deployment(id: $d) { paused }
  workPool(id: $p) { paused queues { paused } }
  automation(id: $a) { enabled }
  flowRun(id: $r) { stateType stateName }
  workspace(id: $w) { flowRuns { totalCount } incidents { totalCount } }
}`;

async function objectsOf(owner: Actor) {
  const ws = (await createWorkspace(owner, owner.accountId)).id;
  const flow = (
    await ok(owner, `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`, {
      input: { workspaceId: ws, name: `f-${uid(4)}` },
    })
  ).createFlow.id as string;
  const pool = (
    await ok(
      owner,
      `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id queues { id } } }`,
      { input: { workspaceId: ws, name: `p-${uid(4)}`, type: 'process' } },
    )
  ).createWorkPool;
  const deployment = (
    await ok(
      owner,
      `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
      { input: { flowId: flow, name: `d-${uid(4)}`, workPoolId: pool.id } },
    )
  ).createDeployment.id as string;
  const run = (
    await ok(
      owner,
      `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`,
      { input: { flowId: flow, state: { type: 'RUNNING' } } },
    )
  ).createFlowRun.id as string;
  const automation = (
    await ok(owner, CREATE_AUTOMATION, {
      input: {
        workspaceId: ws,
        name: `a-${uid(4)}`,
        trigger: { event: { expect: ['never.happens'] } },
        actions: [{ type: 'DO_NOTHING' }],
      },
    })
  ).createAutomation.id as string;
  return {
    ws,
    flow,
    pool: pool.id as string,
    queue: pool.queues[0].id as string,
    deployment,
    run,
    automation,
  };
}

type Objects = Awaited<ReturnType<typeof objectsOf>>;

/** An event of B's workspace whose resource and related resources are A's objects. */
const naming = (ws: string, name: string, a: Objects) => ({
  workspaceId: ws,
  events: [
    {
      id: randomUUID(),
      event: name,
      resource: { id: `flowplane.deployment.${a.deployment}` },
      related: [
        { id: `flowplane.work-pool.${a.pool}`, role: 'work-pool' },
        { id: `flowplane.work-queue.${a.queue}`, role: 'work-queue' },
        { id: `flowplane.automation.${a.automation}`, role: 'automation' },
        { id: `flowplane.flow-run.${a.run}`, role: 'flow-run' },
      ],
    },
  ],
});

async function outcomes(by: Actor, ws: string) {
  const data = await ok(by, OUTCOMES, {
    id: ws,
    names: ['flowplane.automation.action.executed', 'flowplane.automation.action.failed'],
  });
  return data.workspace.events.edges.map(
    (e: { node: { event: string; payload: Record<string, any> } }) => ({
      outcome: e.node.event.split('.').at(-1),
      type: e.node.payload.action.type as string,
      reason: (e.node.payload.reason as string | undefined) ?? null,
    }),
  );
}

const stateOf = async (a: Objects) =>
  ok(alice, A_STATE, { d: a.deployment, p: a.pool, a: a.automation, r: a.run, w: a.ws });

describe("C1: another tenant's automation cannot act on your objects", () => {
  it('inferred targets naming objects of another workspace fail, with a reason, and change nothing', async () => {
    const a = await objectsOf(alice);
    const before = await stateOf(a);
    const wsB = (await createWorkspace(bob, bob.accountId)).id;
    const pauseLike = [
      { type: 'RUN_DEPLOYMENT', source: 'INFERRED', parameters: { evil: true } },
      { type: 'PAUSE_DEPLOYMENT', source: 'INFERRED' },
      { type: 'PAUSE_WORK_POOL', source: 'INFERRED' },
      { type: 'PAUSE_WORK_QUEUE', source: 'INFERRED' },
      { type: 'PAUSE_AUTOMATION', source: 'INFERRED' },
      { type: 'SUSPEND_FLOW_RUN', source: 'INFERRED' },
      { type: 'CANCEL_FLOW_RUN', source: 'INFERRED' },
      { type: 'CHANGE_FLOW_RUN_STATE', source: 'INFERRED', state: { type: 'FAILED' } },
      {
        type: 'DECLARE_INCIDENT',
        incident: { name: 'about {{ event.resource.id }}', severity: 'LOW' },
      },
    ];
    await ok(bob, CREATE_AUTOMATION, {
      input: {
        workspaceId: wsB,
        name: 'reach across',
        trigger: { event: { expect: ['evil.pause'] } },
        actions: pauseLike,
      },
    });
    expect((await ok(bob, EMIT, { input: naming(wsB, 'evil.pause', a) })).emitEvents).toBe(1);
    await stack.quiesce();
    expect(await stateOf(a)).toEqual(before);
    const failed = await outcomes(bob, wsB);
    expect(
      failed
        .filter((o: { outcome: string }) => o.outcome === 'executed')
        .map((o: { type: string }) => o.type),
    ).toEqual([
      // B's incident is declared in B's workspace, and relates none of A's objects.
      'DECLARE_INCIDENT',
    ]);
    const reasons = Object.fromEntries(
      failed
        .filter((o: { outcome: string }) => o.outcome === 'failed')
        .map((o: { type: string; reason: string }) => [o.type, o.reason]),
    );
    expect(reasons).toEqual({
      RUN_DEPLOYMENT: 'No such deployment in this workspace',
      PAUSE_DEPLOYMENT: 'No such deployment in this workspace',
      PAUSE_WORK_POOL: 'No such work-pool in this workspace',
      PAUSE_WORK_QUEUE: 'No such work-queue in this workspace',
      PAUSE_AUTOMATION: 'No such automation in this workspace',
      SUSPEND_FLOW_RUN: 'No such flow-run in this workspace',
      CANCEL_FLOW_RUN: 'No such flow-run in this workspace',
      CHANGE_FLOW_RUN_STATE: 'No such flow-run in this workspace',
    });
    const incidents = await ok(
      bob,
      `query($id: ID!) { workspace(id: $id) { incidents { edges { node { relatedResources { id } } } } } }`,
      { id: wsB },
    );
    expect(incidents.workspace.incidents.edges).toEqual([{ node: { relatedResources: [] } }]);
  });

  it('resume actions cannot resume what the other tenant paused', async () => {
    const a = await objectsOf(alice);
    await ok(alice, `mutation($id: ID!) { pauseDeployment(id: $id) { id } }`, { id: a.deployment });
    await ok(alice, `mutation($id: ID!) { pauseWorkPool(id: $id) { id } }`, { id: a.pool });
    await ok(
      alice,
      `mutation($input: UpdateWorkQueueInput!) { updateWorkQueue(input: $input) { id } }`,
      {
        input: { id: a.queue, paused: true },
      },
    );
    await ok(
      alice,
      `mutation($input: SetAutomationEnabledInput!) { setAutomationEnabled(input: $input) { id } }`,
      {
        input: { id: a.automation, enabled: false },
      },
    );
    await ok(
      alice,
      `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
      { input: { flowRunId: a.run, state: { type: 'PAUSED', name: 'Suspended' } } },
    );
    const before = await stateOf(a);
    expect(before.deployment.paused && before.workPool.paused && !before.automation.enabled).toBe(
      true,
    );
    const wsB = (await createWorkspace(bob, bob.accountId)).id;
    await ok(bob, CREATE_AUTOMATION, {
      input: {
        workspaceId: wsB,
        name: 'resume across',
        trigger: { event: { expect: ['evil.resume'] } },
        actions: [
          { type: 'RESUME_DEPLOYMENT', source: 'INFERRED' },
          { type: 'RESUME_WORK_POOL', source: 'INFERRED' },
          { type: 'RESUME_WORK_QUEUE', source: 'INFERRED' },
          { type: 'RESUME_AUTOMATION', source: 'INFERRED' },
          { type: 'RESUME_FLOW_RUN', source: 'INFERRED' },
        ],
      },
    });
    await ok(bob, EMIT, { input: naming(wsB, 'evil.resume', a) });
    await stack.quiesce();
    expect(await stateOf(a)).toEqual(before);
    const all = await outcomes(bob, wsB);
    expect(all.map((o: { outcome: string }) => o.outcome)).toEqual(Array(5).fill('failed'));
    expect(
      all.every((o: { reason: string }) => /^No such [a-z-]+ in this workspace$/.test(o.reason)),
    ).toBe(true);
  });

  it('explicit targets of another workspace are refused when the automation is saved', async () => {
    const a = await objectsOf(alice);
    const wsB = (await createWorkspace(bob, bob.accountId)).id;
    const targets: [string, string][] = [
      ['RUN_DEPLOYMENT', a.deployment],
      ['PAUSE_DEPLOYMENT', a.deployment],
      ['PAUSE_WORK_POOL', a.pool],
      ['RESUME_WORK_QUEUE', a.queue],
      ['PAUSE_AUTOMATION', a.automation],
      ['CANCEL_FLOW_RUN', a.run],
    ];
    for (const [type, targetId] of targets) {
      const res = await bob.gql(CREATE_AUTOMATION, {
        input: {
          workspaceId: wsB,
          name: 'named across',
          trigger: { event: { expect: ['x'] } },
          actions: [{ type, targetId }],
        },
      });
      expectError(res, 'BAD_USER_INPUT', 'actions.0.targetId');
    }
    const mine = (
      await ok(bob, CREATE_AUTOMATION, {
        input: {
          workspaceId: wsB,
          name: 'mine',
          trigger: { event: { expect: ['x'] } },
          actions: [{ type: 'DO_NOTHING' }],
        },
      })
    ).createAutomation.id;
    const res = await bob.gql(UPDATE_AUTOMATION, {
      input: { id: mine, actionsOnTrigger: [{ type: 'PAUSE_DEPLOYMENT', targetId: a.deployment }] },
    });
    expectError(res, 'BAD_USER_INPUT', 'actionsOnTrigger.0.targetId');
  });
});

describe("inside a workspace, an automation acts with its saver's authority", () => {
  let owner: Actor;
  let ws: string;
  let flow: string;
  beforeAll(async () => {
    owner = await stack.signUp();
    ws = (await createWorkspace(owner, owner.accountId, { defaultRole: null })).id;
    flow = (
      await ok(owner, `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`, {
        input: { workspaceId: ws, name: 'f' },
      })
    ).createFlow.id;
  });

  const deployment = async () =>
    (
      await ok(
        owner,
        `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
        { input: { flowId: flow, name: `d-${uid(4)}` } },
      )
    ).createDeployment.id as string;

  it('an automation cannot do what its saver may not: refused when saved, and audited', async () => {
    const roleId = (
      await ok(owner, `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`, {
        input: {
          accountId: owner.accountId,
          name: `automator-${uid(3)}`,
          level: 'WORKSPACE',
          permissions: ['manage_automations', 'write_events', 'see_deployments'],
        },
      })
    ).createRole.id;
    const automator = await join(stack, owner, 'MEMBER');
    await ok(
      owner,
      `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
      {
        input: { workspaceId: ws, userId: automator.userId, roleId },
      },
    );
    for (const action of [
      { type: 'RUN_DEPLOYMENT', source: 'INFERRED' },
      { type: 'PAUSE_DEPLOYMENT', source: 'INFERRED' },
      { type: 'CANCEL_FLOW_RUN', source: 'INFERRED' },
    ]) {
      const res = await automator.gql(CREATE_AUTOMATION, {
        input: {
          workspaceId: ws,
          name: 'more than me',
          trigger: { event: { expect: ['go'] } },
          actions: [action],
        },
      });
      expectError(res, 'FORBIDDEN');
    }
    // What it may do (a webhook-free record of the firing) is fine.
    await ok(automator, CREATE_AUTOMATION, {
      input: {
        workspaceId: ws,
        name: 'fine',
        trigger: { event: { expect: ['go'] } },
        actions: [{ type: 'DO_NOTHING' }],
      },
    });
    await stack.quiesce();
    const denied = (await auditEntriesOf(owner, owner.accountId, automator.userId)).filter((e) =>
      e.action.endsWith('.denied'),
    );
    expect(denied.map((e) => e.summary.permission).sort()).toEqual(
      ['manage_deployments', 'run_deployments', 'write_flow_runs'].sort(),
    );
  });

  it("a developer's automation cannot reach a deployment whose access list leaves the developer out", async () => {
    const closed = await deployment();
    await ok(
      owner,
      `mutation($input: SetObjectAccessInput!) { setObjectAccess(input: $input) { objectId } }`,
      {
        input: {
          objectType: 'DEPLOYMENT',
          objectId: closed,
          entries: [{ userId: owner.userId, level: 'MANAGE' }],
        },
      },
    );
    const dev = await join(stack, owner, { workspace: { id: ws, role: 'DEVELOPER' } });
    await stack.quiesce();
    await ok(dev, CREATE_AUTOMATION, {
      input: {
        workspaceId: ws,
        name: 'around the list',
        trigger: { event: { expect: ['dev.go'] } },
        actions: [
          { type: 'PAUSE_DEPLOYMENT', source: 'INFERRED' },
          { type: 'RUN_DEPLOYMENT', source: 'INFERRED' },
        ],
      },
    });
    await ok(dev, EMIT, {
      input: {
        workspaceId: ws,
        events: [{ event: 'dev.go', resource: { id: `flowplane.deployment.${closed}` } }],
      },
    });
    await stack.quiesce();
    const d = await ok(
      owner,
      `query($id: ID!, $ws: ID!) { deployment(id: $id) { paused } workspace(id: $ws) { flowRuns { totalCount } } }`,
      { id: closed, ws },
    );
    expect(d).toEqual({
      deployment: { paused: false },
      workspace: { flowRuns: { totalCount: 0 } },
    });
    const seen = (await outcomes(owner, ws)).filter((o: { type: string }) =>
      ['PAUSE_DEPLOYMENT', 'RUN_DEPLOYMENT'].includes(o.type),
    );
    expect(seen).toEqual([
      { outcome: 'failed', type: 'PAUSE_DEPLOYMENT', reason: 'Deployment not found' },
      { outcome: 'failed', type: 'RUN_DEPLOYMENT', reason: 'Deployment not found' },
    ]);
    // The owner's automation (a workspace Owner passes access lists) still can.
    await ok(owner, CREATE_AUTOMATION, {
      input: {
        workspaceId: ws,
        name: 'owner pauses',
        trigger: { event: { expect: ['owner.go'] } },
        actions: [{ type: 'PAUSE_DEPLOYMENT', targetId: closed }],
      },
    });
    await ok(owner, EMIT, {
      input: { workspaceId: ws, events: [{ event: 'owner.go', resource: { id: 'x.y' } }] },
    });
    await stack.quiesce();
    expect(
      (await ok(owner, `query($id: ID!) { deployment(id: $id) { paused } }`, { id: closed }))
        .deployment.paused,
    ).toBe(true);
  });
});
