import { afterAll, beforeAll, expect } from 'vitest';
import {
  seedOperationFixture,
  type OperationActor,
  type OperationFixture,
} from '../harness/operations.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

/** A stack with the operation fixture, started before the file's tests and stopped after. */
export function matrixStack(): { stack: Stack; fx: OperationFixture } {
  const m = {} as { stack: Stack; fx: OperationFixture };
  beforeAll(async () => {
    m.stack = await startStack();
    m.fx = await seedOperationFixture(m.stack);
  });
  afterAll(async () => {
    await m.stack?.stop();
  });
  return m;
}

/** Helpers of the permission-matrix test files (split in two so they run in parallel). */
export const asActor = (a: Actor, bind?: OperationActor['bind']): OperationActor => ({
  gql: a.gql,
  principalId: a.userId,
  token: a.token,
  bind,
});

const SET_ROLE = `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`;

export async function bindInWorkspace(
  fx: OperationFixture,
  actor: Actor,
  bind: NonNullable<OperationActor['bind']>,
): Promise<void> {
  const res = await fx.owner.gql(SET_ROLE, {
    input: { workspaceId: fx.workspaceId, userId: actor.userId, ...bind },
  });
  expect(res.errors).toBeUndefined();
}

export async function createRole(
  fx: OperationFixture,
  level: 'ACCOUNT' | 'WORKSPACE',
  permissions: string[],
): Promise<string> {
  const res = await fx.owner.gql(
    `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
    { input: { accountId: fx.accountId, name: `only-${uid(4)}`, level, permissions } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.createRole.id;
}
