import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { TransportGate as Gate, until } from '../harness/transport-gate.js';

const ME = `{ me { id user { handle } } }`;

function suite(dedupe: boolean) {
  let gate: Gate;
  let stack: Stack;
  let alice: Actor;
  let bob: Actor;
  const shared = () => stack.running.gateway!.sharedFetches;

  beforeAll(async () => {
    stack = await startStack({
      env: { GATEWAY_DEDUPE_QUERIES: String(dedupe) },
      wrapTransport: (t) => (gate = new Gate(t)),
    });
    [alice, bob] = [await stack.signUp(), await stack.signUp()];
    // Cache both identities, so the gate sees only the queries themselves.
    await alice.gql(ME);
    await bob.gql(ME);
  });
  afterAll(async () => {
    gate?.open();
    await stack?.stop();
  });

  return { gate: () => gate, stack: () => stack, alice: () => alice, bob: () => bob, shared };
}

describe('identical queries in flight at once share one subgraph call', () => {
  const s = suite(true);

  it('eight equal requests of one identity make one call, and each gets the full answer', async () => {
    const gate = s.gate();
    const before = gate.callsTo('users', 'me');
    const sharedBefore = s.shared();
    gate.close();
    const answers = Array.from({ length: 8 }, () => s.alice().gql(ME));
    await until(() => s.shared() - sharedBefore === 7, 'seven callers to join the first');
    gate.open();
    for (const res of await Promise.all(answers)) {
      expect(res.errors).toBeUndefined();
      expect(res.data.me).toEqual({ id: s.alice().userId, user: { handle: s.alice().handle } });
    }
    expect(gate.callsTo('users', 'me') - before).toBe(1);
  });

  it('never shares between identities: each sees only their own data', async () => {
    const gate = s.gate();
    const before = gate.callsTo('users', 'me');
    const sharedBefore = s.shared();
    gate.close();
    const answers = [s.alice().gql(ME), s.bob().gql(ME), s.alice().gql(ME), s.bob().gql(ME)];
    await until(() => s.shared() - sharedBefore === 2, 'a second caller per identity');
    gate.open();
    const [a1, b1, a2, b2] = await Promise.all(answers);
    expect(a1!.data.me.id).toBe(s.alice().userId);
    expect(a2!.data.me.id).toBe(s.alice().userId);
    expect(b1!.data.me.id).toBe(s.bob().userId);
    expect(b2!.data.me.id).toBe(s.bob().userId);
    expect(gate.callsTo('users', 'me') - before).toBe(2);
  });

  it('never shares mutations: two equal ones both run', async () => {
    const gate = s.gate();
    const sharedBefore = s.shared();
    const before = gate.callsTo('users', 'createApiKey');
    gate.close();
    const create = `mutation { createApiKey(input: { name: "twin" }) { apiKey { id } } }`;
    const answers = [s.alice().gql(create), s.alice().gql(create)];
    await until(() => gate.callsTo('users', 'createApiKey') - before === 2, 'both calls');
    gate.open();
    const [one, two] = await Promise.all(answers);
    expect(one!.errors).toBeUndefined();
    expect(two!.errors).toBeUndefined();
    expect(one!.data.createApiKey.apiKey.id).not.toBe(two!.data.createApiKey.apiKey.id);
    expect(s.shared()).toBe(sharedBefore);
  });

  it('a call that ended is not reused: the next request reads afresh', async () => {
    const gate = s.gate();
    const before = gate.callsTo('users', 'me');
    await s.alice().gql(ME);
    await s.alice().gql(ME);
    expect(gate.callsTo('users', 'me') - before).toBe(2);
  });
});

describe('with GATEWAY_DEDUPE_QUERIES=false', () => {
  const s = suite(false);

  it('every request makes its own call', async () => {
    const gate = s.gate();
    const before = gate.callsTo('users', 'me');
    gate.close();
    const answers = Array.from({ length: 4 }, () => s.alice().gql(ME));
    await until(() => gate.callsTo('users', 'me') - before === 4, 'four calls');
    gate.open();
    for (const res of await Promise.all(answers)) expect(res.data.me.id).toBe(s.alice().userId);
    expect(s.shared()).toBe(0);
  });
});
