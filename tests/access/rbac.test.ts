import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROLE_PERMISSIONS } from '../../lib/permissions.js';
import { codes } from '../harness/client.js';
import { createWorkspace, expectError, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

const CREATE_ROLE = `mutation($input: CreateRoleInput!) {
  createRole(input: $input) { id name level builtIn permissions ownPermissions inheritsFrom }
}`;
const UPDATE_ROLE = `mutation($input: UpdateRoleInput!) { updateRole(input: $input) { id permissions ownPermissions inheritsFrom } }`;
const DELETE_ROLE = `mutation($id: ID!) { deleteRole(id: $id) }`;
const SET_ROLE = `mutation($input: SetWorkspaceRoleInput!) {
  setWorkspaceRole(input: $input) { id role permissions customRole { id name } team { id name } user { id } }
}`;
const REMOVE_ACCESS = `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`;
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id name } }`;
const SET_MEMBERS = `mutation($input: SetTeamMembersInput!) {
  setTeamMembers(input: $input) { id members { user { id } serviceAccount { id } } }
}`;
const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`;
const MY_WS = `query($id: ID!) { workspace(id: $id) { myPermissions } }`;
const EXPLAIN = `query($p: String!, $ws: ID, $acct: ID) {
  accessExplanation(permission: $p, workspaceId: $ws, accountId: $acct) {
    permission granted accountId workspaceId
    sources { kind description accountRole workspaceRole role { id name } team { id name } }
  }
}`;

let stack: Stack;
let owner: Actor;
beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

async function ok<T = any>(actor: Actor, query: string, variables: Record<string, unknown>) {
  const res = await actor.gql(query, variables);
  expect(res.errors).toBeUndefined();
  return res.data as T;
}

const role = (
  over: Record<string, unknown> & { level: 'ACCOUNT' | 'WORKSPACE' },
): Promise<{ createRole: { id: string; permissions: string[]; ownPermissions: string[] } }> =>
  ok(owner, CREATE_ROLE, {
    input: { accountId: owner.accountId, name: `r-${uid(4)}`, permissions: [], ...over },
  });

const team = async (name = `t-${uid(4)}`): Promise<string> =>
  (await ok(owner, CREATE_TEAM, { input: { accountId: owner.accountId, name } })).createTeam.id;

const createFlow = (actor: Actor, workspaceId: string) =>
  actor.gql(CREATE_FLOW, { input: { workspaceId, name: `f-${uid(4)}` } });

describe('custom roles', () => {
  it('validates permissions, level, inheritance and names', async () => {
    const base = { accountId: owner.accountId, name: `r-${uid(4)}`, level: 'WORKSPACE' };
    expectError(
      await owner.gql(CREATE_ROLE, { input: { ...base, permissions: ['see_nothing'] } }),
      'BAD_USER_INPUT',
      'permissions',
    );
    expectError(
      await owner.gql(CREATE_ROLE, { input: { ...base, permissions: ['create:workspace'] } }),
      'BAD_USER_INPUT',
      'permissions',
    );
    expectError(
      await owner.gql(CREATE_ROLE, { input: { ...base, permissions: [], inheritsFrom: 'ADMIN' } }),
      'BAD_USER_INPUT',
      'inheritsFrom',
    );
    expectError(
      await owner.gql(CREATE_ROLE, { input: { ...base, permissions: [] } }),
      'BAD_USER_INPUT',
      'permissions',
    );
    expectError(
      await owner.gql(CREATE_ROLE, {
        input: { ...base, name: 'Developer', permissions: ['see_flows'] },
      }),
      'CONFLICT',
      'name',
    );
    await ok(owner, CREATE_ROLE, { input: { ...base, permissions: ['manage_flows'] } });
    expectError(
      await owner.gql(CREATE_ROLE, { input: { ...base, permissions: ['see_flows'] } }),
      'CONFLICT',
      'name',
    );
    const { roles } = await ok(
      owner,
      `query($id: ID!) { roles(accountId: $id) { id name builtIn level permissions ownPermissions } }`,
      { id: owner.accountId },
    );
    expect(roles.slice(0, 8).every((r: any) => r.builtIn && r.id === null)).toBe(true);
    expect(roles.find((r: any) => r.name === base.name)).toMatchObject({
      builtIn: false,
      level: 'WORKSPACE',
      permissions: ['manage_flows', 'see_flows'],
      ownPermissions: ['manage_flows'],
    });
  });

  it('inherits a built-in role: inherited permissions cannot be removed and follow the built-in', async () => {
    const { createRole } = await role({
      level: 'WORKSPACE',
      inheritsFrom: 'VIEWER',
      permissions: ['run_deployments'],
    });
    expect(createRole.ownPermissions).toEqual(['run_deployments']);
    expect(createRole.permissions).toEqual(
      expect.arrayContaining([...WORKSPACE_ROLE_PERMISSIONS.VIEWER, 'run_deployments']),
    );
    const emptied = await ok(owner, UPDATE_ROLE, { input: { id: createRole.id, permissions: [] } });
    expect(emptied.updateRole.ownPermissions).toEqual([]);
    expect([...emptied.updateRole.permissions].sort()).toEqual(
      [...WORKSPACE_ROLE_PERMISSIONS.VIEWER].sort(),
    );

    // A new release grows the built-in VIEWER role: the custom role and its holders follow.
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const bob = await join(stack, owner, 'MEMBER');
    const viewer = WORKSPACE_ROLE_PERMISSIONS.VIEWER;
    const before = viewer.length;
    viewer.push('see_secret_blocks');
    try {
      await ok(owner, SET_ROLE, {
        input: { workspaceId: ws.id, userId: bob.userId, roleId: createRole.id },
      });
      const { roles } = await ok(
        owner,
        `query($id: ID!) { roles(accountId: $id) { id permissions } }`,
        { id: owner.accountId },
      );
      expect(roles.find((r: any) => r.id === createRole.id).permissions).toContain(
        'see_secret_blocks',
      );
      const mine = await ok(bob, MY_WS, { id: ws.id });
      expect(mine.workspace.myPermissions).toContain('see_secret_blocks');
    } finally {
      viewer.length = before;
    }
  });

  it('a role change reaches its holders at once; a role in use cannot be deleted', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const bob = await join(stack, owner, 'MEMBER');
    const { createRole } = await role({ level: 'WORKSPACE', permissions: ['see_workspace'] });
    const bound = await ok(owner, SET_ROLE, {
      input: { workspaceId: ws.id, userId: bob.userId, roleId: createRole.id },
    });
    expect(bound.setWorkspaceRole).toMatchObject({
      role: null,
      customRole: { id: createRole.id },
      permissions: ['see_workspace'],
    });
    expectError(await createFlow(bob, ws.id), 'FORBIDDEN');
    await ok(owner, UPDATE_ROLE, {
      input: { id: createRole.id, permissions: ['see_workspace', 'manage_flows'] },
    });
    expect((await createFlow(bob, ws.id)).errors).toBeUndefined();

    expectError(await owner.gql(DELETE_ROLE, { id: createRole.id }), 'CONFLICT', 'id');
    await ok(owner, REMOVE_ACCESS, { input: { workspaceId: ws.id, userId: bob.userId } });
    expect((await owner.gql(DELETE_ROLE, { id: createRole.id })).data?.deleteRole).toBe(
      createRole.id,
    );
    expect(codes(await owner.gql(DELETE_ROLE, { id: createRole.id }))).toEqual(['NOT_FOUND']);
  });

  it('setWorkspaceRole takes exactly one of role and roleId, of a workspace role of the account', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const bob = await join(stack, owner, 'MEMBER');
    const acct = await role({ level: 'ACCOUNT', permissions: ['create:workspace'] });
    const input = { workspaceId: ws.id, userId: bob.userId };
    expectError(await owner.gql(SET_ROLE, { input }), 'BAD_USER_INPUT', 'role');
    expectError(
      await owner.gql(SET_ROLE, {
        input: { ...input, role: 'VIEWER', roleId: acct.createRole.id },
      }),
      'BAD_USER_INPUT',
      'role',
    );
    expectError(
      await owner.gql(SET_ROLE, { input: { ...input, roleId: acct.createRole.id } }),
      'BAD_USER_INPUT',
      'roleId',
    );
    expectError(
      await owner.gql(SET_ROLE, { input: { ...input, roleId: 'nope' } }),
      'BAD_USER_INPUT',
      'roleId',
    );
  });

  it('nobody hands out more than they hold', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const carol = await join(stack, owner, 'MEMBER');
    const bob = await join(stack, owner, 'MEMBER');
    const { createRole } = await role({
      level: 'WORKSPACE',
      inheritsFrom: 'VIEWER',
      permissions: ['manage_workspace_members'],
    });
    await ok(owner, SET_ROLE, {
      input: { workspaceId: ws.id, userId: carol.userId, roleId: createRole.id },
    });
    const escalate = await carol.gql(SET_ROLE, {
      input: { workspaceId: ws.id, userId: carol.userId, role: 'OWNER' },
    });
    expect(escalate.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(WORKSPACE_ROLE_PERMISSIONS.VIEWER).not.toContain(
      escalate.errors?.[0]?.extensions?.permission,
    );
    expect(
      (
        await carol.gql(SET_ROLE, {
          input: { workspaceId: ws.id, userId: bob.userId, role: 'VIEWER' },
        })
      ).errors,
    ).toBeUndefined();

    const admin = await join(stack, owner, 'ADMIN');
    const bypass = await admin.gql(CREATE_ROLE, {
      input: {
        accountId: owner.accountId,
        name: `r-${uid(4)}`,
        level: 'ACCOUNT',
        permissions: ['bypass:sso'],
      },
    });
    expect(bypass.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'bypass:sso',
    });
  });
});

describe('teams', () => {
  it('a team binding grants its members and un-grants when they leave or it goes', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const bob = await join(stack, owner, 'MEMBER');
    const teamId = await team();
    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [bob.userId] } });
    expect(codes(await createFlow(bob, ws.id))).toEqual(['NOT_FOUND']);

    const bound = await ok(owner, SET_ROLE, {
      input: { workspaceId: ws.id, teamId, role: 'DEVELOPER' },
    });
    expect(bound.setWorkspaceRole).toMatchObject({ team: { id: teamId }, user: null });
    expect((await createFlow(bob, ws.id)).errors).toBeUndefined();

    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [] } });
    expect(codes(await createFlow(bob, ws.id))).toEqual(['NOT_FOUND']);

    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [bob.userId] } });
    expect((await createFlow(bob, ws.id)).errors).toBeUndefined();
    await ok(owner, REMOVE_ACCESS, { input: { workspaceId: ws.id, teamId } });
    expect(codes(await createFlow(bob, ws.id))).toEqual(['NOT_FOUND']);

    await ok(owner, SET_ROLE, { input: { workspaceId: ws.id, teamId, role: 'RUNNER' } });
    expect(codes(await createFlow(bob, ws.id))).toEqual(['FORBIDDEN']);
    await ok(owner, `mutation($id: ID!) { deleteTeam(id: $id) }`, { id: teamId });
    expect(codes(await bob.gql(MY_WS, { id: ws.id }))).toEqual(['NOT_FOUND']);
  });

  it('lists teams and members; names are unique per account', async () => {
    const bob = await join(stack, owner, 'MEMBER');
    const name = `t-${uid(4)}`;
    const teamId = await team(name);
    expectError(
      await owner.gql(CREATE_TEAM, { input: { accountId: owner.accountId, name } }),
      'CONFLICT',
      'name',
    );
    expectError(
      await owner.gql(SET_MEMBERS, { input: { teamId, userIds: ['nope'] } }),
      'BAD_USER_INPUT',
      'userIds',
    );
    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [bob.userId, owner.userId] } });
    const { account } = await ok(
      bob,
      `query($id: ID!) { account(id: $id) { teams { id name members { user { id handle } } } } }`,
      { id: owner.accountId },
    );
    const found = account.teams.find((t: any) => t.id === teamId);
    expect(found.name).toBe(name);
    expect(found.members.map((m: any) => m.user.id).sort()).toEqual(
      [bob.userId, owner.userId].sort(),
    );
    expect(found.members.find((m: any) => m.user.id === bob.userId).user.handle).toBe(bob.handle);
  });

  it('a custom account role given to a team adds to its members’ account role', async () => {
    const bob = await join(stack, owner, 'MEMBER');
    const teamId = await team();
    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [bob.userId] } });
    const create = () =>
      bob.gql(`mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`, {
        input: { accountId: owner.accountId, handle: `w-${uid(4)}`, name: 'By bob' },
      });
    expect(codes(await create())).toEqual(['FORBIDDEN']);
    const { createRole } = await role({ level: 'ACCOUNT', permissions: ['create:workspace'] });
    await ok(
      owner,
      `mutation($input: SetAccountCustomRoleInput!) { setAccountCustomRole(input: $input) { id team { id } role { id } } }`,
      { input: { accountId: owner.accountId, teamId, roleId: createRole.id } },
    );
    expect((await create()).errors).toBeUndefined();
    const why = await ok(bob, EXPLAIN, { p: 'create:workspace', acct: owner.accountId });
    expect(why.accessExplanation).toMatchObject({
      granted: true,
      sources: [{ kind: 'ACCOUNT_CUSTOM_ROLE', role: { id: createRole.id }, team: { id: teamId } }],
    });
    await ok(
      owner,
      `mutation($input: RemoveAccountCustomRoleInput!) { removeAccountCustomRole(input: $input) }`,
      { input: { accountId: owner.accountId, teamId } },
    );
    expect(codes(await create())).toEqual(['FORBIDDEN']);
  });
});

describe('lists filter in SQL', () => {
  it("a RUNNER's flow list returns its workspace's rows with the workspace condition in SQL", async () => {
    const mine = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const other = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    for (const ws of [mine, other, other])
      expect((await createFlow(owner, ws.id)).errors).toBeUndefined();
    const runner = await join(stack, owner, 'MEMBER');
    await ok(owner, SET_ROLE, {
      input: { workspaceId: mine.id, userId: runner.userId, role: 'RUNNER' },
    });
    await runner.gql(`{ me { id } }`); // grants resolved before counting
    stack.counters.operations.reset(true);
    const res = await ok(
      runner,
      `query($id: ID!) { workspace(id: $id) { flows(first: 50) { totalCount edges { node { workspace { id } } } } } }`,
      { id: mine.id },
    );
    expect(res.workspace.flows.totalCount).toBe(1);
    expect(res.workspace.flows.edges.map((e: any) => e.node.workspace.id)).toEqual([mine.id]);
    const page = stack.counters.operations.statements.filter((s) =>
      /from ("\w+"\.)?[`"]?flow[`"]? .*limit/i.test(s),
    );
    expect(page, stack.counters.operations.statements.join('\n')).toHaveLength(1);
    // The ability's condition (one per workspace the runner may read flows in) plus the
    // workspace asked for: the filter is in SQL, not applied after loading.
    const visible = await ok(runner, `query($id: ID!) { account(id: $id) { workspaces { id } } }`, {
      id: owner.accountId,
    });
    const conditions = page[0]!.match(/workspace_id[`"]? (=|in) /g) ?? [];
    expect(conditions).toHaveLength(visible.account.workspaces.length + 1);
    expect(codes(await runner.gql(MY_WS, { id: other.id }))).toEqual(['NOT_FOUND']);
  });

  it('the grants lookup costs the same number of queries for 1 or 6 bindings', async () => {
    const one = await join(stack, owner, 'MEMBER');
    const many = await join(stack, owner, 'MEMBER');
    const teamId = await team();
    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [many.userId] } });
    const { createRole } = await role({ level: 'WORKSPACE', permissions: ['see_workspace'] });
    const acctRole = await role({ level: 'ACCOUNT', permissions: ['create:workspace'] });
    await ok(
      owner,
      `mutation($input: SetAccountCustomRoleInput!) { setAccountCustomRole(input: $input) { id } }`,
      { input: { accountId: owner.accountId, teamId, roleId: acctRole.createRole.id } },
    );
    const ws1 = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    await ok(owner, SET_ROLE, {
      input: { workspaceId: ws1.id, userId: one.userId, roleId: createRole.id },
    });
    for (let i = 0; i < 3; i++) {
      const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
      await ok(owner, SET_ROLE, {
        input: { workspaceId: ws.id, userId: many.userId, role: 'VIEWER' },
      });
      await ok(owner, SET_ROLE, { input: { workspaceId: ws.id, teamId, roleId: createRole.id } });
    }
    const lookup = async (actor: Actor) => {
      // A grants change drops the cached identity: the next request looks it up again.
      await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [many.userId, one.userId] } });
      await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [many.userId] } });
      stack.counters.access.reset();
      await ok(actor, `{ me { id } }`, {});
      return stack.counters.access.internal;
    };
    const few = await lookup(one);
    expect(few).toBeGreaterThan(0);
    expect(await lookup(many)).toBe(few);
    const grants = await ok(
      many,
      `query($id: ID!) { account(id: $id) { can(permission: "create:workspace") } }`,
      {
        id: owner.accountId,
      },
    );
    expect(grants.account.can).toBe(true);
  });
});

describe('accessExplanation', () => {
  it('names the source of each permission, or none', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: 'VIEWER' });
    const explain = (actor: Actor, p: string, scope: { ws?: string; acct?: string }) =>
      ok(actor, EXPLAIN, { p, ...scope }).then((d) => d.accessExplanation);

    expect(await explain(owner, 'manage_flows', { ws: ws.id })).toMatchObject({
      granted: true,
      accountId: owner.accountId,
      sources: [
        { kind: 'ACCOUNT_ROLE_WORKSPACE_OWNER', accountRole: 'OWNER', workspaceRole: 'OWNER' },
      ],
    });
    expect(await explain(owner, 'bypass:sso', { acct: owner.accountId })).toMatchObject({
      granted: true,
      sources: [{ kind: 'ACCOUNT_ROLE', accountRole: 'OWNER' }],
    });

    const bob = await join(stack, owner, 'MEMBER');
    expect(await explain(bob, 'see_flows', { ws: ws.id })).toMatchObject({
      granted: true,
      sources: [{ kind: 'WORKSPACE_DEFAULT_ROLE', workspaceRole: 'VIEWER' }],
    });
    expect(await explain(bob, 'manage_flows', { ws: ws.id })).toMatchObject({
      granted: false,
      sources: [],
    });
    expect(await explain(bob, 'create:workspace', { acct: owner.accountId })).toMatchObject({
      granted: false,
      sources: [],
    });

    const teamId = await team('Platform');
    await ok(owner, SET_MEMBERS, { input: { teamId, userIds: [bob.userId] } });
    await ok(owner, SET_ROLE, { input: { workspaceId: ws.id, teamId, role: 'DEVELOPER' } });
    const { createRole } = await role({ level: 'WORKSPACE', permissions: ['manage_flows'] });
    await ok(owner, SET_ROLE, {
      input: { workspaceId: ws.id, userId: bob.userId, roleId: createRole.id },
    });
    const both = await explain(bob, 'manage_flows', { ws: ws.id });
    expect(both.granted).toBe(true);
    expect(both.sources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'WORKSPACE_BINDING',
          role: expect.objectContaining({ id: createRole.id }),
        }),
        expect.objectContaining({
          kind: 'TEAM_WORKSPACE_BINDING',
          workspaceRole: 'DEVELOPER',
          team: { id: teamId, name: 'Platform' },
        }),
      ]),
    );
    expect(both.sources).toHaveLength(2);

    expectError(await bob.gql(EXPLAIN, { p: 'nope', ws: ws.id }), 'BAD_USER_INPUT', 'permission');
    expectError(
      await bob.gql(EXPLAIN, { p: 'create:workspace', ws: ws.id }),
      'BAD_USER_INPUT',
      'permission',
    );
    expectError(await bob.gql(EXPLAIN, { p: 'see_flows' }), 'BAD_USER_INPUT', 'workspaceId');
    const stranger = await stack.signUp();
    expectError(await stranger.gql(EXPLAIN, { p: 'see_flows', ws: ws.id }), 'NOT_FOUND');
  });
});
