import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  ACCOUNT_ROLES,
  WORKSPACE_ROLE_PERMISSIONS,
  WORKSPACE_ROLES,
  expandPermissions,
} from '../../lib/permissions.js';
import {
  OPERATIONS,
  expectOutcome,
  expectedOutcome,
  seedOperationFixture,
  type OperationActor,
  type OperationFixture,
} from '../harness/operations.js';
import { join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

/**
 * Every built-in role × every protected operation of tests/harness/operations.ts, expected from
 * the role tables of lib/permissions.ts: success when the role holds the operation's permission,
 * FORBIDDEN naming it otherwise, NOT_FOUND for a non-member. Then custom roles of one permission.
 */
let stack: Stack;
let fx: OperationFixture;
beforeAll(async () => {
  stack = await startStack();
  fx = await seedOperationFixture(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const asActor = (a: Actor, bind?: OperationActor['bind']): OperationActor => ({
  gql: a.gql,
  principalId: a.userId,
  token: a.token,
  bind,
});

const SET_ROLE = `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`;

async function bindInWorkspace(actor: Actor, bind: NonNullable<OperationActor['bind']>) {
  const res = await fx.owner.gql(SET_ROLE, {
    input: { workspaceId: fx.workspaceId, userId: actor.userId, ...bind },
  });
  expect(res.errors).toBeUndefined();
}

async function createRole(level: 'ACCOUNT' | 'WORKSPACE', permissions: string[]): Promise<string> {
  const res = await fx.owner.gql(
    `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
    { input: { accountId: fx.accountId, name: `only-${uid(4)}`, level, permissions } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.createRole.id;
}

it('the registry covers every operation once', () => {
  const names = OPERATIONS.map((o) => o.name);
  expect(new Set(names).size).toBe(names.length);
  expect(OPERATIONS.filter((o) => o.level === 'WORKSPACE').length).toBeGreaterThan(5);
  expect(OPERATIONS.filter((o) => o.level === 'ACCOUNT').length).toBeGreaterThan(5);
});

describe.each(WORKSPACE_ROLES)('workspace role %s (account MEMBER)', (role) => {
  let actor: OperationActor;
  const held = {
    workspace: WORKSPACE_ROLE_PERMISSIONS[role],
    account: ACCOUNT_ROLE_PERMISSIONS.MEMBER,
  };
  beforeAll(async () => {
    const member = await join(stack, fx.owner, 'MEMBER');
    await bindInWorkspace(member, { role });
    actor = asActor(member, { role });
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const outcome = expectedOutcome(op, held);
    const res = await op.run(fx, actor);
    expectOutcome(op, res, outcome, op.level === 'WORKSPACE' ? held.workspace : held.account);
  });
});

describe.each(ACCOUNT_ROLES)('account role %s', (role) => {
  let actor: OperationActor;
  // Owners and Admins own every workspace; Members get nothing in a workspace without a default role.
  const held = {
    workspace: role === 'MEMBER' ? null : WORKSPACE_ROLE_PERMISSIONS.OWNER,
    account: ACCOUNT_ROLE_PERMISSIONS[role],
  };
  beforeAll(async () => {
    actor = asActor(await join(stack, fx.owner, role));
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const outcome = expectedOutcome(op, held);
    const res = await op.run(fx, actor);
    expectOutcome(op, res, outcome, op.level === 'WORKSPACE' ? held.workspace : held.account);
  });
});

describe('not a member of the account', () => {
  let actor: OperationActor;
  beforeAll(async () => {
    actor = asActor(await stack.signUp());
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s is NOT_FOUND', async (_name, op) => {
    expectOutcome(op, await op.run(fx, actor), 'NOT_FOUND', null);
  });
});

describe('a custom role with exactly one permission allows exactly what needs it', () => {
  const workspacePermissions = [
    ...new Set(OPERATIONS.filter((o) => o.level === 'WORKSPACE').map((o) => o.permission)),
  ];
  const accountPermissions = [
    ...new Set(OPERATIONS.filter((o) => o.level === 'ACCOUNT').map((o) => o.permission)),
  ].filter((p) => !ACCOUNT_ROLE_PERMISSIONS.MEMBER.includes(p));

  // One member each, whose custom role each case replaces.
  let workspaceMember: Actor;
  let accountMember: Actor;
  beforeAll(async () => {
    workspaceMember = await join(stack, fx.owner, 'MEMBER');
    accountMember = await join(stack, fx.owner, 'MEMBER');
  });

  it.each(workspacePermissions)('workspace role [%s]', async (permission) => {
    const roleId = await createRole('WORKSPACE', [permission]);
    const member = workspaceMember;
    await bindInWorkspace(member, { roleId });
    const actor = asActor(member, { roleId });
    const held = {
      workspace: expandPermissions([permission]),
      account: ACCOUNT_ROLE_PERMISSIONS.MEMBER,
    };
    const allowed: string[] = [];
    for (const op of OPERATIONS.filter((o) => o.level === 'WORKSPACE')) {
      const outcome = expectedOutcome(op, held);
      expectOutcome(op, await op.run(fx, actor), outcome, held.workspace);
      if (outcome === 'OK') allowed.push(op.name);
    }
    // Not vacuous: what needs nothing but this permission is allowed.
    const needsOnlyThis = OPERATIONS.filter(
      (o) => o.level === 'WORKSPACE' && o.permission === permission && !o.alsoNeeds?.length,
    ).map((o) => o.name);
    expect(allowed).toEqual(expect.arrayContaining(needsOnlyThis));
  });

  it.each(accountPermissions)('account role [%s] on top of MEMBER', async (permission) => {
    const roleId = await createRole('ACCOUNT', [permission]);
    const member = accountMember;
    const res = await fx.owner.gql(
      `mutation($input: SetAccountCustomRoleInput!) { setAccountCustomRole(input: $input) { id permissions } }`,
      { input: { accountId: fx.accountId, userId: member.userId, roleId } },
    );
    expect(res.errors).toBeUndefined();
    const actor = asActor(member);
    const held = {
      workspace: null,
      account: expandPermissions([...ACCOUNT_ROLE_PERMISSIONS.MEMBER, permission]),
    };
    const allowed: string[] = [];
    for (const op of OPERATIONS.filter((o) => o.level === 'ACCOUNT')) {
      const outcome = expectedOutcome(op, held);
      expectOutcome(op, await op.run(fx, actor), outcome, held.account);
      if (outcome === 'OK' && !ACCOUNT_ROLE_PERMISSIONS.MEMBER.includes(op.permission))
        allowed.push(op.name);
    }
    expect(allowed).toEqual(
      OPERATIONS.filter((o) => o.level === 'ACCOUNT' && o.permission === permission).map(
        (o) => o.name,
      ),
    );
  });
});
