import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, eventually, expectError } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import {
  AUTOMATION,
  automationState,
  createAutomation,
  CREATE_AUTOMATION,
  emit,
  service,
  settle,
  storedEvents,
  UPDATE_AUTOMATION,
} from './automation-fixtures.js';
import { createDeployment, createFlow, createPool, createRun, ok, setState } from './fixtures.js';

const TRIGGERED = 'flowplane.automation.triggered';
const RESOLVED = 'flowplane.automation.resolved';
const EXECUTED = 'flowplane.automation.action.executed';
const FAILED = 'flowplane.automation.action.failed';

let stack: Stack;
let alice: Actor;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

async function workspace() {
  return (await createWorkspace(alice, alice.accountId)).id;
}

/** A client-style event about sensor `sensor` of workspace `ws`. */
const sensorEvent = (
  ws: string,
  name: string,
  sensor: string,
  extra: Record<string, unknown> = {},
) => ({
  workspaceId: ws,
  event: name,
  resource: { id: `acme.sensor.${sensor}`, labels: { 'acme.zone': 'north' } },
  ...extra,
});

/** Emits client events through the API (`emitEvents`); returns the id given to the last. */
async function send(e: {
  workspaceId: string;
  event: string;
  resource: { id: string; labels?: Record<string, string> };
  occurred?: Date;
}): Promise<string> {
  const id = randomUUID();
  const res = await ok(alice, `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
    input: {
      workspaceId: e.workspaceId,
      events: [{ id, event: e.event, resource: e.resource, occurred: e.occurred?.toISOString() }],
    },
  });
  expect(res.emitEvents).toBe(1);
  return id;
}

const reactive = (over: Record<string, unknown> = {}) => ({
  event: {
    match: { ids: ['acme.sensor.*'] },
    expect: ['acme.sensor.alert'],
    posture: 'REACTIVE',
    threshold: 3,
    withinSeconds: 60,
    ...over,
  },
});

describe('automations: CRUD and validation', () => {
  it('creates, reads, lists, updates, disables and deletes an automation', async () => {
    const ws = await workspace();
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'Alerts storm',
      description: 'Three alerts in a minute',
      trigger: reactive({ forEach: ['flowplane.resource.id'], resolveOn: ['acme.sensor.ok'] }),
      actions: [{ type: 'DO_NOTHING' }],
    });
    expect(a).toMatchObject({
      name: 'Alerts storm',
      description: 'Three alerts in a minute',
      enabled: true,
      trigger: {
        __typename: 'EventTrigger',
        match: { ids: ['acme.sensor.*'], labels: [] },
        matchRelated: [],
        after: [],
        expect: ['acme.sensor.alert'],
        forEach: ['flowplane.resource.id'],
        posture: 'REACTIVE',
        threshold: 3,
        withinSeconds: 60,
        resolveOn: ['acme.sensor.ok'],
      },
      actions: [{ type: 'DO_NOTHING', source: 'SELECTED', targetId: null }],
      actionsOnTrigger: [],
      actionsOnResolve: [],
      state: { triggered: false, buckets: [] },
    });
    const list = await ok(
      alice,
      `query($id: ID!) { workspace(id: $id) {
        all: automations { totalCount edges { node { id } } }
        named: automations(filter: { namePrefix: "Alerts" }) { totalCount }
        other: automations(filter: { namePrefix: "Other" }) { totalCount }
        disabled: automations(filter: { enabled: false }) { totalCount } } }`,
      { id: ws },
    );
    expect(list.workspace.all.totalCount).toBe(1);
    expect(list.workspace.all.edges[0].node.id).toBe(a.id);
    expect(list.workspace.named.totalCount).toBe(1);
    expect(list.workspace.other.totalCount).toBe(0);
    expect(list.workspace.disabled.totalCount).toBe(0);

    const updated = (
      await ok(alice, UPDATE_AUTOMATION, {
        input: {
          id: a.id,
          name: 'Alert storm',
          trigger: {
            compound: {
              require: 'AT_LEAST',
              atLeast: 1,
              withinSeconds: 30,
              triggers: [reactive().event && { event: { expect: ['acme.x'] } }],
            },
          },
          actionsOnResolve: [{ type: 'DO_NOTHING' }],
        },
      })
    ).updateAutomation;
    expect(updated).toMatchObject({
      name: 'Alert storm',
      trigger: {
        __typename: 'CompoundTrigger',
        require: 'AT_LEAST',
        atLeast: 1,
        withinSeconds: 30,
        triggers: [{ __typename: 'EventTrigger', expect: ['acme.x'], threshold: 1 }],
      },
      actions: [{ type: 'DO_NOTHING', id: a.actions[0].id }],
      actionsOnResolve: [{ type: 'DO_NOTHING' }],
    });

    const disabled = await ok(
      alice,
      `mutation($input: SetAutomationEnabledInput!) { setAutomationEnabled(input: $input) { id enabled } }`,
      { input: { id: a.id, enabled: false } },
    );
    expect(disabled.setAutomationEnabled.enabled).toBe(false);

    const deleted = await ok(alice, `mutation($id: ID!) { deleteAutomation(id: $id) }`, {
      id: a.id,
    });
    expect(deleted.deleteAutomation).toBe(a.id);
    expectError(await alice.gql(AUTOMATION, { id: a.id }), 'NOT_FOUND');
    // Every change is in the account's audit log, attributed to alice.
    await eventually(async () => {
      const audit = await ok(
        alice,
        `query($accountId: ID!, $filter: AuditEventFilter) { auditEvents(accountId: $accountId, filter: $filter) {
          edges { node { action resourceType resourceId actor { id } } } } }`,
        { accountId: alice.accountId, filter: { resourceId: a.id } },
      );
      expect(audit.auditEvents.edges.map((e: any) => e.node.action).sort()).toEqual([
        'automation.created',
        'automation.deleted',
        'automation.disabled',
        'automation.updated',
      ]);
      expect(
        audit.auditEvents.edges.every(
          (e: any) => e.node.resourceType === 'automation' && e.node.actor.id === alice.userId,
        ),
      ).toBe(true);
    });
  });

  it('refuses invalid automations with the field at fault', async () => {
    const ws = await workspace();
    const other = await workspace();
    const otherDeployment = await createDeployment(alice, (await createFlow(alice, other)).id);
    const base = {
      workspaceId: ws,
      name: 'x',
      trigger: reactive(),
      actions: [{ type: 'DO_NOTHING' }],
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ name: ' ' }, 'name'],
      [{ trigger: { event: {}, sequence: { withinSeconds: 1, triggers: [] } } }, 'trigger'],
      [{ trigger: {} }, 'trigger'],
      [{ trigger: reactive({ threshold: 0 }) }, 'trigger.event.threshold'],
      [{ trigger: reactive({ withinSeconds: 0 }) }, 'trigger.event.withinSeconds'],
      [{ trigger: reactive({ expect: ['acme.*.alert'] }) }, 'trigger.event.expect.0'],
      [
        { trigger: reactive({ threshold: 1, withinSeconds: 0, after: ['acme.start'] }) },
        'trigger.event.withinSeconds',
      ],
      [
        { trigger: reactive({ posture: 'PROACTIVE', withinSeconds: 5 }) },
        'trigger.event.withinSeconds',
      ],
      [
        { trigger: reactive({ posture: 'PROACTIVE', forEach: ['flowplane.resource.id'] }) },
        'trigger.event.forEach',
      ],
      [
        {
          trigger: {
            compound: {
              require: 'ALL',
              withinSeconds: 10,
              triggers: [
                {
                  sequence: {
                    withinSeconds: 10,
                    triggers: [
                      { compound: { require: 'ANY', withinSeconds: 1, triggers: [reactive()] } },
                    ],
                  },
                },
              ],
            },
          },
        },
        'trigger.compound.triggers.0.sequence.triggers.0.compound',
      ],
      [
        {
          trigger: {
            compound: {
              require: 'ANY',
              withinSeconds: 10,
              triggers: [reactive(), reactive({ forEach: ['acme.zone'] })],
            },
          },
        },
        'trigger.compound.triggers.1',
      ],
      [
        {
          trigger: {
            compound: {
              require: 'AT_LEAST',
              atLeast: 3,
              withinSeconds: 10,
              triggers: [reactive(), reactive()],
            },
          },
        },
        'trigger.compound.atLeast',
      ],
      [{ actions: [] }, 'actions'],
      [{ actions: [{ type: 'PAUSE_DEPLOYMENT' }] }, 'actions.0.targetId'],
      [
        { actions: [{ type: 'PAUSE_DEPLOYMENT', targetId: otherDeployment.id }] },
        'actions.0.targetId',
      ],
      [{ actions: [{ type: 'PAUSE_DEPLOYMENT', targetId: 'nope' }] }, 'actions.0.targetId'],
      [
        { actions: [{ type: 'PAUSE_DEPLOYMENT', source: 'INFERRED', parameters: { a: 1 } }] },
        'actions.0.parameters',
      ],
      [{ actions: [{ type: 'DO_NOTHING', targetId: otherDeployment.id }] }, 'actions.0.targetId'],
      [{ actions: [{ type: 'CHANGE_FLOW_RUN_STATE', source: 'INFERRED' }] }, 'actions.0.state'],
      [{ actionsOnResolve: [{ type: 'CALL_WEBHOOK' }] }, 'actionsOnResolve.0.webhook'],
      [
        { actions: [{ type: 'CALL_WEBHOOK', webhook: { url: 'ftp://example.com/x' } }] },
        'actions.0.webhook.url',
      ],
      [
        {
          actions: [
            {
              type: 'CALL_WEBHOOK',
              webhook: { url: 'https://example.com/', body: '{"a": {{ x }' },
            },
          ],
        },
        'actions.0.webhook.body',
      ],
      [
        {
          actions: [
            {
              type: 'CALL_WEBHOOK',
              webhook: { url: 'https://example.com/', body: '{"a": {{ event.id }}' },
            },
          ],
        },
        'actions.0.webhook.body',
      ],
      [
        {
          actions: [
            { type: 'CALL_WEBHOOK', webhook: { url: 'https://example.com/', secret: 'short' } },
          ],
        },
        'actions.0.webhook.secret',
      ],
      [
        {
          actions: [
            {
              type: 'CALL_WEBHOOK',
              webhook: { url: 'https://example.com/', headers: { Host: 'x' } },
            },
          ],
        },
        'actions.0.webhook.headers.Host',
      ],
      [
        {
          actions: [
            { type: 'SEND_NOTIFICATION', webhook: { url: 'https://example.com/', body: 'b' } },
          ],
        },
        'actions.0.webhook.subject',
      ],
    ];
    for (const [over, field] of cases) {
      const res = await alice.gql(CREATE_AUTOMATION, { input: { ...base, ...over } });
      expectError(res, 'BAD_USER_INPUT', field);
    }
    const list = await ok(
      alice,
      `query($id: ID!) { workspace(id: $id) { automations { totalCount } } }`,
      { id: ws },
    );
    expect(list.workspace.automations.totalCount).toBe(0);
  });

  it('never shows a webhook secret, keeps it across updates that name the action, and drops it on ""', async () => {
    const ws = await workspace();
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'hook',
      trigger: reactive({ threshold: 1 }),
      actions: [
        {
          type: 'CALL_WEBHOOK',
          webhook: { url: 'https://example.com/hook', secret: 's'.repeat(32) },
        },
      ],
    });
    expect(a.actions[0].webhook).toEqual({
      url: 'https://example.com/hook',
      method: 'POST',
      headers: {},
      contentType: 'application/json',
      body: null,
      subject: null,
      hasSecret: true,
    });
    expect(JSON.stringify(a)).not.toContain('s'.repeat(32));
    const kept = await ok(alice, UPDATE_AUTOMATION, {
      input: {
        id: a.id,
        actions: [
          { id: a.actions[0].id, type: 'CALL_WEBHOOK', webhook: { url: 'https://example.com/v2' } },
        ],
      },
    });
    expect(kept.updateAutomation.actions[0]).toMatchObject({
      id: a.actions[0].id,
      webhook: { url: 'https://example.com/v2', hasSecret: true },
    });
    const fresh = await ok(alice, UPDATE_AUTOMATION, {
      input: {
        id: a.id,
        actions: [{ type: 'CALL_WEBHOOK', webhook: { url: 'https://example.com/v3' } }],
      },
    });
    expect(fresh.updateAutomation.actions[0].webhook.hasSecret).toBe(false);
    expectError(
      await alice.gql(UPDATE_AUTOMATION, {
        input: { id: a.id, actions: [{ id: a.actions[0].id, type: 'DO_NOTHING' }] },
      }),
      'BAD_USER_INPUT',
      'actions.0.id',
    );
  });
});

describe('automations: REACTIVE triggers', () => {
  it('threshold 3 within 60 s fires once for 3 matching events, not for 2', async () => {
    const ws = await workspace();
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'storm',
      trigger: reactive(),
      actions: [{ type: 'DO_NOTHING' }],
    });
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000);
    await send(sensorEvent(ws, 'acme.sensor.alert', 'a', { occurred: at(0) }));
    // Not expected, not matching: neither counts.
    await send(sensorEvent(ws, 'acme.sensor.ok', 'a', { occurred: at(1) }));
    await send({
      workspaceId: ws,
      event: 'acme.sensor.alert',
      resource: { id: 'acme.pump.1' },
    });
    await send(sensorEvent(ws, 'acme.sensor.alert', 'b', { occurred: at(2) }));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    expect((await automationState(alice, a.id)).buckets).toMatchObject([
      { triggerPath: 't', key: [], count: 2, triggered: false, firedAt: null },
    ]);

    const third = await emit(
      stack,
      sensorEvent(ws, 'acme.sensor.alert', 'c', { occurred: at(59) }),
    );
    await settle(stack);
    const fired = await storedEvents(stack, ws, [TRIGGERED]);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      resource: {
        id: `flowplane.automation.${a.id}`,
        labels: { 'flowplane.resource.name': 'storm' },
      },
      related: [{ id: 'acme.sensor.c', role: 'resource' }],
      payload: { automationId: a.id, triggeringEventId: third, key: [] },
    });
    const state = await automationState(alice, a.id);
    expect(state.triggered).toBe(true);
    expect(state.buckets[0]).toMatchObject({ count: 0, windowStart: null, triggered: true });

    // Two more open a new window and do not fire again.
    await send(sensorEvent(ws, 'acme.sensor.alert', 'a', { occurred: at(60) }));
    await send(sensorEvent(ws, 'acme.sensor.alert', 'a', { occurred: at(61) }));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
    expect((await automationState(alice, a.id)).buckets[0]!.count).toBe(2);
    // Out of the window (61 s after its start): a new window, still one firing.
    await send(sensorEvent(ws, 'acme.sensor.alert', 'a', { occurred: at(122) }));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
    expect((await automationState(alice, a.id)).buckets[0]!.count).toBe(1);
    // The DO_NOTHING action was announced once, after the firing it follows.
    const executed = await storedEvents(stack, ws, [EXECUTED]);
    expect(executed).toHaveLength(1);
    expect(executed[0]).toMatchObject({
      follows: fired[0]!.id,
      payload: { action: { type: 'DO_NOTHING' }, firing: 'triggered', triggeringEventId: third },
    });
  });

  it('with `after`, only expected events after the opening event count', async () => {
    const ws = await workspace();
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'errors after a deploy',
      trigger: reactive({ after: ['acme.sensor.deployed'], threshold: 2 }),
      actions: [{ type: 'DO_NOTHING' }],
    });
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    await emit(stack, sensorEvent(ws, 'acme.sensor.deployed', 'a'));
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
    // The firing closed the window: alerts count again only after the next deploy.
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
  });

  it('forEach splits buckets; resolveOn resolves only its own key', async () => {
    const ws = await workspace();
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'per sensor',
      trigger: reactive({
        threshold: 2,
        forEach: ['flowplane.resource.id'],
        resolveOn: ['acme.sensor.ok'],
      }),
      actions: [{ type: 'DO_NOTHING' }],
      actionsOnResolve: [{ type: 'DO_NOTHING' }],
    });
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'b'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    const fired = await storedEvents(stack, ws, [TRIGGERED]);
    expect(fired.map((e) => e.payload.key)).toEqual([['acme.sensor.a']]);
    const buckets = (await automationState(alice, a.id)).buckets;
    expect(buckets.map((b) => [b.key[0], b.count, b.triggered]).sort()).toEqual([
      ['acme.sensor.a', 0, true],
      ['acme.sensor.b', 1, false],
    ]);
    // An "ok" of b resolves nothing (b never fired); an "ok" of a resolves a's firing.
    await emit(stack, sensorEvent(ws, 'acme.sensor.ok', 'b'));
    await emit(stack, sensorEvent(ws, 'acme.sensor.ok', 'a'));
    await settle(stack);
    const resolved = await storedEvents(stack, ws, [RESOLVED]);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      follows: fired[0]!.id,
      payload: { key: ['acme.sensor.a'] },
    });
    expect((await automationState(alice, a.id)).triggered).toBe(false);
    const onResolve = (await storedEvents(stack, ws, [EXECUTED])).filter(
      (e) => e.payload.firing === 'resolved',
    );
    expect(onResolve).toHaveLength(1);
  });

  it('drops idle buckets a day after their window, keeping unresolved firings', async () => {
    const ws = await workspace();
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'many keys',
      trigger: reactive({
        threshold: 2,
        forEach: ['flowplane.resource.id'],
        resolveOn: ['acme.sensor.ok'],
      }),
      actions: [{ type: 'DO_NOTHING' }],
    });
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'open'));
    for (const sensor of ['fired', 'fired', 'resolved', 'resolved'])
      await emit(stack, sensorEvent(ws, 'acme.sensor.alert', sensor));
    await emit(stack, sensorEvent(ws, 'acme.sensor.ok', 'resolved'));
    const keys = async () =>
      (await automationState(alice, a.id)).buckets.map((b) => b.key[0]).sort();
    expect(await keys()).toEqual(['acme.sensor.fired', 'acme.sensor.open', 'acme.sensor.resolved']);
    await service(stack, 'automation-windows').runOnce(new Date(Date.now() + 3_600_000));
    expect(await keys()).toHaveLength(3);
    await service(stack, 'automation-windows').runOnce(new Date(Date.now() + 2 * 86_400_000));
    expect(await keys()).toEqual(['acme.sensor.fired']);
  });

  it('an automation never reacts to its own events; a chain of automations stops', async () => {
    const ws = await workspace();
    const watcher = await createAutomation(alice, {
      workspaceId: ws,
      name: 'watch automations',
      trigger: {
        event: { match: { ids: ['flowplane.automation.*'] }, expect: ['flowplane.automation.*'] },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const other = await createAutomation(alice, {
      workspaceId: ws,
      name: 'other',
      trigger: reactive({ threshold: 1 }),
      actions: [{ type: 'DO_NOTHING' }],
    });
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    await settle(stack);
    const triggered = await storedEvents(stack, ws, [TRIGGERED]);
    const by = (id: string) => triggered.filter((e) => e.payload.automationId === id);
    // `other` fired once (its own events and the watcher's are not sensor alerts); the watcher
    // fired on other's triggered and executed events, never on its own.
    expect(by(other.id)).toHaveLength(1);
    expect(by(watcher.id)).toHaveLength(2);
    expect(
      by(watcher.id)
        .map((e) => e.payload.triggeringEvent)
        .sort(),
    ).toEqual([EXECUTED, TRIGGERED]);
    expect(by(watcher.id).every((e) => e.payload.depth === 1)).toBe(true);
  });
});

describe('automations: PROACTIVE triggers', () => {
  it('fires when the expected event does not arrive within the window, and resolves when it does', async () => {
    const ws = await workspace();
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'heartbeat',
      trigger: {
        event: {
          match: { ids: ['acme.sensor.*'] },
          expect: ['acme.sensor.heartbeat'],
          posture: 'PROACTIVE',
          threshold: 1,
          withinSeconds: 60,
        },
      },
      actions: [{ type: 'DO_NOTHING' }],
      actionsOnResolve: [{ type: 'DO_NOTHING' }],
    });
    const windows = service(stack, 'automation-windows');
    const [bucket] = (await automationState(alice, a.id)).buckets;
    expect(bucket).toMatchObject({ triggerPath: 't', count: 0, triggered: false });
    const end = Date.parse(bucket!.windowEnd!);
    // Before the window's end nothing happens.
    await windows.runOnce(new Date(end - 5_000));
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    expect(await windows.runOnce(new Date(end + 5_000))).toBeGreaterThanOrEqual(1);
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
    // The next window opened; judging the same moment again fires nothing more.
    await windows.runOnce(new Date(end + 5_000));
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
    await emit(stack, sensorEvent(ws, 'acme.sensor.heartbeat', 'a'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [RESOLVED])).toHaveLength(1);
    const state = await automationState(alice, a.id);
    expect(state.triggered).toBe(false);
    expect(state.buckets[0]!.count).toBe(1);
    // A window that got its heartbeat does not fire.
    expect(await windows.runOnce(new Date(Date.parse(state.buckets[0]!.windowEnd!) + 5_000))).toBe(
      0,
    );
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
  });

  it('with `after`, each key waits for its expected event (one firing per missing one)', async () => {
    const ws = await workspace();
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'jobs finish',
      trigger: {
        event: {
          match: { ids: ['acme.job.*'] },
          after: ['acme.job.started'],
          expect: ['acme.job.finished'],
          forEach: ['flowplane.resource.id'],
          posture: 'PROACTIVE',
          threshold: 1,
          withinSeconds: 60,
        },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const job = (id: string, name: string) => ({ workspaceId: ws, event: name, resource: { id } });
    await emit(stack, job('acme.job.1', 'acme.job.started'));
    await emit(stack, job('acme.job.2', 'acme.job.started'));
    await emit(stack, job('acme.job.1', 'acme.job.finished'));
    // A finish without a start opens nothing.
    await emit(stack, job('acme.job.3', 'acme.job.finished'));
    const windows = service(stack, 'automation-windows');
    await windows.runOnce(new Date(Date.now() + 120_000));
    await windows.runOnce(new Date(Date.now() + 240_000));
    await settle(stack);
    const fired = await storedEvents(stack, ws, [TRIGGERED]);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.payload.key).toEqual(['acme.job.2']);
    expect(fired[0]!.related).toEqual([{ id: 'acme.job.2', role: 'resource', labels: {} }]);
  });
});

describe('automations: compound and sequence triggers', () => {
  const on = (name: string) => ({ event: { match: { ids: ['acme.sensor.*'] }, expect: [name] } });

  it('compound ALL fires once every sub-trigger fired within the window; ANY on the first', async () => {
    const ws = await workspace();
    const all = await createAutomation(alice, {
      workspaceId: ws,
      name: 'all',
      trigger: {
        compound: { require: 'ALL', withinSeconds: 60, triggers: [on('acme.a'), on('acme.b')] },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const any = await createAutomation(alice, {
      workspaceId: ws,
      name: 'any',
      trigger: {
        compound: { require: 'ANY', withinSeconds: 60, triggers: [on('acme.a'), on('acme.b')] },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const two = await createAutomation(alice, {
      workspaceId: ws,
      name: 'two of three',
      trigger: {
        compound: {
          require: 'AT_LEAST',
          atLeast: 2,
          withinSeconds: 60,
          triggers: [on('acme.a'), on('acme.b'), on('acme.c')],
        },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const count = async (id: string) =>
      (await storedEvents(stack, ws, [TRIGGERED])).filter((e) => e.payload.automationId === id)
        .length;
    await emit(stack, sensorEvent(ws, 'acme.a', 's'));
    await emit(stack, sensorEvent(ws, 'acme.a', 's'));
    await settle(stack);
    expect([await count(all.id), await count(any.id), await count(two.id)]).toEqual([0, 2, 0]);
    await emit(stack, sensorEvent(ws, 'acme.c', 's'));
    await settle(stack);
    expect([await count(all.id), await count(any.id), await count(two.id)]).toEqual([0, 2, 1]);
    await emit(stack, sensorEvent(ws, 'acme.b', 's'));
    await settle(stack);
    expect([await count(all.id), await count(any.id), await count(two.id)]).toEqual([1, 3, 1]);
  });

  it('compound ALL does not fire when its sub-triggers fired further apart than the window', async () => {
    const ws = await workspace();
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'close together',
      trigger: {
        compound: { require: 'ALL', withinSeconds: 10, triggers: [on('acme.a'), on('acme.b')] },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const t0 = Date.now();
    await emit(stack, sensorEvent(ws, 'acme.a', 's', { occurred: new Date(t0) }));
    await emit(stack, sensorEvent(ws, 'acme.b', 's', { occurred: new Date(t0 + 30_000) }));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
  });

  it('sequence fires when its sub-triggers fire in order', async () => {
    const ws = await workspace();
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'a then b',
      trigger: { sequence: { withinSeconds: 60, triggers: [on('acme.a'), on('acme.b')] } },
      actions: [{ type: 'DO_NOTHING' }],
    });
    await emit(stack, sensorEvent(ws, 'acme.b', 's'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    await emit(stack, sensorEvent(ws, 'acme.a', 's'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(0);
    await emit(stack, sensorEvent(ws, 'acme.b', 's'));
    await settle(stack);
    expect(await storedEvents(stack, ws, [TRIGGERED])).toHaveLength(1);
  });
});

describe('automations: actions', () => {
  const on = (name: string) => ({ event: { expect: [name] } });
  const runEvent = (ws: string, name: string, runId: string) => ({
    workspaceId: ws,
    event: name,
    resource: { id: `flowplane.flow-run.${runId}` },
  });
  const runOf = async (id: string) =>
    (
      await ok(
        alice,
        `query($id: ID!) { flowRun(id: $id) { stateType stateName parameters labels deployment { id } } }`,
        { id },
      )
    ).flowRun;
  const deploymentPaused = async (id: string) =>
    (await ok(alice, `query($id: ID!) { deployment(id: $id) { paused } }`, { id })).deployment
      .paused as boolean;

  // The system's `flowplane.flow-run.<State>` events of a real run drive it.
  it('pauses the deployment of a failed run and resumes it when a run completes (inferred targets)', async () => {
    const ws = await workspace();
    const flow = await createFlow(alice, ws);
    const d = await createDeployment(alice, flow.id);
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'stop on failure',
      trigger: {
        event: {
          match: { ids: ['flowplane.flow-run.*'] },
          matchRelated: [{ role: 'deployment', ids: [`flowplane.deployment.${d.id}`] }],
          expect: ['flowplane.flow-run.Failed'],
          resolveOn: ['flowplane.flow-run.Completed'],
        },
      },
      actions: [{ type: 'PAUSE_DEPLOYMENT', source: 'INFERRED' }],
      actionsOnResolve: [{ type: 'RESUME_DEPLOYMENT', source: 'INFERRED' }],
    });
    const failing = await createRun(alice, { deploymentId: d.id });
    for (const type of ['PENDING', 'RUNNING', 'FAILED']) {
      await setState(alice, failing.id, { type });
    }
    await settle(stack);
    expect(await runOf(failing.id)).toMatchObject({ stateType: 'FAILED' });
    expect(await deploymentPaused(d.id)).toBe(true);
    const [triggered] = await storedEvents(stack, ws, [TRIGGERED]);
    expect(triggered!.related).toEqual([
      { id: `flowplane.flow-run.${failing.id}`, role: 'flow-run', labels: {} },
    ]);
    expect((await automationState(alice, a.id)).triggered).toBe(true);

    const passing = await createRun(alice, { deploymentId: d.id });
    for (const type of ['RUNNING', 'COMPLETED']) {
      await setState(alice, passing.id, { type });
    }
    await settle(stack);
    expect(await deploymentPaused(d.id)).toBe(false);
    const executed = await storedEvents(stack, ws, [EXECUTED]);
    expect(executed.map((e) => [e.payload.action, e.payload.firing])).toEqual([
      [{ id: a.actions[0].id, type: 'PAUSE_DEPLOYMENT' }, 'triggered'],
      [{ id: a.actionsOnResolve[0].id, type: 'RESUME_DEPLOYMENT' }, 'resolved'],
    ]);
    expect(executed[1]!.related).toEqual([
      { id: `flowplane.flow-run.${passing.id}`, role: 'flow-run', labels: {} },
      { id: `flowplane.deployment.${d.id}`, role: 'deployment', labels: {} },
    ]);
    expect(await storedEvents(stack, ws, [FAILED])).toHaveLength(0);
  });

  it('cancels a flow run inferred from the event (CANCELLED before it runs, CANCELLING while it runs)', async () => {
    const ws = await workspace();
    const flow = await createFlow(alice, ws);
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'kill',
      trigger: on('acme.kill'),
      actions: [{ type: 'CANCEL_FLOW_RUN', source: 'INFERRED', message: 'killed' }],
    });
    const scheduled = await createRun(alice, { flowId: flow.id });
    const running = await createRun(alice, { flowId: flow.id, state: { type: 'RUNNING' } });
    await emit(stack, runEvent(ws, 'acme.kill', scheduled.id));
    await emit(stack, runEvent(ws, 'acme.kill', running.id));
    await settle(stack);
    expect(await runOf(scheduled.id)).toMatchObject({ stateType: 'CANCELLED' });
    expect(await runOf(running.id)).toMatchObject({ stateType: 'CANCELLING' });
    const executed = await storedEvents(stack, ws, [EXECUTED]);
    expect(executed).toHaveLength(2);
    expect(executed[0]!.related).toEqual([
      { id: `flowplane.flow-run.${scheduled.id}`, role: 'flow-run', labels: {} },
    ]);
    expect(executed[0]!.payload.state).toEqual({ type: 'CANCELLED', name: 'Cancelled' });
    // Cancelling a cancelled run again is refused by the policy: a failed action, with the reason.
    await emit(stack, runEvent(ws, 'acme.kill', scheduled.id));
    await settle(stack);
    const failed = await storedEvents(stack, ws, [FAILED]);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.payload.reason).toMatch(/^(REJECT|ABORT): /);
  });

  it('runs a deployment with templated parameters', async () => {
    const ws = await workspace();
    const flow = await createFlow(alice, ws);
    const d = await createDeployment(alice, flow.id, { parameters: { mode: 'full' } });
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'rerun',
      trigger: reactive({ threshold: 1 }),
      actions: [
        {
          type: 'RUN_DEPLOYMENT',
          targetId: d.id,
          parameters: { sensor: '{{ event.resource.id }}', by: '{{ automation.name }}', n: 2 },
        },
      ],
    });
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    const [executed] = await storedEvents(stack, ws, [EXECUTED]);
    const runId = executed!.payload.flowRunId as string;
    expect(executed!.related).toEqual([
      { id: 'acme.sensor.a', role: 'resource', labels: {} },
      { id: `flowplane.deployment.${d.id}`, role: 'deployment', labels: {} },
      { id: `flowplane.flow-run.${runId}`, role: 'flow-run', labels: {} },
    ]);
    expect(await runOf(runId)).toMatchObject({
      stateType: 'SCHEDULED',
      deployment: { id: d.id },
      parameters: { mode: 'full', sensor: 'acme.sensor.a', by: 'rerun', n: 2 },
      labels: { 'flowplane.automation.id': a.id },
    });
    const runs = await ok(
      alice,
      `query($id: ID!) { workspace(id: $id) { flowRuns { totalCount } } }`,
      { id: ws },
    );
    expect(runs.workspace.flowRuns.totalCount).toBe(1);
  });

  it('a failing action is announced and rolls back nothing else', async () => {
    const ws = await workspace();
    const flow = await createFlow(alice, ws);
    const d = await createDeployment(alice, flow.id);
    const a = await createAutomation(alice, {
      workspaceId: ws,
      name: 'mixed',
      trigger: reactive({ threshold: 1 }),
      actions: [
        { type: 'PAUSE_WORK_POOL', source: 'INFERRED' },
        { type: 'PAUSE_DEPLOYMENT', targetId: d.id },
      ],
      actionsOnTrigger: [{ type: 'RESUME_FLOW_RUN', source: 'INFERRED' }],
    });
    await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
    await settle(stack);
    expect(await deploymentPaused(d.id)).toBe(true);
    const [triggered] = await storedEvents(stack, ws, [TRIGGERED]);
    const failed = await storedEvents(stack, ws, [FAILED]);
    expect(failed.map((e) => [e.payload.action, e.payload.reason])).toEqual([
      [{ id: a.actions[0].id, type: 'PAUSE_WORK_POOL' }, 'The triggering event names no work-pool'],
      [
        { id: a.actionsOnTrigger[0].id, type: 'RESUME_FLOW_RUN' },
        'The triggering event names no flow-run',
      ],
    ]);
    expect(failed.every((e) => e.follows === triggered!.id)).toBe(true);
    expect((await storedEvents(stack, ws, [EXECUTED])).map((e) => e.payload.action)).toEqual([
      { id: a.actions[1].id, type: 'PAUSE_DEPLOYMENT' },
    ]);
  });

  it('suspends, resumes and changes the state of runs; pauses and resumes automations, pools and queues', async () => {
    const ws = await workspace();
    const flow = await createFlow(alice, ws);
    const pool = await createPool(alice, ws);
    const queue = pool.queues[0].id as string;
    const target = await createAutomation(alice, {
      workspaceId: ws,
      name: 'target',
      trigger: on('acme.never'),
      actions: [{ type: 'DO_NOTHING' }],
    });
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'stop things',
      trigger: on('acme.stop'),
      actions: [
        { type: 'SUSPEND_FLOW_RUN', source: 'INFERRED' },
        { type: 'PAUSE_AUTOMATION', targetId: target.id },
        { type: 'PAUSE_WORK_POOL', targetId: pool.id },
        { type: 'PAUSE_WORK_QUEUE', targetId: queue },
      ],
    });
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'start things',
      trigger: on('acme.start'),
      actions: [
        { type: 'RESUME_FLOW_RUN', source: 'INFERRED' },
        { type: 'RESUME_AUTOMATION', targetId: target.id },
        { type: 'RESUME_WORK_POOL', targetId: pool.id },
        { type: 'RESUME_WORK_QUEUE', targetId: queue },
      ],
    });
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'fail it',
      trigger: on('acme.fail'),
      actions: [
        {
          type: 'CHANGE_FLOW_RUN_STATE',
          source: 'INFERRED',
          state: { type: 'FAILED', message: 'by rule' },
        },
      ],
    });
    const paused = async () => {
      const r = await ok(
        alice,
        `query($a: ID!, $p: ID!) { automation(id: $a) { enabled } workPool(id: $p) { paused queues { paused } } }`,
        { a: target.id, p: pool.id },
      );
      return [!r.automation.enabled, r.workPool.paused, r.workPool.queues[0].paused];
    };
    const run = await createRun(alice, { flowId: flow.id, state: { type: 'RUNNING' } });
    await emit(stack, runEvent(ws, 'acme.stop', run.id));
    await settle(stack);
    expect(await runOf(run.id)).toMatchObject({ stateType: 'PAUSED', stateName: 'Suspended' });
    expect(await paused()).toEqual([true, true, true]);
    await emit(stack, runEvent(ws, 'acme.start', run.id));
    await settle(stack);
    expect(await runOf(run.id)).toMatchObject({ stateType: 'SCHEDULED', stateName: 'Resuming' });
    expect(await paused()).toEqual([false, false, false]);
    await emit(stack, runEvent(ws, 'acme.fail', run.id));
    await settle(stack);
    expect(await runOf(run.id)).toMatchObject({ stateType: 'FAILED', stateName: 'Failed' });
    expect(await storedEvents(stack, ws, [FAILED])).toHaveLength(0);
    expect(await storedEvents(stack, ws, [EXECUTED])).toHaveLength(9);
  });

  it('refuses webhooks to loopback and private addresses (no allow setting): failed, never called', async () => {
    const ws = await workspace();
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      received.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await createAutomation(alice, {
        workspaceId: ws,
        name: 'ssrf',
        trigger: reactive({ threshold: 1 }),
        actions: [
          `http://127.0.0.1:${port}/a`,
          `http://[::1]:${port}/b`,
          'http://10.0.0.1/c',
          `http://localhost:${port}/d`,
        ].map((url) => ({ type: 'CALL_WEBHOOK', webhook: { url } })),
      });
      await emit(stack, sensorEvent(ws, 'acme.sensor.alert', 'a'));
      await service(stack, 'webhook-delivery').runOnce();
      await settle(stack);
      const failed = await storedEvents(stack, ws, [FAILED]);
      expect(failed).toHaveLength(4);
      const reasons = failed.map((e) => e.payload.reason as string);
      expect(
        reasons.every((r) => r.startsWith('Refused: ') && r.endsWith('(after 1 attempt)')),
      ).toBe(true);
      expect(reasons.filter((r) => r.includes('loopback'))).toHaveLength(3);
      expect(reasons.filter((r) => r.includes('private address (10.0.0.1)'))).toHaveLength(1);
      expect(received).toEqual([]);
      // Refusals are final: nothing is retried later.
      await service(stack, 'webhook-delivery').runOnce(new Date(Date.now() + 3_600_000));
      expect(received).toEqual([]);
      expect(await storedEvents(stack, ws, [FAILED])).toHaveLength(4);
    } finally {
      server.close();
    }
  });
});
