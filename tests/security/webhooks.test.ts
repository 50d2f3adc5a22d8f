/**
 * L4: automation webhook URLs and headers (often credentials) were stored in clear and readable
 * by every workspace Viewer. L5: the webhook address policy let documentation ranges through,
 * and a webhook reached a listener on the server's own interface.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpTables } from '../harness/db.js';
import { createWorkspace, eventually, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { operations, service, settle } from '../operations/automation-fixtures.js';

const CREATE = `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { id } }`;
const READ = `query($id: ID!) { automation(id: $id) { actions { webhook { url headers hasSecret } } } }`;
const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const FAILED = `query($id: ID!) {
  workspace(id: $id) { events(filter: { names: ["flowplane.automation.action.failed", "flowplane.automation.action.executed"] }) {
    edges { node { event payload } }
  } }
}`;

const PATH_TOKEN = `T0-B0-${uid(8)}`;
const HEADER_TOKEN = `sk-live-${uid(8)}`;

/** A listener that records what reaches it. */
async function listener(host: string) {
  const received: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    received.push({ url: req.url!, headers: req.headers });
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    received,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let stack: Stack;
let owner: Actor;
let viewer: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack({
    env: {
      // Private networks stay refused; only `localhost` is allowed (the receiver of L4).
      WEBHOOK_ALLOWED_HOSTS: 'localhost',
      WEBHOOK_MAX_ATTEMPTS: '1',
      WEBHOOK_TIMEOUT_MS: '500',
    },
  });
  owner = await stack.signUp();
  ws = await createWorkspace(owner, owner.accountId);
  viewer = await join(stack, owner, { workspace: { id: ws.id, role: 'VIEWER' } });
});
afterAll(async () => {
  await stack?.stop();
});

const trigger = (kind: string) => ({
  event: { match: { ids: [`acme.${kind}.*`] }, expect: [`acme.${kind}.fired`] },
});

async function automation(kind: string, url: string, headers: Record<string, string> = {}) {
  const res = await owner.gql(CREATE, {
    input: {
      workspaceId: ws.id,
      name: `hook-${kind}`,
      trigger: trigger(kind),
      actions: [{ type: 'CALL_WEBHOOK', webhook: { url, headers, secret: `whsec-${uid(10)}` } }],
    },
  });
  expect(res.errors).toBeUndefined();
  return res.data.createAutomation.id as string;
}

/** Fires the automation through the public API and runs the delivery service until it is done. */
async function fire(kind: string, automationId: string): Promise<Record<string, any>> {
  const emitted = await owner.gql(EMIT, {
    input: {
      workspaceId: ws.id,
      events: [{ event: `acme.${kind}.fired`, resource: { id: `acme.${kind}.1` } }],
    },
  });
  expect(emitted.errors).toBeUndefined();
  let outcome: Record<string, unknown> | undefined;
  await eventually(async () => {
    await service(stack, 'webhook-delivery').runOnce();
    await settle(stack);
    const res = await owner.gql(FAILED, { id: ws.id });
    outcome = res.data.workspace.events.edges
      .map((e: { node: { event: string; payload: Record<string, any> } }) => e.node)
      .find((n: { payload: Record<string, any> }) => n.payload.automationId === automationId);
    expect(outcome).toBeDefined();
  }, 10_000);
  return outcome!;
}

describe('webhook targets are secrets of the automation', () => {
  it('Viewers see where a webhook goes, not its path, query or header values; managers see all', async () => {
    const url = `https://hooks.example.test/services/${PATH_TOKEN}?token=${PATH_TOKEN}`;
    const id = await automation('masked', url, { authorization: `Bearer ${HEADER_TOKEN}` });
    const seen = await viewer.gql(READ, { id });
    expect(seen.errors).toBeUndefined();
    expect(seen.data.automation.actions[0].webhook).toEqual({
      url: 'https://hooks.example.test/********',
      headers: { authorization: '********' },
      hasSecret: true,
    });
    expect(JSON.stringify(seen)).not.toMatch(new RegExp(`${PATH_TOKEN}|${HEADER_TOKEN}`));
    const managed = await owner.gql(READ, { id });
    expect(managed.data.automation.actions[0].webhook).toMatchObject({
      url,
      headers: { authorization: `Bearer ${HEADER_TOKEN}` },
    });
  });

  it('stored encrypted: no table holds the URL or a header value in clear, and the call still carries them', async () => {
    const rx = await listener('127.0.0.1');
    try {
      const id = await automation('stored', `http://localhost:${rx.port}/in/${PATH_TOKEN}`, {
        'x-api-key': HEADER_TOKEN,
      });
      const outcome = await fire('stored', id);
      expect(outcome.event).toBe('flowplane.automation.action.executed');
      expect(rx.received).toHaveLength(1);
      expect(rx.received[0]).toMatchObject({
        url: `/in/${PATH_TOKEN}`,
        headers: { 'x-api-key': HEADER_TOKEN },
      });
      const dump = await dumpTables(operations(stack).orm);
      expect(dump).not.toContain(PATH_TOKEN);
      expect(dump).not.toContain(HEADER_TOKEN);
    } finally {
      await rx.close();
    }
  });
});

describe('the webhook address policy', () => {
  it.each([
    ['TEST-NET-1', 'http://192.0.2.1/'],
    ['TEST-NET-2', 'http://198.51.100.7/'],
    ['TEST-NET-3', 'http://203.0.113.9:8080/'],
    ['IPv6 documentation', 'http://[2001:db8::1]/'],
    ['IPv6 documentation (3fff::/20)', 'http://[3fff::1]/'],
    ['6to4 relay anycast', 'http://192.88.99.1/'],
    ['Teredo', 'http://[2001:0:4136:e378::1]/'],
  ])('refuses %s (%s) without calling it', async (_label, url) => {
    const kind = `net${uid(3)}`;
    const outcome = await fire(kind, await automation(kind, url));
    expect(outcome.event).toBe('flowplane.automation.action.failed');
    expect(String(outcome.payload.reason)).toMatch(/^Refused: /);
  });

  it("refuses this machine's own interface addresses, not only loopback", async (ctx) => {
    const own = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!own) {
      console.log('skipping: this machine has no non-loopback IPv4 interface to listen on');
      return ctx.skip();
    }
    const rx = await listener('0.0.0.0');
    try {
      const kind = `own${uid(3)}`;
      const id = await automation(kind, `http://${own.address}:${rx.port}/internal`);
      const outcome = await fire(kind, id);
      expect(outcome.event).toBe('flowplane.automation.action.failed');
      expect(String(outcome.payload.reason)).toMatch(/^Refused: /);
      expect(rx.received).toEqual([]);
    } finally {
      await rx.close();
    }
  });
});
