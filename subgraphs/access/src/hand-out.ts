import { forbidden } from '../../../lib/errors.js';
import type { BaseContext } from '../../../lib/subgraph.js';

/**
 * Nobody hands out more than they hold: giving a role, editing a role that is in use or adding
 * members to a team needs every permission it grants, in the account or workspace where it
 * applies (FORBIDDEN naming the first one missing). The system principal is exempt.
 */
export function assertHolds(
  ctx: Pick<BaseContext, 'principal' | 'grants'>,
  scope: { accountId: string } | { workspaceId: string },
  permissions: Iterable<string>,
): void {
  if (ctx.principal.type === 'system') return;
  const grant =
    'accountId' in scope
      ? ctx.grants.accounts[scope.accountId]
      : ctx.grants.workspaces[scope.workspaceId];
  const held = new Set(grant?.permissions ?? []);
  for (const p of permissions) {
    if (!held.has(p)) {
      throw forbidden(p, `You can only give permissions you hold yourself; you lack ${p}`);
    }
  }
}
