import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_ROLES, WORKSPACE_ROLES } from '../../lib/permissions.js';
import {
  OPERATIONS,
  expectOutcome,
  expectedOutcome,
  type OperationActor,
} from '../harness/operations.js';
import { join } from '../harness/seed.js';
import { asActor, bindInWorkspace, matrixStack } from './matrix.js';
import { EXPECTED_ACCOUNT_ROLES, EXPECTED_WORKSPACE_ROLES } from './role-table.js';

/**
 * Every built-in role × every protected operation of tests/harness/operations.ts, expected from
 * the hand-written role table of REFERENCE.md §2 (role-table.ts), not from the tables the code
 * enforces: success when the role holds the operation's permission,
 * FORBIDDEN naming it otherwise, NOT_FOUND for a non-member. Custom roles of one permission are
 * in permission-matrix-custom.test.ts (its own file, so the two halves run in parallel).
 */
const m = matrixStack();

it('the registry covers every operation once', () => {
  const names = OPERATIONS.map((o) => o.name);
  expect(new Set(names).size).toBe(names.length);
  expect(OPERATIONS.filter((o) => o.level === 'WORKSPACE').length).toBeGreaterThan(5);
  expect(OPERATIONS.filter((o) => o.level === 'ACCOUNT').length).toBeGreaterThan(5);
});

describe.each(WORKSPACE_ROLES)('workspace role %s (account MEMBER)', (role) => {
  let actor: OperationActor;
  const held = {
    workspace: EXPECTED_WORKSPACE_ROLES[role],
    account: EXPECTED_ACCOUNT_ROLES.MEMBER,
  };
  beforeAll(async () => {
    const member = await join(m.stack, m.fx.owner, 'MEMBER');
    await bindInWorkspace(m.fx, member, { role });
    actor = asActor(member, { role });
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const outcome = expectedOutcome(op, held);
    const res = await op.run(m.fx, actor);
    expectOutcome(op, res, outcome, op.level === 'WORKSPACE' ? held.workspace : held.account);
  });
});

describe.each(ACCOUNT_ROLES)('account role %s', (role) => {
  let actor: OperationActor;
  // Owners and Admins own every workspace; Members get nothing in a workspace without a default role.
  const held = {
    workspace: role === 'MEMBER' ? null : EXPECTED_WORKSPACE_ROLES.OWNER,
    account: EXPECTED_ACCOUNT_ROLES[role],
  };
  beforeAll(async () => {
    actor = asActor(await join(m.stack, m.fx.owner, role));
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const outcome = expectedOutcome(op, held);
    const res = await op.run(m.fx, actor);
    expectOutcome(op, res, outcome, op.level === 'WORKSPACE' ? held.workspace : held.account);
  });
});

describe('not a member of the account', () => {
  let actor: OperationActor;
  beforeAll(async () => {
    actor = asActor(await m.stack.signUp());
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s is NOT_FOUND', async (_name, op) => {
    expectOutcome(op, await op.run(m.fx, actor), 'NOT_FOUND', null);
  });
});
