/**
 * `user(id)` answered any user's profile to anyone, anonymous callers included; requests a
 * non-member made against another tenant's objects were refused (NOT_FOUND) but left no trace
 * for that tenant's owners.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { createWorkspace, eventually, expectError, join } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { auditEntries, auditSettles } from './helpers.js';

const USER = `query($id: ID!) { user(id: $id) { id handle name } }`;
const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`;
const FLOW = `query($id: ID!) { flow(id: $id) { id name } }`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
});
afterAll(async () => {
  await stack?.stop();
});

describe('user(id)', () => {
  it('is NOT_FOUND for anonymous callers and for users who share no account', async () => {
    const stranger = await stack.signUp();
    expectError(await stack.gql(USER, { id: alice.userId }), 'NOT_FOUND');
    expectError(await stranger.gql(USER, { id: alice.userId }), 'NOT_FOUND');
    // Exactly what an unknown id gets.
    const unknown = await stranger.gql(USER, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.errors?.[0]?.message).toBe(
      (await stranger.gql(USER, { id: alice.userId })).errors?.[0]?.message,
    );
    // The user themself.
    expect((await alice.gql(USER, { id: alice.userId })).data.user.handle).toBe(alice.handle);
  });

  it('answers members of a shared account and its service accounts, until the membership ends', async () => {
    const bob = await join(stack, alice, 'MEMBER');
    await eventually(async () => {
      expect((await bob.gql(USER, { id: alice.userId })).data?.user?.id).toBe(alice.userId);
      expect((await alice.gql(USER, { id: bob.userId })).data?.user?.id).toBe(bob.userId);
    });
    const sa = await alice.gql(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { key } }`,
      { input: { accountId: alice.accountId, name: 'probe-sa' } },
    );
    expect(sa.errors).toBeUndefined();
    const robot = stack.as(sa.data.createServiceAccount.key);
    expect((await robot.gql(USER, { id: bob.userId })).data?.user?.handle).toBe(bob.handle);

    const removed = await alice.gql(
      `mutation($input: RemoveMemberInput!) { removeMember(input: $input) }`,
      { input: { accountId: alice.accountId, principalId: bob.userId } },
    );
    expect(removed.errors).toBeUndefined();
    await eventually(async () => {
      expectError(await robot.gql(USER, { id: bob.userId }), 'NOT_FOUND');
      expectError(await bob.gql(USER, { id: alice.userId }), 'NOT_FOUND');
    });
  });
});

describe("a non-member's refusals are audited in the owning account, bounded", () => {
  it('the caller sees NOT_FOUND; the owners see the probe, once per ten-fold count', async () => {
    const carol = await stack.signUp();
    const flow = await alice.gql(CREATE_FLOW, {
      input: { workspaceId: ws.id, name: 'secret-flow' },
    });
    expect(flow.errors).toBeUndefined();
    // 25 attempts to write into the workspace, 3 to read a flow of it.
    for (let i = 0; i < 25; i++)
      expectError(
        await carol.gql(CREATE_FLOW, { input: { workspaceId: ws.id, name: `probe-${i}` } }),
        'NOT_FOUND',
      );
    for (let i = 0; i < 3; i++)
      expectError(await carol.gql(FLOW, { id: flow.data.createFlow.id }), 'NOT_FOUND');
    const entries = await auditSettles(alice, alice.accountId, { actorId: carol.userId }, (e) =>
      expect(e.map((x) => [x.summary.action, x.summary.count])).toEqual([
        ['create', 1],
        ['create', 10],
        ['read', 1],
      ]),
    );
    for (const e of entries)
      expect(e).toMatchObject({
        action: 'flow.denied',
        workspaceId: ws.id,
        resourceType: 'flow',
        actor: { type: 'USER', id: carol.userId },
        summary: {
          reason: 'NOT_A_MEMBER',
          permission: e.summary.action === 'create' ? 'manage_flows' : 'see_flows',
        },
      });
    expect(JSON.stringify(entries)).not.toContain('probe-');
  });

  it('probes of tenants that do not exist are recorded nowhere, least of all in the prober’s account', async () => {
    const dan = await stack.signUp();
    for (const workspaceId of [
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
    ])
      expectError(await dan.gql(CREATE_FLOW, { input: { workspaceId, name: 'x' } }), 'NOT_FOUND');
    expect(
      codes(await dan.gql(CREATE_FLOW, { input: { workspaceId: 'nope', name: 'x' } })),
    ).toEqual(['NOT_FOUND']);
    // Something the prober does in their own account afterwards arrives; the probes did not.
    await createWorkspace(dan, dan.accountId);
    await auditSettles(dan, dan.accountId, { actionPrefix: 'workspace.created' }, (e) =>
      expect(e).toHaveLength(1),
    );
    expect(await auditEntries(dan, dan.accountId, { actionPrefix: 'flow.' })).toEqual([]);
  });
});
