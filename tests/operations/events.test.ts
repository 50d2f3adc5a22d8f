/**
 * The workspace event store's system events: run state changes (in order, each following the
 * previous one), deployment / work pool / work queue status changes, and audit actions; the
 * FlowRunEvent view and the gateway's backfill query.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundService } from '../../lib/background.js';
import { HandledEvent } from '../../lib/outbox.js';
import type { Grants } from '../../lib/principal.js';
import { AuditEvent } from '../../subgraphs/access/src/audit/audit-event.entity.js';
import { WORKSPACE_ROLE_PERMISSIONS } from '../../lib/permissions.js';
import { createWorkspace, eventually, expectError, join } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import {
  CREATE_TASK,
  SET_TASK_STATE,
  createDeployment,
  createFlow,
  createPool,
  createRun,
  ok,
  setState,
} from './fixtures.js';

const EVENTS = `query($id: ID!, $first: Int, $after: String, $filter: EventFilter, $order: EventOrder) {
  workspace(id: $id) { events(first: $first, after: $after, filter: $filter, order: $order) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id event occurred follows payload
      resource { id name labels } related { id role labels } } } } } }`;

const HEARTBEAT = `mutation($input: WorkerHeartbeatInput!) { workerHeartbeat(input: $input) { id } }`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
let flowId: string;
const service = (name: string): BackgroundService =>
  stack.running.subgraphs.operations!.services.find((s) => s.name === name)!;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
  flowId = (await createFlow(alice, ws.id)).id;
});
afterAll(async () => {
  await stack?.stop();
});

async function events(
  filter: Record<string, unknown>,
  opts: { first?: number; order?: string; workspaceId?: string; by?: Actor } = {},
): Promise<any[]> {
  const res = await ok(opts.by ?? alice, EVENTS, {
    id: opts.workspaceId ?? ws.id,
    first: opts.first ?? 200,
    filter,
    order: opts.order ?? 'OCCURRED_ASC',
  });
  return res.workspace.events.edges.map((e: any) => e.node);
}

const runEvents = (runId: string) => events({ resourceIds: [`flowplane.flow-run.${runId}`] });

describe('run state changes', () => {
  it('every accepted transition is an event, in order, each following the previous one', async () => {
    const pool = await createPool(alice, ws.id);
    const d = await createDeployment(alice, flowId, { workPoolId: pool.id, tags: ['nightly'] });
    const run = await createRun(alice, { deploymentId: d.id, name: 'brave-otter', retries: 1 });
    await setState(alice, run.id, { type: 'PENDING' });
    await setState(alice, run.id, { type: 'RUNNING' });
    // Refused: no event.
    expect((await setState(alice, run.id, { type: 'PENDING' })).status).toBe('REJECT');
    // A failure with a retry left: the server sets AwaitingRetry instead.
    const retried = await setState(alice, run.id, { type: 'FAILED', message: 'boom' });
    expect(retried.state.name).toBe('AwaitingRetry');
    await setState(alice, run.id, { type: 'RUNNING' });
    await setState(alice, run.id, { type: 'COMPLETED', message: 'done' });

    const list = await runEvents(run.id);
    expect(list.map((e) => e.event)).toEqual([
      'flowplane.flow-run.Scheduled',
      'flowplane.flow-run.Pending',
      'flowplane.flow-run.Running',
      'flowplane.flow-run.AwaitingRetry',
      'flowplane.flow-run.Running',
      'flowplane.flow-run.Completed',
    ]);
    expect(list[0].follows).toBeNull();
    for (let i = 1; i < list.length; i++) expect(list[i].follows).toBe(list[i - 1].id);
    expect(list[0].resource).toEqual({
      id: `flowplane.flow-run.${run.id}`,
      name: 'brave-otter',
      labels: {
        'flowplane.resource.name': 'brave-otter',
        'flowplane.state-type': 'SCHEDULED',
        'flowplane.state-name': 'Scheduled',
      },
    });
    expect(list[0].related.map((r: any) => [r.role, r.id])).toEqual([
      ['flow', `flowplane.flow.${flowId}`],
      ['deployment', `flowplane.deployment.${d.id}`],
      ['work-pool', `flowplane.work-pool.${pool.id}`],
      ['work-queue', `flowplane.work-queue.${pool.queues[0].id}`],
      ['tag', 'flowplane.tag.nightly'],
    ]);
    expect(list[0].payload).toMatchObject({
      intended: { from: null, to: 'SCHEDULED' },
      initialState: null,
      validatedState: { type: 'SCHEDULED', name: 'Scheduled' },
    });
    expect(list[3].payload).toMatchObject({
      intended: { from: 'RUNNING', to: 'FAILED' },
      initialState: { type: 'RUNNING', name: 'Running' },
      validatedState: { type: 'SCHEDULED', name: 'AwaitingRetry', message: 'boom' },
    });
    // The payload names the stored state.
    const states = await ok(alice, `query($id: ID!) { flowRun(id: $id) { states { id } } }`, {
      id: run.id,
    });
    expect(list.map((e) => e.payload.stateId)).toEqual(states.flowRun.states.map((s: any) => s.id));
  });

  it('task runs: flowplane.task-run.<State>, related to their flow run', async () => {
    const run = await createRun(alice, { flowId, state: { type: 'RUNNING' } });
    const task = (await ok(alice, CREATE_TASK, { input: { flowRunId: run.id, taskKey: 'load' } }))
      .createTaskRun;
    await ok(alice, SET_TASK_STATE, { input: { taskRunId: task.id, state: { type: 'RUNNING' } } });
    const list = await events({ resourceIds: [`flowplane.task-run.${task.id}`] });
    expect(list.map((e) => e.event)).toEqual([
      'flowplane.task-run.Pending',
      'flowplane.task-run.Running',
    ]);
    expect(list[1].follows).toBe(list[0].id);
    expect(list[0].related).toEqual([
      { id: `flowplane.flow-run.${run.id}`, role: 'flow-run', labels: {} },
    ]);
    // The run's own events relate to nothing of the task's.
    expect((await runEvents(run.id)).map((e) => e.event)).toEqual(['flowplane.flow-run.Running']);
  });

  it('background transitions (Late) are events too', async () => {
    const run = await createRun(alice, {
      flowId,
      state: { type: 'SCHEDULED', details: { scheduledTime: new Date(Date.now() - 60_000) } },
    });
    expect(await service('late-runs').runOnce(new Date())).toBeGreaterThanOrEqual(1);
    const list = await runEvents(run.id);
    expect(list.map((e) => e.event)).toEqual([
      'flowplane.flow-run.Scheduled',
      'flowplane.flow-run.Late',
    ]);
    expect(list[1].follows).toBe(list[0].id);
  });

  it('flowRunEvent reads a state event as a transition, with its run', async () => {
    const run = await createRun(alice, { flowId, state: { type: 'PENDING' } });
    await setState(alice, run.id, { type: 'RUNNING', message: 'go' });
    const [first, second] = await runEvents(run.id);
    const Q = `query($id: ID!) { flowRunEvent(id: $id) { id occurred from fromName to toName message
      event { id event } flowRun { id name stateType } } }`;
    expect((await ok(alice, Q, { id: second.id })).flowRunEvent).toEqual({
      id: second.id,
      occurred: second.occurred,
      from: 'PENDING',
      fromName: 'Pending',
      to: 'RUNNING',
      toName: 'Running',
      message: 'go',
      event: { id: second.id, event: 'flowplane.flow-run.Running' },
      flowRun: { id: run.id, name: run.name, stateType: 'RUNNING' },
    });
    expect((await ok(alice, Q, { id: first.id })).flowRunEvent).toMatchObject({
      from: null,
      fromName: null,
      to: 'PENDING',
    });
    // Another kind of event: null.
    const emitted = await ok(
      alice,
      `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`,
      {
        input: {
          workspaceId: ws.id,
          events: [
            {
              id: '6f1f5b8e-6a39-4a5e-9d36-0b8b7f6a0c11',
              event: 'acme.thing.happened',
              resource: { id: 'acme.thing.1' },
            },
          ],
        },
      },
    );
    expect(emitted.emitEvents).toBe(1);
    expect(
      (await ok(alice, Q, { id: '6f1f5b8e-6a39-4a5e-9d36-0b8b7f6a0c11' })).flowRunEvent,
    ).toBeNull();
    // Not a member: NOT_FOUND, like `event`.
    const mallory = await stack.signUp();
    expectError(await mallory.gql(Q, { id: second.id }), 'NOT_FOUND');
    // A member without see_events: FORBIDDEN.
    const custom = await ok(
      alice,
      `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
      {
        input: {
          accountId: alice.accountId,
          name: 'runs-only',
          level: 'WORKSPACE',
          permissions: ['see_flow_runs'],
        },
      },
    );
    const bob = await join(stack, alice);
    await ok(
      alice,
      `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
      {
        input: { workspaceId: ws.id, userId: bob.userId, roleId: custom.createRole.id },
      },
    );
    const denied = await bob.gql(Q, { id: second.id });
    expectError(denied, 'FORBIDDEN');
    expect(denied.errors![0]!.extensions!.permission).toBe('see_events');
  });

  it('_eventsSince (the gateway, straight to the subgraph) gives the events after one, in store order', async () => {
    const run = await createRun(alice, { flowId, state: { type: 'PENDING' } });
    await setState(alice, run.id, { type: 'RUNNING' });
    await setState(alice, run.id, { type: 'COMPLETED' });
    const [a, b, c] = await runEvents(run.id);
    const sub = stack.running.subgraphs.operations!;
    const call = async (grants: Grants | null, variables: Record<string, unknown>) =>
      sub.executeAs(
        {
          query: `query($w: ID!, $s: ID!, $l: Int!) { _eventsSince(workspaceId: $w, since: $s, limit: $l) }`,
          variables,
        },
        {
          ...(grants
            ? { principal: { type: 'user', id: alice.userId }, grants }
            : {
                principal: { type: 'system', id: 'gateway' },
                grants: { accounts: {}, workspaces: {} },
              }),
          requestId: randomUUID(),
          client: { ip: null, userAgent: null },
        },
      );
    const res = await call(null, { w: ws.id, s: a.id, l: 1000 });
    expect(res.errors).toBeUndefined();
    const after = res.data!._eventsSince as any[];
    const ofRun = after.filter((e) => e.resource.id === `flowplane.flow-run.${run.id}`);
    expect(ofRun.map((e) => e.id)).toEqual([b.id, c.id]);
    expect(ofRun[0]).toMatchObject({
      id: b.id,
      workspaceId: ws.id,
      event: 'flowplane.flow-run.Running',
      follows: a.id,
      occurred: b.occurred,
      resource: { id: `flowplane.flow-run.${run.id}` },
    });
    expect(typeof ofRun[0].received).toBe('string');
    // Limit, unknown `since`, and see_events.
    expect(
      ((await call(null, { w: ws.id, s: a.id, l: 1 })).data!._eventsSince as any[])[0].id,
    ).toBe(after[0].id);
    const unknown = await call(null, {
      w: ws.id,
      s: '00000000-0000-4000-8000-000000000000',
      l: 10,
    });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'since',
    });
    const tooMany = await call(null, { w: ws.id, s: a.id, l: 1001 });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'limit',
    });
    const grant = (permissions: string[]): Grants => ({
      accounts: {},
      workspaces: { [ws.id]: { accountId: alice.accountId, role: null, permissions } },
    });
    const forbidden = await call(grant(['see_flow_runs']), { w: ws.id, s: a.id, l: 10 });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const viewer = await call(grant(WORKSPACE_ROLE_PERMISSIONS.VIEWER), {
      w: ws.id,
      s: a.id,
      l: 10,
    });
    expect(viewer.errors).toBeUndefined();
  });
});

describe('status changes of work pools, queues and deployments', () => {
  it('pause, resume, a worker coming online and going offline are events; no change, no event', async () => {
    const own = await createWorkspace(alice, alice.accountId);
    const f = (await createFlow(alice, own.id)).id;
    const pool = await createPool(alice, own.id, { name: 'main' });
    const queue = pool.queues[0];
    const d = await createDeployment(alice, f, { workPoolId: pool.id });
    const names = async () =>
      (
        await events(
          { namePrefixes: ['flowplane.work-', 'flowplane.deployment.'] },
          { workspaceId: own.id },
        )
      ).map((e) => `${e.event} ${e.resource.name}`);
    const STATUS = `query($p: ID!, $d: ID!) { workPool(id: $p) { status queues { status } } deployment(id: $d) { status paused } }`;
    const status = async () => {
      const r = await ok(alice, STATUS, { p: pool.id, d: d.id });
      return [r.workPool.status, r.workPool.queues[0].status, r.deployment.status];
    };
    expect(await status()).toEqual(['NOT_READY', 'NOT_READY', 'NOT_READY']);
    expect(await names()).toEqual([]);

    await ok(alice, HEARTBEAT, {
      input: { workPoolId: pool.id, name: 'w1', heartbeatIntervalSeconds: 10 },
    });
    expect(await status()).toEqual(['READY', 'READY', 'READY']);
    // A second heartbeat changes nothing. Its time lies between `beat` and `beaten` (the
    // liveness checks below count from there, however slow the machine is).
    const beat = Date.now();
    await ok(alice, HEARTBEAT, {
      input: { workPoolId: pool.id, name: 'w1', heartbeatIntervalSeconds: 10 },
    });
    const beaten = Date.now();
    expect(await names()).toEqual([
      'flowplane.work-pool.ready main',
      'flowplane.work-queue.ready default',
      `flowplane.deployment.ready ${d.name}`,
    ]);

    await ok(alice, `mutation($id: ID!) { pauseDeployment(id: $id) { paused status } }`, {
      id: d.id,
    });
    await ok(alice, `mutation($id: ID!) { pauseWorkPool(id: $id) { status } }`, { id: pool.id });
    expect(await status()).toEqual(['PAUSED', 'NOT_READY', 'NOT_READY']);
    await ok(alice, `mutation($id: ID!) { resumeWorkPool(id: $id) { status } }`, { id: pool.id });
    await ok(alice, `mutation($id: ID!) { resumeDeployment(id: $id) { status } }`, { id: d.id });
    await ok(
      alice,
      `mutation($input: UpdateWorkQueueInput!) { updateWorkQueue(input: $input) { status } }`,
      { input: { id: queue.id, paused: true } },
    );
    expect(await status()).toEqual(['READY', 'PAUSED', 'NOT_READY']);
    await ok(
      alice,
      `mutation($input: UpdateWorkQueueInput!) { updateWorkQueue(input: $input) { status } }`,
      { input: { id: queue.id, paused: false } },
    );
    // The worker misses three heartbeats.
    expect(await service('worker-liveness').runOnce(new Date(beat + 25_000))).toBe(0);
    expect(await service('worker-liveness').runOnce(new Date(beaten + 31_000))).toBe(4);
    expect(await status()).toEqual(['NOT_READY', 'NOT_READY', 'NOT_READY']);
    expect(await service('worker-liveness').runOnce(new Date(beaten + 40_000))).toBe(0);

    expect((await names()).slice(3)).toEqual([
      `flowplane.deployment.paused ${d.name}`,
      // The paused deployment's status changes silently.
      'flowplane.work-pool.paused main',
      'flowplane.work-queue.not-ready default',
      'flowplane.work-pool.ready main',
      'flowplane.work-queue.ready default',
      `flowplane.deployment.ready ${d.name}`,
      'flowplane.work-queue.paused default',
      `flowplane.deployment.not-ready ${d.name}`,
      'flowplane.work-queue.ready default',
      `flowplane.deployment.ready ${d.name}`,
      'flowplane.work-pool.not-ready main',
      'flowplane.work-queue.not-ready default',
      `flowplane.deployment.not-ready ${d.name}`,
    ]);
    const [poolPaused] = await events(
      { names: ['flowplane.work-pool.paused'] },
      { workspaceId: own.id },
    );
    expect(poolPaused.payload).toEqual({ status: 'PAUSED', previousStatus: 'READY' });
    expect(poolPaused.resource.id).toBe(`flowplane.work-pool.${pool.id}`);
    const [deploymentReady] = await events(
      { names: ['flowplane.deployment.ready'] },
      { workspaceId: own.id, first: 1 },
    );
    expect(deploymentReady.related.map((r: any) => r.role)).toEqual([
      'flow',
      'work-pool',
      'work-queue',
    ]);
  });

  it('push pools are READY without workers; moving a deployment to one makes it READY', async () => {
    const own = await createWorkspace(alice, alice.accountId);
    const f = (await createFlow(alice, own.id)).id;
    const push = await createPool(alice, own.id, { name: 'cloud', type: 'cloud-run-push' });
    const d = await createDeployment(alice, f);
    expect(push.status).toBe('READY');
    await ok(
      alice,
      `mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { status } }`,
      { input: { id: d.id, workPoolId: push.id } },
    );
    expect(
      (await events({ namePrefixes: ['flowplane.deployment.'] }, { workspaceId: own.id })).map(
        (e) => e.event,
      ),
    ).toEqual(['flowplane.deployment.ready']);
    await ok(alice, `mutation($id: ID!) { deleteWorkPool(id: $id) }`, { id: push.id });
    expect(
      (await events({ namePrefixes: ['flowplane.deployment.'] }, { workspaceId: own.id })).map(
        (e) => e.event,
      ),
    ).toEqual(['flowplane.deployment.ready', 'flowplane.deployment.not-ready']);
  });
});

describe('audit actions', () => {
  it('each audit entry of the workspace becomes flowplane.audit.<action>, with its actor', async () => {
    const own = await createWorkspace(alice, alice.accountId);
    const f = await createFlow(alice, own.id, 'audited');
    await ok(
      alice,
      `mutation($input: SetEventRetentionInput!) { setEventRetention(input: $input) { id eventRetentionDays } }`,
      {
        input: { workspaceId: own.id, days: 7 },
      },
    );
    let list: any[] = [];
    await eventually(async () => {
      list = await events({ namePrefixes: ['flowplane.audit.'] }, { workspaceId: own.id });
      expect(list.map((e) => e.event)).toEqual(
        expect.arrayContaining([
          'flowplane.audit.workspace.created',
          'flowplane.audit.flow.created',
          'flowplane.audit.workspace.event-retention-set',
        ]),
      );
    }, 10_000);
    const created = list.find((e) => e.event === 'flowplane.audit.flow.created');
    expect(created.resource.id).toBe(`flowplane.flow.${f.id}`);
    expect(created.related).toEqual([
      { id: `flowplane.user.${alice.userId}`, role: 'actor', labels: {} },
      { id: `flowplane.workspace.${own.id}`, role: 'workspace', labels: {} },
    ]);
    expect(created.payload).toMatchObject({
      action: 'flow.created',
      accountId: alice.accountId,
      actor: { type: 'USER', id: alice.userId },
    });
    const retention = list.find((e) => e.event === 'flowplane.audit.workspace.event-retention-set');
    expect(retention.payload.summary).toEqual({ days: 7, previousDays: 30 });
    // The entry is in the audit log, with the same id.
    const audit = await ok(
      alice,
      `query($id: ID!) { auditEvents(accountId: $id, first: 50, filter: { actionPrefix: "flow.created" }) { edges { node { id action } } } }`,
      { id: alice.accountId },
    );
    expect(audit.auditEvents.edges.map((e: any) => e.node.id)).toContain(created.id);
    // Run activity and events are not audit entries, and audit events are stored once.
    const run = await createRun(alice, { flowId: f.id });
    await setState(alice, run.id, { type: 'PENDING' });
    await stack.running.subgraphs.access!.relay.flush();
    const again = await events({ namePrefixes: ['flowplane.audit.'] }, { workspaceId: own.id });
    expect(
      again.map((e) => e.event).filter((n) => n.includes('state') || n.includes('event.emitted')),
    ).toEqual([]);
    expect(new Set(again.map((e) => e.id)).size).toBe(again.length);
  });

  it('stored events cost the audit consumer nothing (no entry, no transaction)', async () => {
    const access = stack.running.subgraphs.access!;
    const handled = () => access.orm.em.fork().count(HandledEvent, {});
    const entries = () => access.orm.em.fork().count(AuditEvent, {});
    const [h0, e0] = [await handled(), await entries()];
    const res = await alice.gql(
      `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`,
      {
        input: {
          workspaceId: ws.id,
          events: Array.from({ length: 20 }, () => ({
            event: 'acme.quiet',
            resource: { id: 'r.1' },
          })),
        },
      },
    );
    expect(res.data.emitEvents).toBe(20);
    await stack.running.subgraphs.operations!.relay.flush();
    await access.relay.flush();
    expect([(await handled()) - h0, (await entries()) - e0]).toEqual([0, 0]);
  });
});
