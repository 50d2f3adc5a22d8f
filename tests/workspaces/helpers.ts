import { expect } from 'vitest';
import type { GqlResult } from '../harness/client.js';
import { uid, type Actor, type Stack } from '../harness/stack.js';

/** Expects exactly one error, with this code (and field, for BAD_USER_INPUT and CONFLICT). */
export function expectError(res: GqlResult, code: string, field?: string): void {
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  if (field) expect(res.errors?.[0]?.extensions?.field).toBe(field);
}

export async function createWorkspace(
  actor: Pick<Actor, 'gql'>,
  accountId: string,
  over: Record<string, unknown> = {},
): Promise<{ id: string; handle: string; defaultRole: string | null }> {
  const res = await actor.gql(
    `mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id handle defaultRole } }`,
    { input: { accountId, handle: `ws-${uid(4)}`, name: 'Workspace', ...over } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.createWorkspace;
}

export async function invite(
  actor: Pick<Actor, 'gql'>,
  accountId: string,
  email: string,
  over: Record<string, unknown> = {},
): Promise<{ id: string; code: string; status: string }> {
  const res = await actor.gql(
    `mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id code status } }`,
    { input: { accountId, email, ...over } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.inviteMember;
}

export const ACCEPT = `mutation ($code: String!) { acceptInvitation(input: { code: $code }) { id handle myRole } }`;

/** Signs up a new user and makes them a member of `owner`'s account with `role`. */
export async function join(stack: Stack, owner: Actor, accountRole = 'MEMBER'): Promise<Actor> {
  const member = await stack.signUp();
  const { code } = await invite(owner, owner.accountId, member.email, { accountRole });
  const res = await member.gql(ACCEPT, { code });
  expect(res.errors).toBeUndefined();
  return member;
}
