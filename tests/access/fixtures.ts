import { expect } from 'vitest';
import { uid, type Actor, type Stack } from '../harness/stack.js';

/** Workspace roles as the schema spells them. */
export type Role = 'OWNER' | 'DEVELOPER' | 'RUNNER' | 'VIEWER' | 'WORKER';

/** A workspace of the owner's account; by default members get no role there unless bound. */
export async function createWorkspace(
  owner: Actor,
  defaultRole: Role | null = null,
): Promise<{ id: string; handle: string }> {
  const res = await owner.gql(
    `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id handle } }`,
    {
      input: { accountId: owner.accountId, handle: `ws-${uid(4)}`, name: 'Workspace', defaultRole },
    },
  );
  expect(res.errors).toBeUndefined();
  return res.data.createWorkspace;
}

/**
 * Signs up a new user and makes them an account MEMBER of the owner's account through an
 * invitation (optionally with a workspace role, which the access subgraph turns into a binding).
 */
export async function addMember(
  stack: Stack,
  owner: Actor,
  workspace?: { id: string; role: Role },
): Promise<Actor> {
  const member = await stack.signUp();
  const invited = await owner.gql(
    `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { code } }`,
    {
      input: {
        accountId: owner.accountId,
        email: member.email,
        accountRole: 'MEMBER',
        workspaceId: workspace?.id ?? null,
        workspaceRole: workspace?.role ?? null,
      },
    },
  );
  expect(invited.errors).toBeUndefined();
  const accepted = await member.gql(
    `mutation($input: InvitationCodeInput!) { acceptInvitation(input: $input) { id } }`,
    { input: { code: invited.data.inviteMember.code } },
  );
  expect(accepted.errors).toBeUndefined();
  return member;
}

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

/** Polls until `check` passes (domain events travel through the outbox relay). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
