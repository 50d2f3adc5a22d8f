/**
 * Every protected operation of the API, one entry each: the permission it needs (a name from
 * lib/permissions.ts), at which level, and how to run it as an actor against a seeded fixture.
 * The permission matrix (tests/access/permission-matrix.test.ts) runs each entry for every role.
 *
 * To add an operation: append one self-contained entry. `run` prepares what it needs as the
 * fixture's owner (a flow to delete, a workspace the actor is bound in, …) and then makes the
 * one protected call as the actor, returning its result unchecked.
 */
import { expect } from 'vitest';
import { WORKSPACE_ROLE_PERMISSIONS } from '../../lib/permissions.js';
import type { GqlResult } from './client.js';
import { createWorkspace, join, type WorkspaceRoleName } from './seed.js';
import { uid, type Actor, type Stack } from './stack.js';

export interface OperationActor {
  gql: Actor['gql'];
  /** The user or service account id. */
  principalId: string;
  /** The role the actor holds in the fixture's workspace, to give it in workspaces an entry creates. */
  bind?: { role: WorkspaceRoleName } | { roleId: string };
}

/** One stack, one account, one workspace (no default role), shared by every entry. */
export interface OperationFixture {
  stack: Stack;
  /** Owner of the account: prepares objects and binds roles. */
  owner: Actor;
  accountId: string;
  /** The workspace the actors are bound in. */
  workspaceId: string;
  /** A plain account member per key, created on first use (the object of member operations). */
  member(key: string): Promise<Actor>;
  /** A new workspace of the account in which the actor holds its role (see OperationActor.bind). */
  workspaceFor(actor: OperationActor): Promise<string>;
}

export interface ProtectedOperation {
  name: string;
  level: 'WORKSPACE' | 'ACCOUNT';
  /** The permission the operation itself checks. */
  permission: string;
  /** Permissions also needed on the way (e.g. reading the workspace a list hangs off). */
  alsoNeeds?: readonly string[];
  run(fx: OperationFixture, actor: OperationActor): Promise<GqlResult>;
}

/** Runs a call as the owner and fails the test on any error (preparing an entry's objects). */
async function prepared<T = any>(
  fx: OperationFixture,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const res = await fx.owner.gql(query, variables);
  expect(res.errors, `preparing: ${query}`).toBeUndefined();
  return res.data as T;
}

const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`;
const flowOf = async (fx: OperationFixture): Promise<string> =>
  (await prepared(fx, CREATE_FLOW, { input: { workspaceId: fx.workspaceId, name: `f-${uid(4)}` } }))
    .createFlow.id;
const SET_ROLE = `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`;

export const OPERATIONS: ProtectedOperation[] = [
  // ---- flows (operations subgraph) -------------------------------------------------------
  {
    name: 'createFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: (fx, a) =>
      a.gql(CREATE_FLOW, { input: { workspaceId: fx.workspaceId, name: `f-${uid(4)}` } }),
  },
  {
    name: 'updateFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateFlowInput!) { updateFlow(input: $input) { id } }`, {
        input: { id: await flowOf(fx), name: `f-${uid(4)}` },
      }),
  },
  {
    name: 'deleteFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteFlow(id: $id) }`, { id: await flowOf(fx) }),
  },
  {
    name: 'flow',
    level: 'WORKSPACE',
    permission: 'see_flows',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { flow(id: $id) { id } }`, { id: await flowOf(fx) }),
  },
  {
    name: 'Workspace.flows',
    level: 'WORKSPACE',
    permission: 'see_flows',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { flows(first: 5) { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  // ---- workspaces (workspaces subgraph) --------------------------------------------------
  {
    name: 'workspace',
    level: 'WORKSPACE',
    permission: 'see_workspace',
    run: (fx, a) => a.gql(`query($id: ID!) { workspace(id: $id) { id } }`, { id: fx.workspaceId }),
  },
  {
    name: 'updateWorkspace',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: (fx, a) =>
      a.gql(`mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { id } }`, {
        input: { id: fx.workspaceId, description: `changed ${uid(3)}` },
      }),
  },
  {
    name: 'deleteWorkspace',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: await fx.workspaceFor(a) }),
  },
  {
    name: 'createWorkspace',
    level: 'ACCOUNT',
    permission: 'create:workspace',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`, {
        input: { accountId: fx.accountId, handle: `w-${uid(4)}`, name: 'Matrix' },
      }),
  },
  // ---- workspace access (access subgraph) ------------------------------------------------
  {
    name: 'setWorkspaceRole',
    level: 'WORKSPACE',
    permission: 'manage_workspace_members',
    // Giving VIEWER needs VIEWER's permissions: nobody hands out more than they hold.
    alsoNeeds: WORKSPACE_ROLE_PERMISSIONS.VIEWER,
    run: async (fx, a) =>
      a.gql(SET_ROLE, {
        input: {
          workspaceId: fx.workspaceId,
          userId: (await fx.member('workspace-role-target')).userId,
          role: 'VIEWER',
        },
      }),
  },
  {
    name: 'removeWorkspaceAccess',
    level: 'WORKSPACE',
    permission: 'manage_workspace_members',
    run: async (fx, a) => {
      const target = await fx.member('workspace-role-target');
      await prepared(fx, SET_ROLE, {
        input: { workspaceId: fx.workspaceId, userId: target.userId, role: 'VIEWER' },
      });
      return a.gql(
        `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`,
        { input: { workspaceId: fx.workspaceId, userId: target.userId } },
      );
    },
  },
  {
    name: 'Workspace.access',
    level: 'WORKSPACE',
    permission: 'see_workspace_members',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { access { id } } }`, { id: fx.workspaceId }),
  },
  // ---- account and members (workspaces subgraph) -----------------------------------------
  {
    name: 'inviteMember',
    level: 'ACCOUNT',
    permission: 'manage:member',
    run: (fx, a) =>
      a.gql(`mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`, {
        input: { accountId: fx.accountId, email: `inv-${uid()}@example.test` },
      }),
  },
  {
    name: 'updateAccountSettings',
    level: 'ACCOUNT',
    permission: 'update:account',
    run: (fx, a) =>
      a.gql(
        `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
        { input: { accountId: fx.accountId, name: `Matrix ${uid(3)}` } },
      ),
  },
  {
    name: 'setAccountRole',
    level: 'ACCOUNT',
    permission: 'manage:member',
    run: async (fx, a) => {
      const target = await fx.member('account-role-target');
      const SET = `mutation($input: SetAccountRoleInput!) { setAccountRole(input: $input) { id } }`;
      await prepared(fx, SET, {
        input: { accountId: fx.accountId, principalId: target.userId, role: 'MEMBER' },
      });
      return a.gql(SET, {
        input: { accountId: fx.accountId, principalId: target.userId, role: 'ADMIN' },
      });
    },
  },
  // ---- service accounts (users subgraph) -------------------------------------------------
  {
    name: 'createServiceAccount',
    level: 'ACCOUNT',
    permission: 'manage:service_account',
    run: (fx, a) =>
      a.gql(
        `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } } }`,
        { input: { accountId: fx.accountId, name: `sa-${uid(4)}` } },
      ),
  },
  {
    name: 'Account.serviceAccounts',
    level: 'ACCOUNT',
    permission: 'read:service_account',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { serviceAccounts { id } } }`, {
        id: fx.accountId,
      }),
  },
  // ---- roles and teams (access subgraph) -------------------------------------------------
  {
    name: 'roles',
    level: 'ACCOUNT',
    permission: 'read:role',
    run: (fx, a) =>
      a.gql(`query($id: ID!) { roles(accountId: $id) { name } }`, { id: fx.accountId }),
  },
  {
    name: 'createRole',
    level: 'ACCOUNT',
    permission: 'manage:role',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`, {
        input: {
          accountId: fx.accountId,
          name: `role-${uid(4)}`,
          level: 'WORKSPACE',
          permissions: ['see_flows'],
        },
      }),
  },
  {
    name: 'createTeam',
    level: 'ACCOUNT',
    permission: 'manage:team',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`, {
        input: { accountId: fx.accountId, name: `team-${uid(4)}` },
      }),
  },
  {
    name: 'setTeamMembers',
    level: 'ACCOUNT',
    permission: 'manage:team',
    run: async (fx, a) => {
      const { createTeam } = await prepared(
        fx,
        `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`,
        { input: { accountId: fx.accountId, name: `team-${uid(4)}` } },
      );
      return a.gql(
        `mutation($input: SetTeamMembersInput!) { setTeamMembers(input: $input) { id } }`,
        { input: { teamId: createTeam.id, userIds: [(await fx.member('team-member')).userId] } },
      );
    },
  },
  {
    name: 'Account.teams',
    level: 'ACCOUNT',
    permission: 'read:team',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { teams { id } } }`, { id: fx.accountId }),
  },
];

/** Seeds the shared fixture: an owner, its account and a workspace without a default role. */
export async function seedOperationFixture(stack: Stack): Promise<OperationFixture> {
  const owner = await stack.signUp();
  const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
  const members = new Map<string, Promise<Actor>>();
  const fx: OperationFixture = {
    stack,
    owner,
    accountId: owner.accountId,
    workspaceId: ws.id,
    member(key) {
      if (!members.has(key)) members.set(key, join(stack, owner, 'MEMBER'));
      return members.get(key)!;
    },
    async workspaceFor(actor) {
      const created = await createWorkspace(owner, owner.accountId, { defaultRole: null });
      if (actor.bind) {
        await prepared(fx, SET_ROLE, {
          input: { workspaceId: created.id, userId: actor.principalId, ...actor.bind },
        });
      }
      return created.id;
    },
  };
  return fx;
}

/** What an entry should answer to an actor holding `permissions` (null: not a member there). */
export function expectedOutcome(
  op: ProtectedOperation,
  permissions: { workspace: readonly string[] | null; account: readonly string[] | null },
): 'OK' | 'FORBIDDEN' | 'NOT_FOUND' {
  const held = op.level === 'WORKSPACE' ? permissions.workspace : permissions.account;
  if (held === null) return 'NOT_FOUND';
  return [op.permission, ...(op.alsoNeeds ?? [])].every((p) => held.includes(p))
    ? 'OK'
    : 'FORBIDDEN';
}

/** Asserts an entry's result against the expected outcome (FORBIDDEN names a missing permission). */
export function expectOutcome(
  op: ProtectedOperation,
  res: GqlResult,
  outcome: 'OK' | 'FORBIDDEN' | 'NOT_FOUND',
  held: readonly string[] | null,
): void {
  const label = `${op.name}: ${JSON.stringify(res.errors ?? null)}`;
  if (outcome === 'OK') {
    expect(res.errors, label).toBeUndefined();
    return;
  }
  expect(
    res.errors?.map((e) => e.extensions?.code),
    label,
  ).toEqual([outcome]);
  if (outcome === 'FORBIDDEN') {
    const missing = [op.permission, ...(op.alsoNeeds ?? [])].filter((p) => !held?.includes(p));
    expect(missing, label).toContain(res.errors![0]!.extensions?.permission);
  }
}
