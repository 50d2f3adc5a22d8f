import type { AccountRoleName, Grants, WorkspaceRoleName } from './principal.js';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  WORKSPACE_ROLE_PERMISSIONS,
  expandPermissions,
} from './permissions.js';

/**
 * What the workspaces subgraph answers to `_principalMemberships(principalId)`: the principal's
 * active memberships and every workspace of those accounts with its default role.
 */
export interface MembershipFact {
  accountId: string;
  role: AccountRoleName;
  workspaces: { id: string; defaultRole: WorkspaceRoleName | null }[];
}

/** What the access subgraph answers to `_workspaceBindings(principalId)`. */
export interface BindingFact {
  workspaceId: string;
  accountId: string;
  role: WorkspaceRoleName;
  /** Extra permissions (custom roles); empty for built-in roles. */
  permissions?: string[];
}

const RANK: Record<WorkspaceRoleName, number> = {
  VIEWER: 1,
  WORKER: 1,
  RUNNER: 2,
  DEVELOPER: 3,
  OWNER: 4,
};

/**
 * Merges memberships and role bindings into grants (REFERENCE §2): account Owners and Admins
 * are implicit Owners of every workspace; other members get their bindings (union when several)
 * or the workspace's default role; bindings in accounts where the principal is not an active
 * member count for nothing.
 */
export function computeGrants(memberships: MembershipFact[], bindings: BindingFact[]): Grants {
  const grants: Grants = { accounts: {}, workspaces: {} };
  const byWorkspace = new Map<string, BindingFact[]>();
  for (const b of bindings) {
    const list = byWorkspace.get(b.workspaceId) ?? [];
    list.push(b);
    byWorkspace.set(b.workspaceId, list);
  }
  for (const m of memberships) {
    grants.accounts[m.accountId] = { role: m.role, permissions: ACCOUNT_ROLE_PERMISSIONS[m.role] };
    for (const ws of m.workspaces) {
      if (m.role === 'OWNER' || m.role === 'ADMIN') {
        grants.workspaces[ws.id] = {
          accountId: m.accountId,
          role: 'OWNER',
          permissions: WORKSPACE_ROLE_PERMISSIONS.OWNER,
        };
        continue;
      }
      const own = (byWorkspace.get(ws.id) ?? []).filter((b) => b.accountId === m.accountId);
      if (own.length) {
        const top = own.reduce((a, b) => (RANK[b.role] > RANK[a.role] ? b : a));
        const perms = expandPermissions(
          own.flatMap((b) => [...WORKSPACE_ROLE_PERMISSIONS[b.role], ...(b.permissions ?? [])]),
        );
        grants.workspaces[ws.id] = { accountId: m.accountId, role: top.role, permissions: perms };
      } else if (ws.defaultRole) {
        grants.workspaces[ws.id] = {
          accountId: m.accountId,
          role: ws.defaultRole,
          permissions: WORKSPACE_ROLE_PERMISSIONS[ws.defaultRole],
        };
      }
    }
  }
  return grants;
}
