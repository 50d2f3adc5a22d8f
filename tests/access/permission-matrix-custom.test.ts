import { beforeAll, describe, expect, it } from 'vitest';
import { expandPermissions } from '../../lib/permissions.js';
import { OPERATIONS, expectOutcome, expectedOutcome } from '../harness/operations.js';
import { join } from '../harness/seed.js';
import type { Actor } from '../harness/stack.js';
import { asActor, bindInWorkspace, createRole, matrixStack } from './matrix.js';
import { EXPECTED_ACCOUNT_ROLES } from './role-table.js';

/**
 * Custom roles of exactly one permission × every protected operation of their level: the role
 * allows exactly the operations that need that permission (see permission-matrix.test.ts for the
 * built-in roles).
 */
const m = matrixStack();

describe('a custom role with exactly one permission allows exactly what needs it', () => {
  const workspacePermissions = [
    ...new Set(OPERATIONS.filter((o) => o.level === 'WORKSPACE').map((o) => o.permission)),
  ];
  const accountPermissions = [
    ...new Set(OPERATIONS.filter((o) => o.level === 'ACCOUNT').map((o) => o.permission)),
  ].filter((p) => !EXPECTED_ACCOUNT_ROLES.MEMBER.includes(p));

  // One member each, whose custom role each case replaces.
  let workspaceMember: Actor;
  let accountMember: Actor;
  beforeAll(async () => {
    workspaceMember = await join(m.stack, m.fx.owner, 'MEMBER');
    accountMember = await join(m.stack, m.fx.owner, 'MEMBER');
  });

  it.each(workspacePermissions)('workspace role [%s]', async (permission) => {
    const roleId = await createRole(m.fx, 'WORKSPACE', [permission]);
    const member = workspaceMember;
    await bindInWorkspace(m.fx, member, { roleId });
    const actor = asActor(member, { roleId });
    const held = {
      workspace: expandPermissions([permission]),
      account: EXPECTED_ACCOUNT_ROLES.MEMBER,
    };
    const allowed: string[] = [];
    for (const op of OPERATIONS.filter((o) => o.level === 'WORKSPACE')) {
      const outcome = expectedOutcome(op, held);
      expectOutcome(op, await op.run(m.fx, actor), outcome, held.workspace);
      if (outcome === 'OK') allowed.push(op.name);
    }
    // Not vacuous: what needs nothing but this permission is allowed.
    const needsOnlyThis = OPERATIONS.filter(
      (o) => o.level === 'WORKSPACE' && o.permission === permission && !o.alsoNeeds?.length,
    ).map((o) => o.name);
    expect(allowed).toEqual(expect.arrayContaining(needsOnlyThis));
  });

  it.each(accountPermissions)('account role [%s] on top of MEMBER', async (permission) => {
    const roleId = await createRole(m.fx, 'ACCOUNT', [permission]);
    const member = accountMember;
    const res = await m.fx.owner.gql(
      `mutation($input: SetAccountCustomRoleInput!) { setAccountCustomRole(input: $input) { id permissions } }`,
      { input: { accountId: m.fx.accountId, userId: member.userId, roleId } },
    );
    expect(res.errors).toBeUndefined();
    const actor = asActor(member);
    const held = {
      workspace: null,
      account: expandPermissions([...EXPECTED_ACCOUNT_ROLES.MEMBER, permission]),
    };
    const allowed: string[] = [];
    for (const op of OPERATIONS.filter((o) => o.level === 'ACCOUNT')) {
      const outcome = expectedOutcome(op, held);
      expectOutcome(op, await op.run(m.fx, actor), outcome, held.account);
      if (outcome === 'OK' && !EXPECTED_ACCOUNT_ROLES.MEMBER.includes(op.permission))
        allowed.push(op.name);
    }
    expect(allowed).toEqual(
      OPERATIONS.filter((o) => o.level === 'ACCOUNT' && o.permission === permission).map(
        (o) => o.name,
      ),
    );
  });
});
