import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace, expectError, join } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const WS_FIELDS = `id handle name description defaultRole account { id handle }`;
const BY_ID = `query ($id: ID!) { workspace(id: $id) { ${WS_FIELDS} } }`;
const BY_HANDLE = `query ($handle: String!) { workspace(handle: $handle) { ${WS_FIELDS} } }`;
const CREATE = `mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { ${WS_FIELDS} } }`;
const UPDATE = `mutation ($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { ${WS_FIELDS} } }`;
const DELETE = `mutation ($id: ID!) { deleteWorkspace(id: $id) }`;

describe('workspaces of an account', () => {
  it('creates a workspace and finds it by id, by handle and through me', async () => {
    const alice = await stack.signUp();
    const handle = `prod-${uid(4)}`;
    const res = await alice.gql(CREATE, {
      input: { accountId: alice.accountId, handle, name: 'Production', description: 'Live flows' },
    });
    expect(res.errors).toBeUndefined();
    const ws = res.data.createWorkspace;
    expect(ws).toMatchObject({
      handle,
      name: 'Production',
      description: 'Live flows',
      defaultRole: 'VIEWER',
      account: { id: alice.accountId, handle: alice.handle },
    });
    expect((await alice.gql(BY_ID, { id: ws.id })).data.workspace).toEqual(ws);
    expect(
      (await alice.gql(BY_HANDLE, { handle: `${alice.handle}/${handle}` })).data.workspace,
    ).toEqual(ws);
    const me = await alice.gql(`{ me { accounts { workspaces { handle } } } }`);
    expect(me.data.me.accounts[0].workspaces).toEqual([{ handle }]);
  });

  it('updates handle, name, description and default role, and deletes', async () => {
    const alice = await stack.signUp();
    const ws = await createWorkspace(alice, alice.accountId);
    const handle = `renamed-${uid(4)}`;
    const res = await alice.gql(UPDATE, {
      input: { id: ws.id, handle, name: 'Renamed', description: null, defaultRole: 'RUNNER' },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.updateWorkspace).toMatchObject({
      handle,
      name: 'Renamed',
      description: null,
      defaultRole: 'RUNNER',
    });
    const cleared = await alice.gql(UPDATE, { input: { id: ws.id, defaultRole: null } });
    expect(cleared.data.updateWorkspace).toMatchObject({ handle, defaultRole: null });

    const del = await alice.gql(DELETE, { id: ws.id });
    expect(del.errors).toBeUndefined();
    expect(del.data.deleteWorkspace).toBe(ws.id);
    expectError(await alice.gql(BY_ID, { id: ws.id }), 'NOT_FOUND');
    const me = await alice.gql(`{ me { accounts { workspaces { id } } } }`);
    expect(me.data.me.accounts[0].workspaces).toEqual([]);
  });

  it('names the field of bad input, answers CONFLICT for a taken handle, and changes nothing', async () => {
    const alice = await stack.signUp();
    const ws = await createWorkspace(alice, alice.accountId);
    const input = (over: Record<string, unknown>) => ({
      input: { accountId: alice.accountId, handle: `ok-${uid(4)}`, name: 'ok', ...over },
    });
    expectError(await alice.gql(CREATE, input({ handle: 'UPPER' })), 'BAD_USER_INPUT', 'handle');
    expectError(await alice.gql(CREATE, input({ name: '' })), 'BAD_USER_INPUT', 'name');
    expectError(
      await alice.gql(CREATE, input({ description: 'x'.repeat(2001) })),
      'BAD_USER_INPUT',
      'description',
    );
    expectError(await alice.gql(CREATE, input({ defaultRole: 'KING' })), 'BAD_USER_INPUT');
    expectError(await alice.gql(CREATE, input({ handle: ws.handle })), 'CONFLICT', 'handle');
    expectError(await alice.gql(BY_HANDLE, { handle: 'no-slash' }), 'BAD_USER_INPUT', 'handle');
    const other = await createWorkspace(alice, alice.accountId);
    expectError(
      await alice.gql(UPDATE, { input: { id: other.id, handle: ws.handle } }),
      'CONFLICT',
      'handle',
    );
    const me = await alice.gql(`{ me { accounts { workspaces { id } } } }`);
    expect(me.data.me.accounts[0].workspaces.map((w: { id: string }) => w.id)).toEqual([
      ws.id,
      other.id,
    ]);
  });

  it('allows the same workspace handle in two accounts', async () => {
    const alice = await stack.signUp();
    const bob = await stack.signUp();
    const a = await createWorkspace(alice, alice.accountId, { handle: 'default' });
    const b = await createWorkspace(bob, bob.accountId, { handle: 'default' });
    expect(a.handle).toBe(b.handle);
    expect((await bob.gql(BY_HANDLE, { handle: `${bob.handle}/default` })).data.workspace.id).toBe(
      b.id,
    );
  });
});

describe('tenant isolation', () => {
  let alice: Actor;
  let mallory: Actor;
  let ws: { id: string; handle: string };
  beforeAll(async () => {
    alice = await stack.signUp();
    mallory = await stack.signUp();
    ws = await createWorkspace(alice, alice.accountId);
  });

  it("answers NOT_FOUND with no data for another account's account and workspace", async () => {
    const queries: [string, Record<string, unknown>, string][] = [
      [
        `query ($id: ID!) { account(id: $id) { id handle name } }`,
        { id: alice.accountId },
        'account',
      ],
      [
        `query ($h: String!) { account(handle: $h) { id handle name } }`,
        { h: alice.handle },
        'account',
      ],
      [BY_ID, { id: ws.id }, 'workspace'],
      [BY_HANDLE, { handle: `${alice.handle}/${ws.handle}` }, 'workspace'],
    ];
    for (const [query, variables, field] of queries) {
      const res = await mallory.gql(query, variables);
      expectError(res, 'NOT_FOUND');
      expect(res.data?.[field] ?? null).toBeNull();
      expect(JSON.stringify(res)).not.toContain(alice.handle);
    }
  });

  it('answers the same NOT_FOUND for ids and handles that do not exist', async () => {
    const ghost = '00000000-0000-4000-8000-000000000000';
    const a = await mallory.gql(`query ($id: ID!) { account(id: $id) { id } }`, {
      id: alice.accountId,
    });
    const b = await mallory.gql(`query ($id: ID!) { account(id: $id) { id } }`, { id: ghost });
    const c = await mallory.gql(`query ($h: String!) { account(handle: $h) { id } }`, {
      h: `ghost-${uid(4)}`,
    });
    expect(a.errors?.[0]?.message).toBe(b.errors?.[0]?.message);
    expect(a.errors?.[0]?.message).toBe(c.errors?.[0]?.message);
    expectError(await mallory.gql(BY_ID, { id: 'not-a-uuid' }), 'NOT_FOUND');
  });

  it('refuses writes into another account with NOT_FOUND, changing nothing', async () => {
    expectError(
      await mallory.gql(CREATE, {
        input: { accountId: alice.accountId, handle: `x-${uid(4)}`, name: 'x' },
      }),
      'NOT_FOUND',
    );
    expectError(await mallory.gql(UPDATE, { input: { id: ws.id, name: 'pwned' } }), 'NOT_FOUND');
    expectError(await mallory.gql(DELETE, { id: ws.id }), 'NOT_FOUND');
    expectError(
      await mallory.gql(
        `mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`,
        {
          input: { accountId: alice.accountId, email: mallory.email },
        },
      ),
      'NOT_FOUND',
    );
    const res = await alice.gql(BY_ID, { id: ws.id });
    expect(res.data.workspace.name).toBe('Workspace');
  });

  it("never lists another account's workspaces or members", async () => {
    const res = await mallory.gql(
      `{ me { accounts { id workspaces { id } members { totalCount } } } }`,
    );
    expect(res.data.me.accounts).toEqual([
      { id: mallory.accountId, workspaces: [], members: { totalCount: 1 } },
    ]);
  });
});

describe('members and workspace roles', () => {
  it('lets a member see workspaces through the default role, FORBIDDEN to change them', async () => {
    const alice = await stack.signUp();
    const open = await createWorkspace(alice, alice.accountId);
    const closed = await createWorkspace(alice, alice.accountId, { defaultRole: null });
    const bob = await join(stack, alice);

    const list = await bob.gql(
      `query ($id: ID!) { account(id: $id) { myRole workspaces { id } } }`,
      { id: alice.accountId },
    );
    expect(list.data.account).toEqual({ myRole: 'MEMBER', workspaces: [{ id: open.id }] });
    expect((await bob.gql(BY_ID, { id: open.id })).data.workspace.id).toBe(open.id);
    expectError(await bob.gql(BY_ID, { id: closed.id }), 'NOT_FOUND');

    const denied = await bob.gql(CREATE, {
      input: { accountId: alice.accountId, handle: `b-${uid(4)}`, name: 'b' },
    });
    expectError(denied, 'FORBIDDEN');
    expect(denied.errors?.[0]?.extensions?.permission).toBe('create:workspace');
    expectError(await bob.gql(UPDATE, { input: { id: open.id, name: 'nope' } }), 'FORBIDDEN');
    expectError(await bob.gql(DELETE, { id: open.id }), 'FORBIDDEN');

    // Opening the closed workspace to members takes effect on the member's next request.
    await alice.gql(UPDATE, { input: { id: closed.id, defaultRole: 'VIEWER' } });
    expect((await bob.gql(BY_ID, { id: closed.id })).data.workspace.id).toBe(closed.id);
  });

  it('gives account admins every workspace, including new ones', async () => {
    const alice = await stack.signUp();
    const admin = await join(stack, alice, 'ADMIN');
    const closed = await createWorkspace(alice, alice.accountId, { defaultRole: null });
    const mine = await createWorkspace(admin, alice.accountId, { defaultRole: null });
    const res = await admin.gql(`query ($id: ID!) { account(id: $id) { workspaces { id } } }`, {
      id: alice.accountId,
    });
    expect(res.data.account.workspaces).toEqual([{ id: closed.id }, { id: mine.id }]);
  });
});

describe('query cost', () => {
  it('lists accounts with their workspaces in a constant number of queries', async () => {
    const few = await stack.signUp();
    const many = await stack.signUp();
    for (let i = 0; i < 3; i++) {
      const res = await many.gql(
        `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
        {
          input: { handle: `many-${uid(4)}`, name: `Many ${i}` },
        },
      );
      await createWorkspace(many, res.data.createAccount.id);
      await createWorkspace(many, res.data.createAccount.id);
    }
    await createWorkspace(few, few.accountId);
    const query = `{ me { accounts { handle myRole workspaces { handle account { handle } } } } }`;
    const cost = async (actor: Actor) => {
      await actor.gql(query); // warm the gateway's grants cache
      const counter = stack.counters.workspaces;
      counter.reset(true);
      const res = await actor.gql(query);
      expect(res.errors).toBeUndefined();
      return counter.statements.filter((s) => !/outbox|begin|commit|savepoint/i.test(s)).length;
    };
    const a = await cost(few);
    const b = await cost(many);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThanOrEqual(4);
    expect(b).toBe(a);
  });

  it('answers the gateway grant lookup in two queries', async () => {
    const alice = await stack.signUp();
    for (let i = 0; i < 2; i++) {
      const res = await alice.gql(
        `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
        {
          input: { handle: `grants-${uid(4)}`, name: 'G' },
        },
      );
      await createWorkspace(alice, res.data.createAccount.id);
    }
    const signIn = await stack.gql(
      `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { email: alice.email, password: alice.password } },
    );
    const fresh = stack.as(signIn.data.signIn.token);
    const counter = stack.counters.workspaces;
    counter.reset(true);
    const res = await fresh.gql(`{ me { id } }`);
    expect(res.errors).toBeUndefined();
    const statements = counter.internalStatements.filter((s) => !/begin|commit|savepoint/i.test(s));
    expect(statements).toHaveLength(2);
  });
});
