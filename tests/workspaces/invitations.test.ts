import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpTables } from '../harness/db.js';
import { startStack, uid, type Stack } from '../harness/stack.js';
import { ACCEPT, createWorkspace, expectError, invite, join } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const INVITE = `mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id code status } }`;
const REJECT = `mutation ($code: String!) { rejectInvitation(input: { code: $code }) { id status respondedAt code } }`;
const REVOKE = `mutation ($id: ID!) { revokeInvitation(id: $id) { id status code } }`;
const LIST = `query ($id: ID!, $status: InvitationStatus) {
  account(id: $id) { invitations(status: $status) { totalCount edges { node { id email status code accountRole workspaceRole workspace { id } } } } }
}`;

const orm = () => stack.running.subgraphs.workspaces!.orm;

describe('inviting and accepting', () => {
  it('turns an accepted invitation into a membership, visible across subgraphs', async () => {
    const alice = await stack.signUp();
    const ws = await createWorkspace(alice, alice.accountId, { defaultRole: null });
    const bob = await stack.signUp();
    const inv = await invite(alice, alice.accountId, bob.email.toUpperCase(), {
      accountRole: 'ADMIN',
      workspaceId: ws.id,
      workspaceRole: 'DEVELOPER',
    });
    expect(inv.code).toMatch(/^fpinv_[A-Za-z0-9_-]{43}$/);
    expect(inv.status).toBe('PENDING');

    const listed = await alice.gql(LIST, { id: alice.accountId, status: 'PENDING' });
    expect(listed.data.account.invitations.edges).toEqual([
      {
        node: {
          id: inv.id,
          email: bob.email,
          status: 'PENDING',
          code: null,
          accountRole: 'ADMIN',
          workspaceRole: 'DEVELOPER',
          workspace: { id: ws.id },
        },
      },
    ]);

    const accepted = await bob.gql(ACCEPT, { code: inv.code });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.acceptInvitation).toEqual({
      id: alice.accountId,
      handle: alice.handle,
      myRole: 'ADMIN',
    });

    const me = await bob.gql(`{ me { accounts { handle myRole workspaces { id } } } }`);
    expect(me.data.me.accounts).toEqual([
      { handle: bob.handle, myRole: 'OWNER', workspaces: [] },
      { handle: alice.handle, myRole: 'ADMIN', workspaces: [{ id: ws.id }] },
    ]);
    const members = await alice.gql(
      `query ($id: ID!) { account(id: $id) { members { totalCount edges { node { role user { handle } } } } } }`,
      { id: alice.accountId },
    );
    expect(members.data.account.members).toEqual({
      totalCount: 2,
      edges: [
        { node: { role: 'OWNER', user: { handle: alice.handle } } },
        { node: { role: 'ADMIN', user: { handle: bob.handle } } },
      ],
    });
    const after = await alice.gql(LIST, { id: alice.accountId, status: 'ACCEPTED' });
    expect(after.data.account.invitations.edges.map((e: any) => e.node.id)).toEqual([inv.id]);
    // A code works once.
    expectError(await bob.gql(ACCEPT, { code: inv.code }), 'CONFLICT', 'code');
  });

  it('refuses a user with another email, and unknown codes', async () => {
    const alice = await stack.signUp();
    const bob = await stack.signUp();
    const carol = await stack.signUp();
    const inv = await invite(alice, alice.accountId, bob.email);
    expectError(await carol.gql(ACCEPT, { code: inv.code }), 'FORBIDDEN');
    expectError(await carol.gql(REJECT, { code: inv.code }), 'FORBIDDEN');
    expectError(await carol.gql(ACCEPT, { code: `fpinv_${'x'.repeat(43)}` }), 'NOT_FOUND');
    expectError(await stack.gql(ACCEPT, { code: inv.code }), 'UNAUTHENTICATED');
    const me = await carol.gql(`{ me { accounts { id } } }`);
    expect(me.data.me.accounts).toEqual([{ id: carol.accountId }]);
    const listed = await alice.gql(LIST, { id: alice.accountId });
    expect(listed.data.account.invitations.edges[0].node.status).toBe('PENDING');
    // Bob can still use it.
    expect((await bob.gql(ACCEPT, { code: inv.code })).errors).toBeUndefined();
  });

  it('rejects and revokes', async () => {
    const alice = await stack.signUp();
    const bob = await stack.signUp();
    const first = await invite(alice, alice.accountId, bob.email);
    const rejected = await bob.gql(REJECT, { code: first.code });
    expect(rejected.errors).toBeUndefined();
    expect(rejected.data.rejectInvitation).toMatchObject({
      id: first.id,
      status: 'REJECTED',
      code: null,
    });
    expect(rejected.data.rejectInvitation.respondedAt).toBeTruthy();
    expectError(await bob.gql(ACCEPT, { code: first.code }), 'CONFLICT', 'code');

    const second = await invite(alice, alice.accountId, bob.email);
    const revoked = await alice.gql(REVOKE, { id: second.id });
    expect(revoked.data.revokeInvitation).toEqual({ id: second.id, status: 'REVOKED', code: null });
    expectError(await alice.gql(REVOKE, { id: second.id }), 'CONFLICT', 'id');
    expectError(await bob.gql(ACCEPT, { code: second.code }), 'CONFLICT', 'code');
    expectError(await bob.gql(REVOKE, { id: second.id }), 'NOT_FOUND');
    const me = await bob.gql(`{ me { accounts { id } } }`);
    expect(me.data.me.accounts).toHaveLength(1);
  });

  it('reads expired invitations as EXPIRED and refuses them', async () => {
    const alice = await stack.signUp();
    const bob = await stack.signUp();
    const inv = await invite(alice, alice.accountId, bob.email, { expiresInDays: 1 });
    await orm()
      .em.fork()
      .nativeUpdate('Invitation', { id: inv.id }, { expiresAt: new Date(Date.now() - 1000) });
    expectError(await bob.gql(ACCEPT, { code: inv.code }), 'CONFLICT', 'code');
    const expired = await alice.gql(LIST, { id: alice.accountId, status: 'EXPIRED' });
    expect(
      expired.data.account.invitations.edges.map((e: any) => [e.node.id, e.node.status]),
    ).toEqual([[inv.id, 'EXPIRED']]);
    const pending = await alice.gql(LIST, { id: alice.accountId, status: 'PENDING' });
    expect(pending.data.account.invitations.totalCount).toBe(0);
    expectError(await alice.gql(REVOKE, { id: inv.id }), 'CONFLICT', 'id');
    // A new invitation can be sent once the old one expired.
    const again = await invite(alice, alice.accountId, bob.email);
    expect((await bob.gql(ACCEPT, { code: again.code })).errors).toBeUndefined();
  });

  it('never stores or publishes the code in plaintext', async () => {
    const alice = await stack.signUp();
    const inv = await invite(alice, alice.accountId, `someone-${uid(4)}@example.test`);
    const dump = await dumpTables(orm());
    expect(dump).not.toContain(inv.code);
    expect(dump).not.toContain(inv.code.slice('fpinv_'.length));
    expect(dump).toContain(inv.id);
  });
});

describe('invitation input and permissions', () => {
  it('names the field of bad input and changes nothing', async () => {
    const alice = await stack.signUp();
    const other = await stack.signUp();
    const foreignWs = await createWorkspace(other, other.accountId);
    const email = `x-${uid(4)}@example.test`;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ email: 'not-an-email' }, 'BAD_USER_INPUT', 'email'],
      [{ expiresInDays: 0 }, 'BAD_USER_INPUT', 'expiresInDays'],
      [{ expiresInDays: 31 }, 'BAD_USER_INPUT', 'expiresInDays'],
      [{ workspaceRole: 'VIEWER' }, 'BAD_USER_INPUT', 'workspaceId'],
      [{ workspaceId: foreignWs.id }, 'BAD_USER_INPUT', 'workspaceRole'],
      [{ workspaceId: foreignWs.id, workspaceRole: 'VIEWER' }, 'BAD_USER_INPUT', 'workspaceId'],
    ];
    for (const [over, code, field] of cases) {
      expectError(
        await alice.gql(INVITE, { input: { accountId: alice.accountId, email, ...over } }),
        code,
        field,
      );
    }
    await invite(alice, alice.accountId, email);
    expectError(
      await alice.gql(INVITE, { input: { accountId: alice.accountId, email } }),
      'CONFLICT',
      'email',
    );
    const listed = await alice.gql(LIST, { id: alice.accountId });
    expect(listed.data.account.invitations.totalCount).toBe(1);
  });

  it('lets members read but not invite, and only owners invite owners', async () => {
    const alice = await stack.signUp();
    const member = await join(stack, alice, 'MEMBER');
    const admin = await join(stack, alice, 'ADMIN');
    const email = `y-${uid(4)}@example.test`;
    const denied = await member.gql(INVITE, { input: { accountId: alice.accountId, email } });
    expectError(denied, 'FORBIDDEN');
    expect(denied.errors?.[0]?.extensions?.permission).toBe('manage:member');
    expect((await member.gql(LIST, { id: alice.accountId })).errors).toBeUndefined();
    // A workspace closed to the member stays hidden in the invitations they can read.
    const closed = await createWorkspace(alice, alice.accountId, { defaultRole: null });
    await invite(alice, alice.accountId, `z-${uid(4)}@example.test`, {
      workspaceId: closed.id,
      workspaceRole: 'VIEWER',
    });
    const seen = await member.gql(LIST, { id: alice.accountId, status: 'PENDING' });
    expect(seen.data.account.invitations.edges.map((e: any) => e.node.workspace)).toEqual([null]);
    const ownerView = await alice.gql(LIST, { id: alice.accountId, status: 'PENDING' });
    expect(ownerView.data.account.invitations.edges.map((e: any) => e.node.workspace)).toEqual([
      { id: closed.id },
    ]);
    expectError(
      await admin.gql(INVITE, {
        input: { accountId: alice.accountId, email, accountRole: 'OWNER' },
      }),
      'FORBIDDEN',
    );
    expect(
      (await admin.gql(INVITE, { input: { accountId: alice.accountId, email } })).errors,
    ).toBeUndefined();
  });

  it('does not demote an existing member who accepts a lesser invitation', async () => {
    const alice = await stack.signUp();
    const admin = await join(stack, alice, 'ADMIN');
    const inv = await invite(alice, alice.accountId, admin.email, { accountRole: 'MEMBER' });
    const res = await admin.gql(ACCEPT, { code: inv.code });
    expect(res.data.acceptInvitation.myRole).toBe('ADMIN');
  });
});
