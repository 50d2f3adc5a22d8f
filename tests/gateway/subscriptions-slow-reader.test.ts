import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { createWorkspace, eventually } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { wsUrl } from '../harness/ws.js';
import { ok } from '../operations/fixtures.js';

/**
 * A subscriber that stops reading must not make the gateway hold its messages without bound:
 * once more than SUBSCRIPTION_UNSENT_BYTES wait in its socket's send queue (past what the
 * kernel buffers), the gateway closes it with 1008. Live messages are written to the socket by
 * the gateway itself (gateway/src/subscriptions/frames.ts); this checks that path end to end
 * with a raw graphql-ws client whose TCP socket stops being read.
 */
const UNSENT = 64 * 1024;
let stack: Stack;
let owner: Actor;
let workspaceId: string;

beforeAll(async () => {
  stack = await startStack({ env: { SUBSCRIPTION_UNSENT_BYTES: String(UNSENT) } });
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
});
afterAll(async () => {
  await stack?.stop();
});

const EVENTS = `subscription($w: ID!) { events(workspaceId: $w) { id payload } }`;
const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
/** 60 events of ~60 KB: ~3.6 MB of messages per call. */
const batch = (call: number) =>
  Array.from({ length: 60 }, (_, i) => ({
    event: `slow.reader.${call}`,
    resource: { id: `slow.reader.${call}.${i}` },
    payload: { filler: 'x'.repeat(60_000), n: i },
  }));

describe('a subscriber that does not read', () => {
  it('is closed with 1008 once its unsent messages pass the limit; others are unaffected', async () => {
    const ws = new WebSocket(wsUrl(stack.url), 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    let closed: { code: number; reason: string } | undefined;
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { token: owner.token } }));
    await eventually(async () => expect(messages.map((m) => m.type)).toContain('connection_ack'));
    const engine = stack.running.gateway!.subscriptions;
    const registered = engine.registered;
    const open = engine.size;
    ws.send(
      JSON.stringify({
        id: 's1',
        type: 'subscribe',
        payload: { query: EVENTS, variables: { w: workspaceId } },
      }),
    );
    await eventually(async () => expect(engine.registered).toBe(registered + 1));

    // The client stops reading its TCP socket (ws has no public pause; its socket is `_socket`).
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const executions = engine.executions;
    // More than the kernel's buffers hold (4 MiB of send buffer at most here) plus the limit.
    for (let call = 0; call < 3; call++)
      await ok(owner, EMIT, { input: { workspaceId, events: batch(call) } });
    // The gateway is done with the events: every one resolved and sent, or, once it closed the
    // connection, no longer taken (its executions stop before all 180).
    let seen = -1;
    for (let quiet = 0, waited = 0; quiet < 20 && waited < 300; waited++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = engine.executions - executions;
      quiet = now === seen && now > 0 ? quiet + 1 : 0;
      seen = now;
    }

    // Reading again: what the gateway had sent, then its close frame.
    socket.resume();
    await eventually(async () => expect(closed).toBeDefined(), 20_000);
    expect(closed).toEqual({ code: 1008, reason: 'Too many undelivered messages' });
    const next = messages.filter((m) => m.type === 'next' && m.id === 's1');
    expect(next.length).toBeGreaterThan(0);
    expect(next.length).toBeLessThan(180);
    // The subscription is gone from the engine; the gateway serves others as before.
    await eventually(async () => expect(engine.size).toBe(open));
    const me = await ok(owner, `{ me { id } }`, {});
    expect(me.me.id).toBeTruthy();
  }, 60_000);
});
