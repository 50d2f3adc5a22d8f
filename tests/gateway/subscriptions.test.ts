import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../lib/bus.js';
import { codes } from '../harness/client.js';
import { createWorkspace, eventually, join } from '../harness/seed.js';
import { frameStats } from '../../gateway/src/subscriptions/frames.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { connectWs, type Collector, type WsConnection } from '../harness/ws.js';
import { createDeployment, createFlow, createRun, ok, setState } from '../operations/fixtures.js';

/**
 * GraphQL subscriptions over graphql-ws on the gateway's /graphql, end to end: connection
 * authentication, subscribe checks, delivery of every run state change in order and once,
 * backfill after a reconnect, cross-subgraph selections, and revocation mid-stream.
 */
let stack: Stack;
let owner: Actor;
let workspaceId: string;
let deploymentId: string;
let deploymentName: string;
const sockets: WsConnection[] = [];

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  // No default role: removing a member's binding takes their access away.
  workspaceId = (await createWorkspace(owner, owner.accountId, { defaultRole: null })).id;
  const flow = await createFlow(owner, workspaceId);
  const dep = await createDeployment(owner, flow.id);
  deploymentId = dep.id;
  deploymentName = dep.name;
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose().catch(() => undefined)));
  await stack?.stop();
});

/** Opens a socket as `token` (anonymous without), closed after the file. */
async function open(token?: string | Record<string, unknown>): Promise<WsConnection> {
  const params =
    token === undefined
      ? undefined
      : typeof token === 'string'
        ? { authorization: `Bearer ${token}` }
        : token;
  const conn = await connectWs(stack.url, params);
  sockets.push(conn);
  return conn;
}

/** Waits until the gateway registered `n` more subscriptions than `before`. */
async function registered(before: number, n = 1): Promise<void> {
  await eventually(async () => {
    expect(stack.running.gateway!.subscriptions.registered).toBeGreaterThanOrEqual(before + n);
  });
}

/** Subscribes and waits until the gateway registered the subscription. */
async function subscribe(
  conn: WsConnection,
  query: string,
  variables: Record<string, unknown>,
): Promise<Collector> {
  const before = stack.running.gateway!.subscriptions.registered;
  const c = conn.subscribe(query, variables);
  await registered(before);
  return c;
}

const RUN_EVENTS = `subscription Runs($w: ID!, $f: FlowRunEventFilter, $since: ID) {
  flowRunEvents(workspaceId: $w, filter: $f, since: $since) {
    id from to toName
    flowRun { id name deployment { name } createdBy { handle } workspace { handle } }
    event { event follows }
  }
}`;

/** The run's state history as the store keeps it (oldest first). */
async function statesOf(runId: string): Promise<string[]> {
  const d = await ok(owner, `query($id: ID!) { flowRun(id: $id) { states { type } } }`, {
    id: runId,
  });
  return (d.flowRun.states as { type: string }[]).map((s) => s.type);
}

/** Drives a run through its life: Pending, Running, Completed. */
async function runToCompletion(runId: string): Promise<void> {
  for (const type of ['PENDING', 'RUNNING', 'COMPLETED']) {
    const r = await setState(owner, runId, { type });
    expect(r.status).toBe('ACCEPT');
  }
}

describe('connecting', () => {
  it('refuses a wrong or malformed credential with 4401 (a revoked one later gets 4403)', async () => {
    for (const params of [
      { authorization: 'Bearer not-a-real-credential' },
      { authorization: 'Basic abc' },
      { token: 42 },
    ]) {
      const conn = await open(params);
      expect((await conn.closedWithin()).code).toBe(4401);
    }
  });

  it('accepts an API key in `token` and a session in `authorization`', async () => {
    const key = await ok(owner, `mutation { createApiKey(input: { name: "ws" }) { key } }`, {});
    for (const conn of [await open({ token: key.createApiKey.key }), await open(owner.token)]) {
      const sub = await subscribe(conn, RUN_EVENTS, { w: workspaceId });
      sub.stop();
    }
  });
});

describe('subscribing', () => {
  it('anonymous sockets connect, but every subscription needs a workspace permission', async () => {
    const conn = await open();
    const sub = conn.subscribe(RUN_EVENTS, { w: workspaceId });
    expect((await sub.refused()).map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('refuses a Viewer of workspace A in workspace B (NOT_FOUND), and a member without the permission (FORBIDDEN)', async () => {
    const viewer = await join(stack, owner, { workspace: { id: workspaceId, role: 'VIEWER' } });
    const other = await stack.signUp();
    const otherWorkspace = (await createWorkspace(other, other.accountId)).id;
    const conn = await open(viewer.token);
    const refused = conn.subscribe(RUN_EVENTS, { w: otherWorkspace });
    expect((await refused.refused()).map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    // The same socket still serves what the viewer may see.
    (await subscribe(conn, RUN_EVENTS, { w: workspaceId })).stop();

    const role = await ok(
      owner,
      `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
      {
        input: {
          accountId: owner.accountId,
          name: `ws-only-${uid(3)}`,
          level: 'WORKSPACE',
          permissions: ['see_workspace'],
        },
      },
    );
    const member = await join(stack, owner);
    await ok(
      owner,
      `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
      {
        input: { workspaceId, userId: member.userId, roleId: role.createRole.id },
      },
    );
    const memberConn = await open(member.token);
    for (const query of [RUN_EVENTS, `subscription($w: ID!) { events(workspaceId: $w) { id } }`]) {
      const sub = memberConn.subscribe(query, { w: workspaceId });
      const errors = await sub.refused();
      expect(errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
  });

  it('refuses documents that are not one served field within the limits (GRAPHQL_VALIDATION_FAILED for invalid ones, BAD_USER_INPUT otherwise)', async () => {
    const conn = await open(owner.token);
    const deep = `subscription($w: ID!) { flowRunEvents(workspaceId: $w) { flowRun { flow { deployments(first: 1) { edges { node { flow { deployments(first: 1) { edges { node { flow { id } } } } } } } } } } } }`;
    for (const [query, variables, code] of [
      [
        `subscription($w: ID!) { a: events(workspaceId: $w) { id } b: events(workspaceId: $w) { id } }`,
        { w: workspaceId },
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [
        `subscription($w: ID!) { events(workspaceId: $w) { nope } }`,
        { w: workspaceId },
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [`subscription($w: ID!) { events(workspaceId: $w) { id } }`, { w: null }, 'BAD_USER_INPUT'],
      [`subscription { events { id } }`, {}, 'GRAPHQL_VALIDATION_FAILED'],
      [deep, { w: workspaceId }, 'BAD_USER_INPUT'],
      [
        `subscription($w: ID!) { events(workspaceId: $w) { id`,
        { w: workspaceId },
        'BAD_USER_INPUT',
      ],
    ] as const) {
      const errors = await conn.subscribe(query, variables).refused();
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set(errors.map((e) => e.extensions?.code)), query).toEqual(new Set([code]));
    }
  });

  it('answers a subscription sent over HTTP with 400, pointing to graphql-ws', async () => {
    const res = await owner.gql(RUN_EVENTS, { w: workspaceId });
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.message).toMatch(/graphql-ws/);
  });

  it('runs queries and mutations sent on the socket like HTTP ones', async () => {
    const conn = await open(owner.token);
    const result = await new Promise<any>((resolve, reject) =>
      conn.client.subscribe(
        { query: `query($id: ID!) { workspace(id: $id) { id } }`, variables: { id: workspaceId } },
        { next: resolve, error: reject, complete: () => undefined },
      ),
    );
    expect(result.data.workspace.id).toBe(workspaceId);
  });
});

describe('delivering', () => {
  it('delivers every state change of a run, in order, once, with fields of other subgraphs', async () => {
    const conn = await open(owner.token);
    const sub = await subscribe(conn, RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    const run = await createRun(owner, { deploymentId });
    await runToCompletion(run.id);
    const states = await statesOf(run.id);
    expect(states).toEqual(['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED']);
    const results = await sub.waitFor(states.length);
    // Nothing more arrives: a later run's events are the next ones.
    const next = await createRun(owner, { deploymentId });
    await sub.waitFor(states.length + 1);
    const mine = sub.results
      .map((r) => r.data!.flowRunEvents)
      .filter((e) => e.flowRun.id === run.id);
    expect(sub.results.slice(states.length)[0]!.data!.flowRunEvents.flowRun.id).toBe(next.id);
    expect(mine.map((e) => e.to)).toEqual(states);
    expect(new Set(mine.map((e) => e.id)).size).toBe(states.length);
    expect(mine.map((e) => e.from)).toEqual([null, ...states.slice(0, -1)]);
    // Each event follows the previous one of the run.
    expect(mine.slice(1).map((e) => e.event.follows)).toEqual(mine.slice(0, -1).map((e) => e.id));
    expect(results[0]!.data!.flowRunEvents.flowRun).toMatchObject({
      deployment: { name: deploymentName },
      createdBy: { handle: owner.handle },
      workspace: { handle: expect.any(String) },
    });
    expect(results.every((r) => r.errors === undefined)).toBe(true);
  });

  it('keeps the client’s alias, fragments and the variables its selection set uses', async () => {
    const run = await createRun(owner, { deploymentId });
    const sub = await subscribe(
      await open(owner.token),
      `subscription Watch($w: ID!, $f: FlowRunEventFilter, $withName: Boolean!) {
        runs: flowRunEvents(workspaceId: $w, filter: $f) { ...Change }
      }
      fragment Change on FlowRunEvent { to flowRun { id name @include(if: $withName) } }`,
      { w: workspaceId, f: { flowRunIds: [run.id] }, withName: true },
    );
    await setState(owner, run.id, { type: 'PENDING' });
    const [first] = await sub.waitFor(1);
    expect(first!.data).toEqual({
      runs: { to: 'PENDING', flowRun: { id: run.id, name: run.name } },
    });
  });

  it('filters by run and state type, and serves identical subscribers from one execution per event', async () => {
    const conn = await open(owner.token);
    const run = await createRun(owner, { deploymentId });
    const byState = await subscribe(conn, RUN_EVENTS, {
      w: workspaceId,
      f: { flowRunIds: [run.id], stateTypes: ['RUNNING', 'COMPLETED'] },
    });
    const twins: Collector[] = [];
    for (let i = 0; i < 3; i++) {
      twins.push(
        await subscribe(conn, RUN_EVENTS, { w: workspaceId, f: { flowRunIds: [run.id] } }),
      );
    }
    const engine = stack.running.gateway!.subscriptions;
    const before = engine.executions;
    const frames = { ...frameStats };
    await runToCompletion(run.id);
    const all = await Promise.all(twins.map((t) => t.waitFor(3)));
    expect((await byState.waitFor(2)).map((r) => r.data!.flowRunEvents.to)).toEqual([
      'RUNNING',
      'COMPLETED',
    ]);
    for (const list of all) {
      expect(list.map((r) => r.data!.flowRunEvents.to)).toEqual([
        'PENDING',
        'RUNNING',
        'COMPLETED',
      ]);
    }
    // Same selection set, same identity: one execution per event serves all four, and its
    // result is serialised once for the four sockets (3 events × 3 twins + 2 for byState; open
    // subscriptions of earlier tests with the same identity and query may share it too).
    expect(engine.executions - before).toBe(3);
    expect(frameStats.serialised - frames.serialised).toBe(3);
    expect(frameStats.sent - frames.sent).toBeGreaterThanOrEqual(11);
  });

  it('backfills after a reconnect with `since`, then continues live, without duplicates', async () => {
    const first = await open(owner.token);
    const run = await createRun(owner, { deploymentId });
    const filter = { flowRunIds: [run.id] };
    const sub = await subscribe(first, RUN_EVENTS, { w: workspaceId, f: filter });
    await setState(owner, run.id, { type: 'PENDING' });
    const [seen] = await sub.waitFor(1);
    await first.dispose();
    // Missed while disconnected.
    await setState(owner, run.id, { type: 'RUNNING' });
    const again = await open(owner.token);
    const resumed = await subscribe(again, RUN_EVENTS, {
      w: workspaceId,
      f: filter,
      since: seen!.data!.flowRunEvents.id,
    });
    await setState(owner, run.id, { type: 'COMPLETED' });
    const got = await resumed.waitFor(2);
    expect(got.map((r) => r.data!.flowRunEvents.to)).toEqual(['RUNNING', 'COMPLETED']);
    expect(await statesOf(run.id)).toEqual(['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED']);
    // A resubscription from the same point while events flow delivers the same, once each.
    const third = await subscribe(again, RUN_EVENTS, {
      w: workspaceId,
      f: filter,
      since: seen!.data!.flowRunEvents.id,
    });
    expect((await third.waitFor(2)).map((r) => r.data!.flowRunEvents.id)).toEqual(
      got.map((r) => r.data!.flowRunEvents.id),
    );
    const ids = resumed.results.map((r) => r.data!.flowRunEvents.id);
    expect(ids.length).toBe(2);
    expect(ids).not.toContain(seen!.data!.flowRunEvents.id);
  });

  it('delivers incident changes in order with the actor from the users subgraph', async () => {
    const viewer = await join(stack, owner, { workspace: { id: workspaceId, role: 'VIEWER' } });
    const sub = await subscribe(
      await open(viewer.token),
      `subscription($w: ID!) {
        incidentChanges(workspaceId: $w) {
          id kind field to incident { id name status } actor { user { handle } }
        }
      }`,
      { w: workspaceId },
    );
    const declared = await ok(
      owner,
      `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }`,
      { input: { workspaceId, name: 'Queue stuck', severity: 'HIGH' } },
    );
    const id = declared.declareIncident.id as string;
    await ok(
      owner,
      `mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { id } }`,
      {
        input: { id, name: 'Queue stuck again' },
      },
    );
    await ok(owner, `mutation($id: ID!) { resolveIncident(id: $id) { id } }`, { id });
    const changes = (await sub.waitFor(3)).map((r) => r.data!.incidentChanges);
    expect(changes.map((c) => [c.kind, c.field])).toEqual([
      ['DECLARED', null],
      ['UPDATED', 'name'],
      ['RESOLVED', null],
    ]);
    expect(changes[1].to).toBe('Queue stuck again');
    expect(changes.every((c) => c.incident.id === id && c.actor.user.handle === owner.handle)).toBe(
      true,
    );
    expect(changes[2].incident.status).toBe('RESOLVED');
  });

  it('delivers emitted events that match the filter, in order', async () => {
    const sub = await subscribe(
      await open(owner.token),
      `subscription($w: ID!, $f: EventFilter) {
        events(workspaceId: $w, filter: $f) { event resource { id name } payload }
      }`,
      {
        w: workspaceId,
        f: { namePrefixes: ['acme.deploy.'], labels: [{ name: 'env', values: ['prod'] }] },
      },
    );
    const resource = (env: string) => ({
      id: 'acme.service.api',
      labels: { env, 'flowplane.resource.name': 'API' },
    });
    const emitted = await ok(
      owner,
      `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`,
      {
        input: {
          workspaceId,
          events: [
            { event: 'acme.deploy.started', resource: resource('prod'), payload: { n: 1 } },
            { event: 'acme.deploy.started', resource: resource('dev'), payload: { n: 2 } },
            { event: 'acme.build.done', resource: resource('prod'), payload: { n: 3 } },
            { event: 'acme.deploy.done', resource: resource('prod'), payload: { n: 4 } },
          ],
        },
      },
    );
    expect(emitted.emitEvents).toBe(4);
    // The store publishes in order: a non-matching event delivered would precede the last one.
    const got = (await sub.waitFor(2)).map((r) => r.data!.events);
    expect(sub.results.length).toBe(2);
    expect(got).toEqual([
      {
        event: 'acme.deploy.started',
        resource: { id: 'acme.service.api', name: 'API' },
        payload: { n: 1 },
      },
      {
        event: 'acme.deploy.done',
        resource: { id: 'acme.service.api', name: 'API' },
        payload: { n: 4 },
      },
    ]);
  });

  it('an event published twice on the bus (an outbox re-send) is delivered once', async () => {
    const published: DomainEvent[] = [];
    const stopListening = stack.running.bus.subscribeBroadcast((e) => {
      if (e.type === 'event.emitted') published.push(e);
    });
    try {
      const sub = await subscribe(
        await open(owner.token),
        `subscription($w: ID!) { events(workspaceId: $w, filter: { names: ["acme.twice"] }) { id payload } }`,
        { w: workspaceId },
      );
      const emit = (n: number) =>
        ok(owner, `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
          input: {
            workspaceId,
            events: [{ event: 'acme.twice', resource: { id: 'acme.job.1' }, payload: { n } }],
          },
        });
      await emit(1);
      const [first] = await sub.waitFor(1);
      const original = published.find(
        (e) => (e.payload as { event: { id: string } }).event.id === first!.data!.events.id,
      )!;
      await stack.running.bus.publish([{ ...original, id: crypto.randomUUID() }]);
      await emit(2);
      await sub.waitFor(2);
      expect(sub.results.map((r) => r.data!.events.payload.n)).toEqual([1, 2]);
    } finally {
      stopListening();
    }
  });

  it('a `since` that is not an event of the workspace ends the subscription with BAD_USER_INPUT', async () => {
    const conn = await open(owner.token);
    const sub = conn.subscribe(RUN_EVENTS, { w: workspaceId, since: crypto.randomUUID() });
    expect((await sub.refused()).map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('revoking', () => {
  it('a subscriber whose role is removed mid-stream gets no further event and is disconnected (4403)', async () => {
    const viewer = await join(stack, owner, { workspace: { id: workspaceId, role: 'VIEWER' } });
    const conn = await open(viewer.token);
    const sub = await subscribe(conn, RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    const watcher = await subscribe(await open(owner.token), RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    await createRun(owner, { deploymentId });
    await sub.waitFor(1);
    await ok(
      owner,
      `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`,
      { input: { workspaceId, userId: viewer.userId } },
    );
    expect((await conn.closedWithin()).code).toBe(4403);
    const delivered = sub.results.length;
    await createRun(owner, { deploymentId });
    await watcher.waitFor(2);
    expect(sub.results.length).toBe(delivered);
  });

  it('revoking the API key closes the socket with 4403', async () => {
    const created = await ok(
      owner,
      `mutation { createApiKey(input: { name: "revoked" }) { key apiKey { id } } }`,
      {},
    );
    const conn = await open(created.createApiKey.key);
    await subscribe(conn, RUN_EVENTS, { w: workspaceId });
    await ok(owner, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
      id: created.createApiKey.apiKey.id,
    });
    expect((await conn.closedWithin()).code).toBe(4403);
  });
});
