import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../lib/bus.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { TransportGate as Gate, until } from '../harness/transport-gate.js';

/**
 * The gateway's identity cache when invalidations arrive while a lookup is in flight: only one
 * that concerns the looked-up identity keeps the answer out of the cache. (Any invalidation
 * did: a run reaching a terminal state invalidates its run-scoped credentials, 40 times a
 * second under load, and then no lookup was cached and every request looked its identity up.)
 */

const ME = `{ me { id } }`;
const event = (type: string, payload: Record<string, unknown>): DomainEvent => ({
  id: randomUUID(),
  type,
  source: 'test',
  occurredAt: new Date().toISOString(),
  payload,
});

describe('identity lookups racing with invalidations', () => {
  let gate: Gate;
  let stack: Stack;
  let alice: Actor;
  beforeAll(async () => {
    stack = await startStack({ wrapTransport: (t) => (gate = new Gate(t)) });
    alice = await stack.signUp();
  });
  afterAll(async () => {
    gate?.open();
    await stack?.stop();
  });

  /** A new key of alice's, looked up for the first time while `during` publishes. */
  async function lookUpWhile(during: (apiKeyId: string) => DomainEvent) {
    const created = await alice.gql(
      `mutation { createApiKey(input: { name: "cache" }) { key apiKey { id } } }`,
    );
    expect(created.errors).toBeUndefined();
    const key = created.data.createApiKey.key as string;
    const held = gate.held;
    gate.close();
    const first = stack.as(key).gql(ME);
    await until(() => gate.held > held, 'the lookup to be held');
    await stack.running.bus.publish([during(created.data.createApiKey.apiKey.id as string)]);
    gate.open();
    expect((await first).errors).toBeUndefined();
    const before = gate.callsTo(null, 'GatewayPrincipal');
    expect((await stack.as(key).gql(ME)).data.me.id).toBe(alice.userId);
    return gate.callsTo(null, 'GatewayPrincipal') - before;
  }

  it("is cached when what changed meanwhile was another identity's (a run's end, another session)", async () => {
    const again = await lookUpWhile(() =>
      event('flow-run.state-changed', { runId: randomUUID(), to: { type: 'COMPLETED' } }),
    );
    expect(again).toBe(0);
    expect(await lookUpWhile(() => event('session.revoked', { sessionId: randomUUID() }))).toBe(0);
  });

  it('is not cached when its own identity changed meanwhile', async () => {
    expect(await lookUpWhile(() => event('grants.changed', { principalIds: [alice.userId] }))).toBe(
      1,
    );
  });
});
