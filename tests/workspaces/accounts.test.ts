import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, uid, type Stack } from '../harness/stack.js';
import { createWorkspace, expectError, join } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const ACCOUNT_FIELDS = `id handle name myRole settings { aiErrorSummaries allowedSsoDomains ipAllowList auditRetentionDays }`;
const UPDATE = `mutation ($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { ${ACCOUNT_FIELDS} } }`;

describe('sign-up', () => {
  it('provisions exactly one account, owned by the new user', async () => {
    const alice = await stack.signUp({ name: 'Alice Example' });
    const res = await alice.gql(
      `{ me { accounts { ${ACCOUNT_FIELDS} members { totalCount edges { node { role active user { id handle } serviceAccount { id } } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.me.accounts).toHaveLength(1);
    const [account] = res.data.me.accounts;
    expect(account).toMatchObject({
      id: alice.accountId,
      handle: alice.handle,
      name: 'Alice Example',
      myRole: 'OWNER',
      settings: {
        aiErrorSummaries: false,
        allowedSsoDomains: [],
        ipAllowList: [],
        auditRetentionDays: 365,
      },
    });
    expect(account.members.totalCount).toBe(1);
    expect(account.members.edges[0].node).toEqual({
      role: 'OWNER',
      active: true,
      user: { id: alice.userId, handle: alice.handle },
      serviceAccount: null,
    });
  });

  it('gives the account a suffixed handle when the user handle is taken by an account', async () => {
    const owner = await stack.signUp();
    const handle = `taken-${uid(4)}`;
    const created = await owner.gql(
      `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
      {
        input: { handle, name: 'First' },
      },
    );
    expect(created.errors).toBeUndefined();
    const late = await stack.signUp({ handle });
    const res = await late.gql(`{ me { accounts { handle } } }`);
    expect(res.data.me.accounts).toHaveLength(1);
    expect(res.data.me.accounts[0].handle).toMatch(new RegExp(`^${handle}-[a-z0-9]{4}$`));
  });
});

describe('createAccount', () => {
  const CREATE = `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { ${ACCOUNT_FIELDS} } }`;

  it('makes the caller the owner of a second account', async () => {
    const alice = await stack.signUp();
    const handle = `acme-${uid(4)}`;
    const res = await alice.gql(CREATE, { input: { handle, name: 'Acme' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.createAccount).toMatchObject({ handle, name: 'Acme', myRole: 'OWNER' });
    const me = await alice.gql(`{ me { accounts { handle myRole } } }`);
    expect(me.data.me.accounts.map((a: { handle: string }) => a.handle)).toEqual([
      alice.handle,
      handle,
    ]);
    // The new grants apply at once: the creator can create a workspace in it.
    await createWorkspace(alice, res.data.createAccount.id);
  });

  it('names the field of bad input and answers CONFLICT for a taken handle', async () => {
    const alice = await stack.signUp();
    expectError(
      await alice.gql(CREATE, { input: { handle: 'Bad Handle', name: 'x' } }),
      'BAD_USER_INPUT',
      'handle',
    );
    expectError(
      await alice.gql(CREATE, { input: { handle: `ok-${uid(4)}`, name: ' ' } }),
      'BAD_USER_INPUT',
      'name',
    );
    expectError(
      await alice.gql(CREATE, { input: { handle: `ok-${uid(4)}`, name: 'x'.repeat(101) } }),
      'BAD_USER_INPUT',
      'name',
    );
    expectError(
      await alice.gql(CREATE, { input: { handle: alice.handle, name: 'Dup' } }),
      'CONFLICT',
      'handle',
    );
    const me = await alice.gql(`{ me { accounts { id } } }`);
    expect(me.data.me.accounts).toHaveLength(1);
  });

  it('needs a signed-in user', async () => {
    const res = await stack.gql(CREATE, { input: { handle: `anon-${uid(4)}`, name: 'Anon' } });
    expectError(res, 'UNAUTHENTICATED');
  });
});

describe('updateAccountSettings', () => {
  it('changes settings, handle and name for an owner', async () => {
    const alice = await stack.signUp();
    const handle = `renamed-${uid(4)}`;
    const res = await alice.gql(UPDATE, {
      input: {
        accountId: alice.accountId,
        handle,
        name: 'Renamed',
        aiErrorSummaries: true,
        allowedSsoDomains: ['Example.COM', 'corp.example.com'],
        // The caller's own address (loopback) must be on the list it saves.
        ipAllowList: ['127.0.0.0/8', '10.0.0.0/8', '2001:db8::1'],
        auditRetentionDays: 90,
      },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.updateAccountSettings).toMatchObject({
      handle,
      name: 'Renamed',
      settings: {
        aiErrorSummaries: true,
        allowedSsoDomains: ['example.com', 'corp.example.com'],
        ipAllowList: ['127.0.0.0/8', '10.0.0.0/8', '2001:db8::1'],
        auditRetentionDays: 90,
      },
    });
    const byHandle = await alice.gql(`query ($h: String!) { account(handle: $h) { id } }`, {
      h: handle,
    });
    expect(byHandle.data.account.id).toBe(alice.accountId);
  });

  it('rejects bad settings naming the field, and changes nothing', async () => {
    const alice = await stack.signUp();
    const other = await stack.signUp();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ allowedSsoDomains: ['not a domain'] }, 'BAD_USER_INPUT', 'allowedSsoDomains'],
      [{ ipAllowList: ['10.0.0.0/33'] }, 'BAD_USER_INPUT', 'ipAllowList'],
      [{ ipAllowList: ['300.1.1.1'] }, 'BAD_USER_INPUT', 'ipAllowList'],
      [{ auditRetentionDays: 0 }, 'BAD_USER_INPUT', 'auditRetentionDays'],
      [{ auditRetentionDays: 5000 }, 'BAD_USER_INPUT', 'auditRetentionDays'],
      [{ handle: '-bad' }, 'BAD_USER_INPUT', 'handle'],
      [{ name: '' }, 'BAD_USER_INPUT', 'name'],
      [{ handle: other.handle }, 'CONFLICT', 'handle'],
    ];
    for (const [input, code, field] of cases) {
      expectError(
        await alice.gql(UPDATE, {
          input: { accountId: alice.accountId, aiErrorSummaries: true, ...input },
        }),
        code,
        field,
      );
    }
    const res = await alice.gql(`query ($id: ID!) { account(id: $id) { ${ACCOUNT_FIELDS} } }`, {
      id: alice.accountId,
    });
    expect(res.data.account).toMatchObject({
      handle: alice.handle,
      settings: { aiErrorSummaries: false },
    });
  });

  it('is FORBIDDEN for a plain member and NOT_FOUND for a stranger', async () => {
    const alice = await stack.signUp();
    const member = await join(stack, alice);
    const stranger = await stack.signUp();
    const input = { accountId: alice.accountId, aiErrorSummaries: true };
    const forbidden = await member.gql(UPDATE, { input });
    expectError(forbidden, 'FORBIDDEN');
    expect(forbidden.errors?.[0]?.extensions?.permission).toBe('update:account');
    expectError(await stranger.gql(UPDATE, { input }), 'NOT_FOUND');
  });
});
