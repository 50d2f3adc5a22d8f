import {
  accountPermissionsAuthority,
  assertMayHandOut,
  workspaceAuthority,
  type HandOutAct,
} from '../../../../lib/hand-out.js';
import type { BaseContext } from '../../../../lib/subgraph.js';

type Caller = Pick<BaseContext, 'principal' | 'grants'>;

/**
 * Nobody hands out more than they hold (lib/hand-out.ts): giving a custom account role, or
 * changing who has one, needs every permission it grants, in the account.
 */
export function assertHoldsInAccount(
  ctx: Caller,
  accountId: string,
  permissions: readonly string[],
  act: HandOutAct,
): void {
  assertMayHandOut(ctx, accountPermissionsAuthority(accountId, permissions), act);
}

/**
 * The same in a workspace: giving, changing or taking a workspace role (directly or through a
 * team) needs every permission it grants there.
 */
export function assertHoldsInWorkspace(
  ctx: Caller,
  accountId: string,
  workspaceId: string,
  permissions: readonly string[],
  act: HandOutAct,
): void {
  assertMayHandOut(ctx, workspaceAuthority(accountId, workspaceId, permissions), act);
}
