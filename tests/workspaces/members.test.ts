import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../harness/stack.js';
import { expectError, join } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const SET_ROLE = `mutation ($input: SetAccountRoleInput!) { setAccountRole(input: $input) { role active user { id } } }`;
const SET_ACTIVE = `mutation ($input: SetMembershipActiveInput!) { setMembershipActive(input: $input) { role active } }`;
const REMOVE = `mutation ($input: RemoveMemberInput!) { removeMember(input: $input) }`;
const ACCOUNT = `query ($id: ID!) { account(id: $id) { id myRole members { totalCount edges { node { role active user { handle } } } } } }`;

describe('last owner protection', () => {
  it('never leaves an account without an active owner', async () => {
    const alice = await stack.signUp();
    const me = { accountId: alice.accountId, principalId: alice.userId };
    expectError(await alice.gql(SET_ROLE, { input: { ...me, role: 'ADMIN' } }), 'CONFLICT', 'role');
    expectError(
      await alice.gql(SET_ACTIVE, { input: { ...me, active: false } }),
      'CONFLICT',
      'active',
    );
    expectError(await alice.gql(REMOVE, { input: me }), 'CONFLICT', 'principalId');
    expect((await alice.gql(ACCOUNT, { id: alice.accountId })).data.account.myRole).toBe('OWNER');

    // With a second owner, the first may step down.
    const bob = await join(stack, alice, 'ADMIN');
    const promoted = await alice.gql(SET_ROLE, {
      input: { accountId: alice.accountId, principalId: bob.userId, role: 'OWNER' },
    });
    expect(promoted.data.setAccountRole).toEqual({
      role: 'OWNER',
      active: true,
      user: { id: bob.userId },
    });
    const demoted = await alice.gql(SET_ROLE, { input: { ...me, role: 'MEMBER' } });
    expect(demoted.errors).toBeUndefined();
    expect(demoted.data.setAccountRole.role).toBe('MEMBER');
    // Now bob is the last owner.
    expectError(
      await bob.gql(SET_ACTIVE, {
        input: { accountId: alice.accountId, principalId: bob.userId, active: false },
      }),
      'CONFLICT',
      'active',
    );
  });

  it('keeps the owner role for owners to give and take', async () => {
    const alice = await stack.signUp();
    const admin = await join(stack, alice, 'ADMIN');
    const member = await join(stack, alice, 'MEMBER');
    const acct = alice.accountId;
    const selfPromote = await admin.gql(SET_ROLE, {
      input: { accountId: acct, principalId: admin.userId, role: 'OWNER' },
    });
    expectError(selfPromote, 'FORBIDDEN');
    expectError(
      await admin.gql(SET_ACTIVE, {
        input: { accountId: acct, principalId: alice.userId, active: false },
      }),
      'FORBIDDEN',
    );
    expectError(
      await admin.gql(REMOVE, { input: { accountId: acct, principalId: alice.userId } }),
      'FORBIDDEN',
    );
    // Admins manage non-owners.
    const res = await admin.gql(SET_ROLE, {
      input: { accountId: acct, principalId: member.userId, role: 'ADMIN' },
    });
    expect(res.data.setAccountRole.role).toBe('ADMIN');
    // Members manage nobody.
    const plain = await join(stack, alice, 'MEMBER');
    const denied = await plain.gql(SET_ROLE, {
      input: { accountId: acct, principalId: member.userId, role: 'MEMBER' },
    });
    expectError(denied, 'FORBIDDEN');
    expect(denied.errors?.[0]?.extensions?.permission).toBe('manage:member');
  });
});

describe('membership lifecycle', () => {
  it('deactivates and reactivates a member: access follows at once', async () => {
    const alice = await stack.signUp();
    const bob = await join(stack, alice);
    const acct = alice.accountId;
    const off = await alice.gql(SET_ACTIVE, {
      input: { accountId: acct, principalId: bob.userId, active: false },
    });
    expect(off.data.setMembershipActive).toEqual({ role: 'MEMBER', active: false });
    expectError(await bob.gql(ACCOUNT, { id: acct }), 'NOT_FOUND');
    const mine = await bob.gql(`{ me { accounts { id } } }`);
    expect(mine.data.me.accounts).toEqual([{ id: bob.accountId }]);
    const listed = await alice.gql(ACCOUNT, { id: acct });
    expect(listed.data.account.members.edges[1].node).toEqual({
      role: 'MEMBER',
      active: false,
      user: { handle: bob.handle },
    });

    await alice.gql(SET_ACTIVE, {
      input: { accountId: acct, principalId: bob.userId, active: true },
    });
    expect((await bob.gql(ACCOUNT, { id: acct })).data.account.myRole).toBe('MEMBER');
  });

  it('removes a member, and lets a member leave', async () => {
    const alice = await stack.signUp();
    const bob = await join(stack, alice);
    const carol = await join(stack, alice);
    const acct = alice.accountId;
    const removed = await alice.gql(REMOVE, {
      input: { accountId: acct, principalId: bob.userId },
    });
    expect(removed.errors).toBeUndefined();
    expect(typeof removed.data.removeMember).toBe('string');
    expectError(await bob.gql(ACCOUNT, { id: acct }), 'NOT_FOUND');
    expectError(
      await alice.gql(REMOVE, { input: { accountId: acct, principalId: bob.userId } }),
      'NOT_FOUND',
    );

    const left = await carol.gql(REMOVE, { input: { accountId: acct, principalId: carol.userId } });
    expect(left.errors).toBeUndefined();
    const res = await alice.gql(ACCOUNT, { id: acct });
    expect(res.data.account.members.totalCount).toBe(1);
  });

  it('pages through members', async () => {
    const alice = await stack.signUp();
    for (let i = 0; i < 3; i++) await join(stack, alice);
    const page = `query ($id: ID!, $after: String) { account(id: $id) { members(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;
    const first = await alice.gql(page, { id: alice.accountId });
    expect(first.data.account.members.totalCount).toBe(4);
    expect(first.data.account.members.edges).toHaveLength(2);
    expect(first.data.account.members.pageInfo.hasNextPage).toBe(true);
    const second = await alice.gql(page, {
      id: alice.accountId,
      after: first.data.account.members.pageInfo.endCursor,
    });
    expect(second.data.account.members.edges).toHaveLength(2);
    expect(second.data.account.members.pageInfo.hasNextPage).toBe(false);
    expectError(
      await alice.gql(
        `query ($id: ID!) { account(id: $id) { members(first: 201) { totalCount } } }`,
        { id: alice.accountId },
      ),
      'BAD_USER_INPUT',
      'first',
    );
  });
});

describe('service accounts', () => {
  it('become members when created and stop being members when deleted', async () => {
    const alice = await stack.signUp();
    const created = await alice.gql(
      `mutation ($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { key serviceAccount { id } } }`,
      { input: { accountId: alice.accountId, name: 'ci', accountRole: 'ADMIN' } },
    );
    expect(created.errors).toBeUndefined();
    const saId = created.data.createServiceAccount.serviceAccount.id;
    const members = await alice.gql(
      `query ($id: ID!) { account(id: $id) { members { edges { node { role user { id } serviceAccount { id name } } } } } }`,
      { id: alice.accountId },
    );
    expect(members.data.account.members.edges[1].node).toEqual({
      role: 'ADMIN',
      user: null,
      serviceAccount: { id: saId, name: 'ci' },
    });
    const sa = stack.as(created.data.createServiceAccount.key);
    const seen = await sa.gql(`{ me { id accounts { id myRole } } }`);
    expect(seen.data.me.accounts).toEqual([{ id: alice.accountId, myRole: 'ADMIN' }]);

    const del = await alice.gql(`mutation ($id: ID!) { deleteServiceAccount(id: $id) }`, {
      id: saId,
    });
    expect(del.errors).toBeUndefined();
    const after = await alice.gql(ACCOUNT, { id: alice.accountId });
    expect(after.data.account.members.totalCount).toBe(1);
  });
});

describe('internal operations', () => {
  it('are not part of the public API', async () => {
    const alice = await stack.signUp();
    const res = await alice.gql(
      `query ($id: ID!) { _principalMemberships(principalId: $id) { accountId } }`,
      {
        id: alice.userId,
      },
    );
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.length).toBeGreaterThan(0);
  });
});
