import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import {
  addMember,
  createWorkspace,
  eventually,
  REMOVE_ACCESS,
  SET_ROLE,
  setRole,
} from './fixtures.js';

const ACCESS = `query($id: ID!) {
  workspace(id: $id) { access { id role user { id handle } serviceAccount { id name } workspace { id } } }
}`;
const MY = `query($ws: ID!, $acct: ID!) {
  workspace(id: $ws) { myPermissions manageFlows: can(permission: "manage_flows") seeFlows: can(permission: "see_flows") }
  account(id: $acct) { myPermissions createWorkspace: can(permission: "create:workspace") }
}`;

let stack: Stack;
let alice: Actor;
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

/** Bindings of a principal as the gateway reads them, straight from the access tables. */
async function bindingRows(principalId: string): Promise<{ workspace_id: string; role: string }[]> {
  const orm = stack.running.subgraphs.access!.orm;
  return orm.em
    .getConnection()
    .execute(`select workspace_id, role from workspace_role_binding where principal_id = ?`, [
      principalId,
    ]);
}

describe('catalogue and roles', () => {
  it('lists the permission catalogue with levels and includes', async () => {
    const res = await alice.gql(`{ permissions { name title group level includes } }`);
    expect(res.errors).toBeUndefined();
    const byName = new Map(res.data.permissions.map((p: any) => [p.name, p]));
    expect(byName.get('manage_flows')).toMatchObject({
      level: 'WORKSPACE',
      group: 'Flows',
      includes: ['see_flows'],
    });
    expect(byName.get('create:workspace')).toMatchObject({ level: 'ACCOUNT' });
    expect(codes(await stack.gql(`{ permissions { name } }`))).toEqual(['UNAUTHENTICATED']);
  });

  it('lists the built-in roles of an account to its members, NOT_FOUND to others', async () => {
    const res = await alice.gql(
      `query($id: ID!) { roles(accountId: $id) { name level builtIn permissions } }`,
      {
        id: alice.accountId,
      },
    );
    expect(res.errors).toBeUndefined();
    const roles = res.data.roles as {
      name: string;
      level: string;
      builtIn: boolean;
      permissions: string[];
    }[];
    expect(roles.map((r) => `${r.level}:${r.name}`)).toEqual([
      'ACCOUNT:OWNER',
      'ACCOUNT:ADMIN',
      'ACCOUNT:MEMBER',
      'WORKSPACE:OWNER',
      'WORKSPACE:DEVELOPER',
      'WORKSPACE:RUNNER',
      'WORKSPACE:VIEWER',
      'WORKSPACE:WORKER',
    ]);
    expect(roles.every((r) => r.builtIn)).toBe(true);
    const viewer = roles.find((r) => r.level === 'WORKSPACE' && r.name === 'VIEWER')!;
    expect(viewer.permissions).toContain('see_flows');
    expect(viewer.permissions).not.toContain('manage_flows');
    expect(viewer.permissions).not.toContain('see_secret_blocks');
    const stranger = await stack.signUp();
    const hidden = await stranger.gql(`query($id: ID!) { roles(accountId: $id) { name } }`, {
      id: alice.accountId,
    });
    expect(codes(hidden)).toEqual(['NOT_FOUND']);
  });
});

describe('workspace role bindings', () => {
  let ws: { id: string };
  let bob: Actor;
  beforeAll(async () => {
    ws = await createWorkspace(alice, null);
    bob = await addMember(stack, alice);
  });

  it('a member without a role has no workspace permissions', async () => {
    const res = await bob.gql(MY, { ws: ws.id, acct: alice.accountId });
    expect(codes(res)).toEqual(['NOT_FOUND']); // the workspace itself is hidden from bob
    const acct = await bob.gql(
      `query($id: ID!) { account(id: $id) { myPermissions can(permission: "read:role") } }`,
      {
        id: alice.accountId,
      },
    );
    expect(acct.data.account.can).toBe(true);
    expect(acct.data.account.myPermissions).not.toContain('create:workspace');
  });

  it('setWorkspaceRole gives a role, upserts it, and shows it in Workspace.access and myPermissions', async () => {
    const first = await alice.gql(SET_ROLE, {
      input: { workspaceId: ws.id, userId: bob.userId, role: 'VIEWER' },
    });
    expect(first.errors).toBeUndefined();
    expect(first.data.setWorkspaceRole).toMatchObject({
      role: 'VIEWER',
      workspace: { id: ws.id },
      user: { id: bob.userId, handle: bob.handle },
      serviceAccount: null,
    });
    let mine = await bob.gql(MY, { ws: ws.id, acct: alice.accountId });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.workspace).toMatchObject({ manageFlows: false, seeFlows: true });
    expect(mine.data.account.createWorkspace).toBe(false);

    const second = await alice.gql(SET_ROLE, {
      input: { workspaceId: ws.id, userId: bob.userId, role: 'DEVELOPER' },
    });
    expect(second.data.setWorkspaceRole.id).toBe(first.data.setWorkspaceRole.id);
    mine = await bob.gql(MY, { ws: ws.id, acct: alice.accountId });
    expect(mine.data.workspace.manageFlows).toBe(true);
    expect(mine.data.workspace.myPermissions).not.toContain('manage_workspace_members');

    const access = await alice.gql(ACCESS, { id: ws.id });
    expect(access.errors).toBeUndefined();
    expect(access.data.workspace.access).toEqual([
      {
        id: first.data.setWorkspaceRole.id,
        role: 'DEVELOPER',
        user: { id: bob.userId, handle: bob.handle },
        serviceAccount: null,
        workspace: { id: ws.id },
      },
    ]);
    expect(await bindingRows(bob.userId)).toEqual([{ workspace_id: ws.id, role: 'DEVELOPER' }]);
  });

  it('members see the access list but only owners change it', async () => {
    await setRole(alice, ws.id, bob.userId, 'VIEWER');
    const seen = await bob.gql(ACCESS, { id: ws.id });
    expect(seen.errors).toBeUndefined();
    expect(seen.data.workspace.access).toHaveLength(1);
    const denied = await bob.gql(SET_ROLE, {
      input: { workspaceId: ws.id, userId: bob.userId, role: 'OWNER' },
    });
    expect(denied.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_workspace_members',
    });
    const removal = await bob.gql(REMOVE_ACCESS, {
      input: { workspaceId: ws.id, userId: bob.userId },
    });
    expect(codes(removal)).toEqual(['FORBIDDEN']);
    const stranger = await stack.signUp();
    const hidden = await stranger.gql(SET_ROLE, {
      input: { workspaceId: ws.id, userId: stranger.userId, role: 'OWNER' },
    });
    expect(codes(hidden)).toEqual(['NOT_FOUND']);
  });

  it('a workspace OWNER binding lets a member manage the workspace access', async () => {
    const carol = await addMember(stack, alice);
    await setRole(alice, ws.id, carol.userId, 'OWNER');
    await setRole(carol, ws.id, bob.userId, 'RUNNER');
    const access = await carol.gql(ACCESS, { id: ws.id });
    const roles = Object.fromEntries(
      access.data.workspace.access.map((a: any) => [a.user.id, a.role]),
    );
    expect(roles).toEqual({ [bob.userId]: 'RUNNER', [carol.userId]: 'OWNER' });
  });

  it('rejects inputs without exactly one principal', async () => {
    const none = await alice.gql(SET_ROLE, { input: { workspaceId: ws.id, role: 'VIEWER' } });
    expect(none.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
    const both = await alice.gql(SET_ROLE, {
      input: {
        workspaceId: ws.id,
        userId: bob.userId,
        serviceAccountId: bob.userId,
        role: 'VIEWER',
      },
    });
    expect(both.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'serviceAccountId',
    });
    const bad = await alice.gql(SET_ROLE, {
      input: { workspaceId: ws.id, userId: 'nope', role: 'VIEWER' },
    });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  });

  it('removeWorkspaceAccess takes the role away at once, then NOT_FOUND', async () => {
    const id = await setRole(alice, ws.id, bob.userId, 'DEVELOPER');
    const removed = await alice.gql(REMOVE_ACCESS, {
      input: { workspaceId: ws.id, userId: bob.userId },
    });
    expect(removed.data.removeWorkspaceAccess).toBe(id);
    expect(codes(await bob.gql(MY, { ws: ws.id, acct: alice.accountId }))).toEqual(['NOT_FOUND']);
    const again = await alice.gql(REMOVE_ACCESS, {
      input: { workspaceId: ws.id, userId: bob.userId },
    });
    expect(codes(again)).toEqual(['NOT_FOUND']);
  });

  it('the internal bindings query is not part of the public API', async () => {
    const res = await alice.gql(
      `query($id: ID!) { _principalGrants(principalId: $id) { accountPermissions { accountId } } }`,
      {
        id: alice.userId,
      },
    );
    expect(res.data ?? null).toBeNull();
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('bindings follow tenancy events', () => {
  it('an invitation with a workspace role becomes a binding', async () => {
    const ws = await createWorkspace(alice, null);
    const dave = await addMember(stack, alice, { id: ws.id, role: 'DEVELOPER' });
    await eventually(async () => {
      const mine = await dave.gql(MY, { ws: ws.id, acct: alice.accountId });
      expect(mine.data?.workspace?.manageFlows).toBe(true);
    });
    expect(await bindingRows(dave.userId)).toEqual([{ workspace_id: ws.id, role: 'DEVELOPER' }]);
  });

  it('removing a member from the account removes their bindings in it', async () => {
    const ws = await createWorkspace(alice, null);
    const erin = await addMember(stack, alice);
    await setRole(alice, ws.id, erin.userId, 'RUNNER');
    const removed = await alice.gql(
      `mutation($input: RemoveMemberInput!) { removeMember(input: $input) }`,
      {
        input: { accountId: alice.accountId, principalId: erin.userId },
      },
    );
    expect(removed.errors).toBeUndefined();
    await eventually(async () => expect(await bindingRows(erin.userId)).toEqual([]));
  });

  it('deleting a service account removes its bindings', async () => {
    const ws = await createWorkspace(alice, null);
    const sa = await alice.gql(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } } }`,
      { input: { accountId: alice.accountId, name: `worker-${uid(3)}` } },
    );
    const saId = sa.data.createServiceAccount.serviceAccount.id;
    const bound = await alice.gql(SET_ROLE, {
      input: { workspaceId: ws.id, serviceAccountId: saId, role: 'WORKER' },
    });
    expect(bound.errors).toBeUndefined();
    expect(bound.data.setWorkspaceRole).toMatchObject({ user: null, serviceAccount: { id: saId } });
    await alice.gql(`mutation($id: ID!) { deleteServiceAccount(id: $id) }`, { id: saId });
    await eventually(async () => expect(await bindingRows(saId)).toEqual([]));
  });

  it('deleting a workspace removes its bindings', async () => {
    const ws = await createWorkspace(alice, null);
    const frank = await addMember(stack, alice);
    await setRole(alice, ws.id, frank.userId, 'VIEWER');
    const del = await alice.gql(`mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: ws.id });
    expect(del.errors).toBeUndefined();
    await eventually(async () => expect(await bindingRows(frank.userId)).toEqual([]));
  });
});
