import { expect } from 'vitest';
import type { Actor, Stack } from '../harness/stack.js';
import { createWorkspace as seedWorkspace, join, type WorkspaceRoleName } from '../harness/seed.js';
export { eventually } from '../harness/seed.js';

/** Workspace roles as the schema spells them. */
export type Role = WorkspaceRoleName;

/** A workspace of the owner's account; by default members get no role there unless bound. */
export const createWorkspace = (owner: Actor, defaultRole: Role | null = null) =>
  seedWorkspace(owner, owner.accountId, { defaultRole });

/** A new user, account MEMBER of the owner's account (optionally with a workspace role). */
export const addMember = (stack: Stack, owner: Actor, workspace?: { id: string; role: Role }) =>
  join(stack, owner, { workspace });

export const SET_ROLE = `mutation($input: SetWorkspaceRoleInput!) {
  setWorkspaceRole(input: $input) { id role createdAt workspace { id } user { id handle } serviceAccount { id } }
}`;
export const REMOVE_ACCESS = `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`;

/** Gives a user a workspace role as `by` (an owner), failing the test on any error. */
export async function setRole(
  by: Actor,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<string> {
  const res = await by.gql(SET_ROLE, { input: { workspaceId, userId, role } });
  expect(res.errors).toBeUndefined();
  expect(res.data.setWorkspaceRole.role).toBe(role);
  return res.data.setWorkspaceRole.id;
}
