import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_WEBHOOK_POLICY,
  internalAddressClass,
  resolveDeliveryAddress,
  WebhookRefused,
} from '../../lib/outbound/address-policy.js';
import { WebhookDelivery } from '../../subgraphs/operations/src/automations/webhooks/webhook-delivery.entity.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import {
  createAutomation,
  emit,
  operations,
  service,
  settle,
  storedEvents,
} from './automation-fixtures.js';
import { ok } from './fixtures.js';

const EXECUTED = 'flowplane.automation.action.executed';
const FAILED = 'flowplane.automation.action.failed';
const SECRET = 'whsec-0123456789abcdef-automations';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local receiver on 127.0.0.1 that answers with `answer(request)` (status, body). */
async function receiver(
  answer: (r: Received) => { status: number; headers?: Record<string, string> } | null = () => ({
    status: 200,
  }),
) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      const a = answer(r);
      if (!a) return; // never answers
      res.writeHead(a.status, a.headers ?? {});
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let stack: Stack;
let alice: Actor;

beforeAll(async () => {
  stack = await startStack({
    env: {
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_MS: '1000',
      WEBHOOK_TIMEOUT_MS: '1000',
    },
  });
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

const trigger = { event: { match: { ids: ['acme.sensor.*'] }, expect: ['acme.sensor.alert'] } };
const deliveries = (automationId: string) =>
  operations(stack)
    .orm.em.fork()
    .find(WebhookDelivery, { automationId }, { orderBy: { createdAt: 'asc' } });

describe('automation webhooks', () => {
  it('sends a signed request with a templated JSON body', async () => {
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    const rx = await receiver();
    try {
      const a = await createAutomation(alice, {
        workspaceId: ws,
        name: 'Say "hi"',
        trigger,
        actions: [
          {
            type: 'CALL_WEBHOOK',
            webhook: {
              url: `${rx.url}/hooks/alert?src=flowplane`,
              method: 'PUT',
              headers: { 'x-team': 'ops' },
              secret: SECRET,
              body: '{"resource": "{{ event.resource.id }}", "name": "{{ automation.name }}", "msg": "{{ event.payload.msg }}", "count": {{ event.payload.count }}, "zone": "{{ event.resource.labels.acme.zone }}", "missing": "{{ event.payload.nope }}"}',
            },
          },
        ],
      });
      await emit(stack, {
        workspaceId: ws,
        event: 'acme.sensor.alert',
        resource: { id: 'acme.sensor.7', labels: { 'acme.zone': 'north' } },
        payload: { msg: 'line 1\nhe said "stop" \\ now', count: 3 },
      });
      // The consumer only recorded the call.
      expect(rx.received).toHaveLength(0);
      expect((await deliveries(a.id)).map((d) => [d.status, d.attempts])).toEqual([['PENDING', 0]]);

      expect(await service(stack, 'webhook-delivery').runOnce()).toBe(1);
      expect(rx.received).toHaveLength(1);
      const [r] = rx.received;
      expect(r!.method).toBe('PUT');
      expect(r!.url).toBe('/hooks/alert?src=flowplane');
      expect(r!.headers['content-type']).toBe('application/json');
      expect(r!.headers['x-team']).toBe('ops');
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r!.headers['x-flowplane-signature']));
      expect(sig).not.toBeNull();
      const expected = createHmac('sha256', SECRET).update(`${sig![1]}.${r!.body}`).digest('hex');
      expect(sig![2]).toBe(expected);
      expect(Math.abs(Number(sig![1]) - Date.now() / 1000)).toBeLessThan(300);
      expect(JSON.parse(r!.body)).toEqual({
        resource: 'acme.sensor.7',
        name: 'Say "hi"',
        msg: 'line 1\nhe said "stop" \\ now',
        count: 3,
        zone: 'north',
        missing: '',
      });
      await settle(stack);
      const executed = await storedEvents(stack, ws, [EXECUTED]);
      expect(executed).toHaveLength(1);
      expect(executed[0]!.payload).toMatchObject({
        statusCode: 200,
        attempts: 1,
        action: { type: 'CALL_WEBHOOK' },
      });
      expect(executed[0]!.related).toEqual([{ id: 'acme.sensor.7', role: 'resource', labels: {} }]);
      // Delivered once: later passes send nothing.
      expect(
        await service(stack, 'webhook-delivery').runOnce(new Date(Date.now() + 3_600_000)),
      ).toBe(0);
      expect(rx.received).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });

  it('sends a notification with a templated subject and body', async () => {
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    const rx = await receiver();
    try {
      await createAutomation(alice, {
        workspaceId: ws,
        name: 'notify',
        trigger,
        actions: [
          {
            type: 'SEND_NOTIFICATION',
            webhook: {
              url: `${rx.url}/notify`,
              subject: 'Alert on {{ event.resource.id }}',
              body: '{{ automation.name }}: {{ event.payload.msg }}',
            },
          },
        ],
      });
      const eventId = await emit(stack, {
        workspaceId: ws,
        event: 'acme.sensor.alert',
        resource: { id: 'acme.sensor.9' },
        payload: { msg: 'too hot' },
      });
      await service(stack, 'webhook-delivery').runOnce();
      expect(rx.received).toHaveLength(1);
      expect(rx.received[0]!.headers['x-flowplane-signature']).toBeUndefined();
      expect(JSON.parse(rx.received[0]!.body)).toMatchObject({
        subject: 'Alert on acme.sensor.9',
        body: 'notify: too hot',
        firing: 'triggered',
        eventId,
      });
    } finally {
      await rx.close();
    }
  });

  it('retries with back-off: a 500 then a 200 is one delivery in two attempts; redirects are not followed', async () => {
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    let calls = 0;
    const rx = await receiver((r) =>
      r.url === '/moved'
        ? { status: 302, headers: { location: '/elsewhere' } }
        : { status: ++calls === 1 ? 500 : 200 },
    );
    try {
      const a = await createAutomation(alice, {
        workspaceId: ws,
        name: 'flaky',
        trigger,
        actions: [
          { type: 'CALL_WEBHOOK', webhook: { url: `${rx.url}/flaky` } },
          { type: 'CALL_WEBHOOK', webhook: { url: `${rx.url}/moved` } },
        ],
      });
      await emit(stack, {
        workspaceId: ws,
        event: 'acme.sensor.alert',
        resource: { id: 'acme.sensor.1' },
      });
      const delivery = service(stack, 'webhook-delivery');
      const t0 = Date.now();
      expect(await delivery.runOnce(new Date(t0))).toBe(2);
      // Not due yet (first retry after 1 s), then due.
      expect(await delivery.runOnce(new Date(t0 + 500))).toBe(0);
      expect(await delivery.runOnce(new Date(t0 + 1_500))).toBe(2);
      expect(await delivery.runOnce(new Date(t0 + 2_500))).toBe(0);
      expect(await delivery.runOnce(new Date(t0 + 4_000))).toBe(1);
      await settle(stack);
      const rows = await deliveries(a.id);
      // The rows keep their targets encrypted: the action tells them apart.
      const flaky = a.actions[0].id;
      expect(rows.map((d) => [d.actionId === flaky, d.status, d.attempts, d.lastStatus])).toEqual([
        [true, 'DELIVERED', 2, 200],
        [false, 'FAILED', 3, 302],
      ]);
      // Calls of one pass run concurrently: count them per URL.
      expect(rx.received.map((r) => r.url).sort()).toEqual([
        '/flaky',
        '/flaky',
        '/moved',
        '/moved',
        '/moved',
      ]);
      expect((await storedEvents(stack, ws, [EXECUTED])).map((e) => e.payload.attempts)).toEqual([
        2,
      ]);
      const failed = await storedEvents(stack, ws, [FAILED]);
      expect(failed.map((e) => e.payload.reason)).toEqual([
        'Answered 302 (redirects are not followed) (after 3 attempts)',
      ]);
    } finally {
      await rx.close();
    }
  });

  it('a receiver that is down gets retries, then the failure is an event; the mutation that caused it did not wait', async () => {
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    const down = await receiver();
    await down.close();
    const slow = await receiver(() => null);
    try {
      const a = await createAutomation(alice, {
        workspaceId: ws,
        name: 'on incident',
        trigger: {
          event: {
            match: { ids: ['flowplane.incident.*'] },
            expect: ['flowplane.incident.declared'],
          },
        },
        actions: [
          { type: 'CALL_WEBHOOK', webhook: { url: `${down.url}/down` } },
          { type: 'CALL_WEBHOOK', webhook: { url: `${slow.url}/slow` } },
        ],
      });
      const declared = await ok(
        alice,
        `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }`,
        { input: { workspaceId: ws, name: 'Database down', severity: 'HIGH' } },
      );
      expect(declared.declareIncident.id).toBeTruthy();
      // When the mutation returned, the calls were recorded and not one was attempted.
      expect((await deliveries(a.id)).map((d) => [d.status, d.attempts])).toEqual([
        ['PENDING', 0],
        ['PENDING', 0],
      ]);
      const delivery = service(stack, 'webhook-delivery');
      const t0 = Date.now();
      let attempts = 0;
      for (const dt of [0, 1_500, 4_000]) attempts += await delivery.runOnce(new Date(t0 + dt));
      expect(attempts).toBe(6);
      expect(slow.received).toHaveLength(3);
      await settle(stack);
      const failed = await storedEvents(stack, ws, [FAILED]);
      expect(failed).toHaveLength(2);
      const reasons = failed.map((e) => e.payload.reason as string).sort();
      expect(reasons[0]).toMatch(/^ECONNREFUSED: .* \(after 3 attempts\)$/);
      expect(reasons[1]).toBe('No answer within 1000 ms (after 3 attempts)');
      expect(failed[0]!.related).toEqual([
        { id: `flowplane.incident.${declared.declareIncident.id}`, role: 'incident', labels: {} },
      ]);
      expect(await delivery.runOnce(new Date(t0 + 3_600_000))).toBe(0);
    } finally {
      await slow.close();
    }
  });
});

describe('webhook address policy', () => {
  it('classifies internal addresses of both families, including IPv4 inside IPv6', () => {
    const cases: [string, string | null][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', null],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'shared (CGNAT)'],
      ['100.128.0.1', null],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['8.8.8.8', null],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fd00::1', 'unique local'],
      ['fc12:3456::1', 'unique local'],
      ['fe80::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:8.8.8.8', null],
      ['64:ff9b::a00:1', 'private'],
      ['2002:a9fe:a9fe::1', 'link-local'],
      ['2001:4860:4860::8888', null],
    ];
    for (const [address, kind] of cases)
      expect([address, internalAddressClass(address)]).toEqual([address, kind]);
  });

  it('refuses hosts that resolve to internal addresses unless allowed, and pins the checked address', async () => {
    const policy = { ...DEFAULT_WEBHOOK_POLICY };
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]:8080/',
      'http://10.0.0.1/',
      'http://localhost/',
    ])
      await expect(resolveDeliveryAddress(new URL(url), policy)).rejects.toBeInstanceOf(
        WebhookRefused,
      );
    expect(
      await resolveDeliveryAddress(new URL('http://localhost/'), {
        ...policy,
        allowedHosts: ['localhost'],
      }),
    ).toMatchObject({
      address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
    });
    expect(
      await resolveDeliveryAddress(new URL('http://[::1]/'), {
        ...policy,
        allowPrivateNetworks: true,
      }),
    ).toEqual({ address: '::1', family: 6 });
  });
});
