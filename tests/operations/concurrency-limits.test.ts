import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace } from '../access/fixtures.js';

const CREATE = `mutation($input: CreateConcurrencyLimitInput!) {
  createConcurrencyLimit(input: $input) { id kind name limit active activeSlots }
}`;
const UPDATE = `mutation($input: UpdateConcurrencyLimitInput!) { updateConcurrencyLimit(input: $input) { id limit active activeSlots } }`;
const DELETE = `mutation($id: ID!) { deleteConcurrencyLimit(id: $id) }`;
const ACQUIRE = `mutation($input: AcquireConcurrencySlotsInput!) {
  acquireConcurrencySlots(input: $input) {
    status reason retryAfterSeconds blockingLimits { name }
    lease { id slots expiresAt limits { name } }
  }
}`;
const RELEASE = `mutation($id: ID!) { releaseConcurrencySlots(leaseId: $id) }`;
const ONE = `query($id: ID!) { concurrencyLimit(id: $id) { id limit activeSlots } }`;
const LIST = `query($id: ID!, $filter: ConcurrencyLimitFilter) {
  workspace(id: $id) { concurrencyLimits(filter: $filter) { totalCount edges { node { name kind limit activeSlots } } } }
}`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice);
});
afterAll(async () => {
  await stack?.stop();
});

const createLimit = async (input: Record<string, unknown>) => {
  const res = await alice.gql(CREATE, { input: { workspaceId: ws.id, ...input } });
  expect(res.errors).toBeUndefined();
  return res.data.createConcurrencyLimit;
};
const acquire = async (input: Record<string, unknown>, by = alice) => {
  const res = await by.gql(ACQUIRE, { input: { workspaceId: ws.id, ...input } });
  expect(res.errors).toBeUndefined();
  return res.data.acquireConcurrencySlots;
};

describe('acquire and release', () => {
  it('concurrent acquires never hold more slots than the limit', async () => {
    const lim = await createLimit({ kind: 'TAG', name: 'db', limit: 5 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        acquire({ tags: ['db', 'untracked-tag'], slots: 1, leaseSeconds: 60 }),
      ),
    );
    const got = results.filter((r) => r.status === 'ACQUIRED');
    expect(got).toHaveLength(5);
    for (const r of results.filter((r) => r.status !== 'ACQUIRED')) {
      expect(r).toMatchObject({ status: 'WAIT', lease: null, blockingLimits: [{ name: 'db' }] });
      expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    expect((await alice.gql(ONE, { id: lim.id })).data.concurrencyLimit.activeSlots).toBe(5);
    expect((await alice.gql(RELEASE, { id: got[0].lease.id })).data.releaseConcurrencySlots).toBe(
      true,
    );
    expect((await alice.gql(RELEASE, { id: got[0].lease.id })).data.releaseConcurrencySlots).toBe(
      false,
    );
    expect((await alice.gql(ONE, { id: lim.id })).data.concurrencyLimit.activeSlots).toBe(4);
    expect((await acquire({ tags: ['db'] })).status).toBe('ACQUIRED');
    expect((await acquire({ tags: ['db'] })).status).toBe('WAIT');
  });

  it('takes slots on every limit or on none', async () => {
    await createLimit({ kind: 'GLOBAL', name: 'api', limit: 3 });
    await createLimit({ kind: 'TAG', name: 'gpu', limit: 2 });
    const first = await acquire({ names: ['api'], tags: ['gpu'], slots: 2 });
    expect(first.status).toBe('ACQUIRED');
    expect(first.lease.limits.map((l: any) => l.name).sort()).toEqual(['api', 'gpu']);
    const blocked = await acquire({ names: ['api'], tags: ['gpu'], slots: 1 });
    expect(blocked).toMatchObject({ status: 'WAIT', blockingLimits: [{ name: 'gpu' }] });
    const list = await alice.gql(LIST, { id: ws.id, filter: { kind: 'GLOBAL' } });
    expect(list.data.workspace.concurrencyLimits.edges[0].node).toMatchObject({
      name: 'api',
      activeSlots: 2,
    });
    expect(await acquire({ names: ['api'], slots: 4 })).toMatchObject({
      status: 'REJECT',
      blockingLimits: [{ name: 'api' }],
    });
  });

  it('expired leases free their slots', async () => {
    const lim = await createLimit({ kind: 'TAG', name: 'short', limit: 1 });
    expect((await acquire({ tags: ['short'], leaseSeconds: 1 })).status).toBe('ACQUIRED');
    expect((await acquire({ tags: ['short'] })).status).toBe('WAIT');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await alice.gql(ONE, { id: lim.id })).data.concurrencyLimit.activeSlots).toBe(0);
    expect((await acquire({ tags: ['short'] })).status).toBe('ACQUIRED');
  });

  it('inactive limits and limit 0', async () => {
    const lim = await createLimit({ kind: 'TAG', name: 'paused', limit: 0 });
    expect((await acquire({ tags: ['paused'] })).status).toBe('REJECT');
    const off = await alice.gql(UPDATE, { input: { id: lim.id, active: false } });
    expect(off.data.updateConcurrencyLimit.active).toBe(false);
    expect((await acquire({ tags: ['paused'] })).status).toBe('ACQUIRED');
    await alice.gql(UPDATE, { input: { id: lim.id, active: true, limit: 1 } });
    expect((await acquire({ tags: ['paused'] })).status).toBe('ACQUIRED');
    expect((await acquire({ tags: ['paused'] })).status).toBe('WAIT');
    expect((await alice.gql(DELETE, { id: lim.id })).data.deleteConcurrencyLimit).toBe(lim.id);
    expect((await acquire({ tags: ['paused'] })).status).toBe('ACQUIRED');
  });
});

describe('bad input and permissions', () => {
  it('rejects bad limits, names and acquires naming the field; changes nothing', async () => {
    const lim = await createLimit({ kind: 'GLOBAL', name: `n-${uid(3)}`, limit: 2 });
    const creates: [Record<string, unknown>, string, string][] = [
      [{ kind: 'TAG', name: 'neg', limit: -1 }, 'limit', 'BAD_USER_INPUT'],
      [{ kind: 'TAG', name: '', limit: 1 }, 'name', 'BAD_USER_INPUT'],
      [{ kind: 'TAG', name: ' padded', limit: 1 }, 'name', 'BAD_USER_INPUT'],
      [{ kind: 'TAG', name: 'x'.repeat(101), limit: 1 }, 'name', 'BAD_USER_INPUT'],
      [{ kind: 'GLOBAL', name: lim.name, limit: 1 }, 'name', 'CONFLICT'],
    ];
    for (const [input, field, code] of creates) {
      const res = await alice.gql(CREATE, { input: { workspaceId: ws.id, ...input } });
      expect(res.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code, field });
    }
    const neg = await alice.gql(UPDATE, { input: { id: lim.id, limit: -5 } });
    expect(neg.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'limit' });
    expect((await alice.gql(ONE, { id: lim.id })).data.concurrencyLimit.limit).toBe(2);
    const acquires: [Record<string, unknown>, string][] = [
      [{ names: ['nope'] }, 'names'],
      [{}, 'names'],
      [{ names: [lim.name], slots: 0 }, 'slots'],
      [{ names: [lim.name], leaseSeconds: 0 }, 'leaseSeconds'],
    ];
    for (const [input, field] of acquires) {
      const res = await alice.gql(ACQUIRE, { input: { workspaceId: ws.id, ...input } });
      expect(res.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    expect((await alice.gql(ONE, { id: lim.id })).data.concurrencyLimit.activeSlots).toBe(0);
  });

  it('a Viewer sees limits but cannot change or acquire; strangers get NOT_FOUND', async () => {
    const viewer = await addMember(stack, alice, { id: ws.id, role: 'VIEWER' });
    const lim = await createLimit({ kind: 'TAG', name: `v-${uid(3)}`, limit: 1 });
    expect((await viewer.gql(ONE, { id: lim.id })).data.concurrencyLimit.id).toBe(lim.id);
    const upd = await viewer.gql(UPDATE, { input: { id: lim.id, limit: 9 } });
    expect(upd.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_concurrency_limits',
    });
    const acq = await viewer.gql(ACQUIRE, { input: { workspaceId: ws.id, tags: [lim.name] } });
    expect(acq.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'write_flow_runs',
    });
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(ONE, { id: lim.id }))).toEqual(['NOT_FOUND']);
    expect(
      codes(await mallory.gql(ACQUIRE, { input: { workspaceId: ws.id, tags: [lim.name] } })),
    ).toEqual(['NOT_FOUND']);
  });
});
