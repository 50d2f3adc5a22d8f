import type { AccountRoleName, Grants, WorkspaceRoleName } from './principal.js';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  PERMISSION_BY_NAME,
  WORKSPACE_ROLE_PERMISSIONS,
  expandPermissions,
} from './permissions.js';

/**
 * What the workspaces subgraph answers to `_principalMemberships(principalId)`: the principal's
 * active memberships, each account's IP allow-list, and every workspace of those accounts with
 * its default role.
 */
export interface MembershipFact {
  accountId: string;
  role: AccountRoleName;
  /** The account's IP allow-list (empty or absent: every address); see lib/ip-allow-list.ts. */
  ipAllowList?: string[];
  workspaces: { id: string; defaultRole: WorkspaceRoleName | null }[];
}

/** One workspace binding of a principal, given directly or through one of its teams. */
export interface BindingFact {
  workspaceId: string;
  accountId: string;
  /** The built-in role bound, or the built-in role a bound custom role inherits from. */
  role: WorkspaceRoleName | null;
  /** Permissions of a bound custom role (inherited ones included); empty for built-in roles. */
  permissions?: string[];
  /** The team the binding was given to, when it came through a team. */
  teamId?: string | null;
}

/** Permissions that custom account roles add to a principal's built-in account role. */
export interface AccountPermissionFact {
  accountId: string;
  permissions: string[];
}

/** A team the principal is in (object access lists name teams). */
export interface TeamFact {
  teamId: string;
  accountId: string;
}

/** What the access subgraph answers to `_principalGrants(principalId)`. */
export interface PrincipalGrantsFact {
  workspaceBindings: BindingFact[];
  accountPermissions: AccountPermissionFact[];
  /** Absent in facts recorded before teams were carried. */
  teams?: TeamFact[];
}

const RANK: Record<WorkspaceRoleName, number> = {
  VIEWER: 1,
  WORKER: 1,
  RUNNER: 2,
  DEVELOPER: 3,
  OWNER: 4,
};

const ofLevel = (level: 'ACCOUNT' | 'WORKSPACE', names: string[]) =>
  names.filter((n) => PERMISSION_BY_NAME.get(n)?.level === level);

/**
 * Merges memberships, role bindings and custom account roles into grants (REFERENCE §2): account
 * Owners and Admins are implicit Owners of every workspace; other members get the union of their
 * bindings (direct and through teams) or else the workspace's default role; custom account roles
 * add to the built-in account role. Anything in an account where the principal is not an active
 * member counts for nothing.
 */
export function computeGrants(
  memberships: MembershipFact[],
  facts: PrincipalGrantsFact = { workspaceBindings: [], accountPermissions: [], teams: [] },
): Grants {
  const grants: Grants = { accounts: {}, workspaces: {} };
  const byWorkspace = new Map<string, BindingFact[]>();
  for (const b of facts.workspaceBindings) {
    const list = byWorkspace.get(b.workspaceId) ?? [];
    list.push(b);
    byWorkspace.set(b.workspaceId, list);
  }
  const extraByAccount = new Map<string, string[]>();
  for (const a of facts.accountPermissions) {
    extraByAccount.set(a.accountId, [...(extraByAccount.get(a.accountId) ?? []), ...a.permissions]);
  }
  const teamsByAccount = new Map<string, string[]>();
  for (const t of facts.teams ?? []) {
    teamsByAccount.set(t.accountId, [...(teamsByAccount.get(t.accountId) ?? []), t.teamId]);
  }
  for (const m of memberships) {
    const extra = extraByAccount.get(m.accountId);
    const teamIds = teamsByAccount.get(m.accountId);
    grants.accounts[m.accountId] = {
      role: m.role,
      permissions: extra?.length
        ? expandPermissions([...ACCOUNT_ROLE_PERMISSIONS[m.role], ...ofLevel('ACCOUNT', extra)])
        : ACCOUNT_ROLE_PERMISSIONS[m.role],
      ...(teamIds?.length ? { teamIds: [...new Set(teamIds)].sort() } : {}),
    };
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
        const builtIn = own.map((b) => b.role).filter((r): r is WorkspaceRoleName => r !== null);
        const top = builtIn.length ? builtIn.reduce((a, b) => (RANK[b] > RANK[a] ? b : a)) : null;
        const perms = expandPermissions(
          own.flatMap((b) => [
            ...(b.role ? WORKSPACE_ROLE_PERMISSIONS[b.role] : []),
            ...ofLevel('WORKSPACE', b.permissions ?? []),
          ]),
        );
        grants.workspaces[ws.id] = { accountId: m.accountId, role: top, permissions: perms };
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

/**
 * Grant facts travel to the users subgraph, which keeps a copy for each service account: issuing
 * a key hands out the service account's whole authority, and the issuer must hold it
 * (lib/hand-out.ts). The workspaces and access subgraphs each announce, after their grant
 * changes, the facts they own of the principals concerned (computed afresh by a consumer, so a
 * later announcement always carries later facts).
 */
export const MEMBERSHIP_FACTS_CHANGED = 'principal.memberships-changed';
export const ACCESS_FACTS_CHANGED = 'principal.access-changed';

export interface MembershipFactsChanged {
  /** When the facts were read (the newest reading wins). */
  computedAt: string;
  principals: { principalId: string; memberships: MembershipFact[] }[];
}

export interface AccessFactsChanged {
  computedAt: string;
  principals: { principalId: string; facts: PrincipalGrantsFact }[];
}
