import { expect } from 'vitest';
import type { GqlResult } from './client.js';
import { uid, type Actor, type Stack } from './stack.js';

/** Workspace roles as the schema spells them. */
export type WorkspaceRoleName = 'OWNER' | 'DEVELOPER' | 'RUNNER' | 'VIEWER' | 'WORKER';

/** Expects exactly one error, with this code (and field, for BAD_USER_INPUT and CONFLICT). */
export function expectError(res: GqlResult, code: string, field?: string): void {
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  if (field) expect(res.errors?.[0]?.extensions?.field).toBe(field);
}

/** Creates a workspace in `accountId` as `actor`, failing the test on any error. */
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

/** Invites `email` to the account; returns the invitation with its one-time code. */
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

export interface JoinOptions {
  accountRole?: 'OWNER' | 'ADMIN' | 'MEMBER';
  /** Also a workspace role, which the access subgraph turns into a binding. */
  workspace?: { id: string; role: WorkspaceRoleName };
}

/** Signs up a new user and makes them a member of `owner`'s account through an invitation. */
export async function join(
  stack: Stack,
  owner: Actor,
  opts: JoinOptions | JoinOptions['accountRole'] = {},
): Promise<Actor> {
  const { accountRole = 'MEMBER', workspace } =
    typeof opts === 'string' ? { accountRole: opts } : opts;
  const member = await stack.signUp();
  const { code } = await invite(owner, owner.accountId, member.email, {
    accountRole,
    workspaceId: workspace?.id ?? null,
    workspaceRole: workspace?.role ?? null,
  });
  const res = await member.gql(ACCEPT, { code });
  expect(res.errors).toBeUndefined();
  return member;
}

/**
 * Polls until `check` passes (for effects that travel through the outbox relay on a timer).
 * Checks that run expensive queries poll less often (`intervalMs`): every 100 ms, a list of 200
 * runs with their task runs spends the caller's rate-limit budget within seconds.
 */
export async function eventually(
  check: () => Promise<void>,
  timeoutMs = 5000,
  intervalMs = 100,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
