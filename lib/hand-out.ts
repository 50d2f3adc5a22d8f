import type { GraphQLError } from 'graphql';
import { forbiddenDenial } from './errors.js';
import { ACCOUNT_ROLE_PERMISSIONS, WORKSPACE_ROLE_PERMISSIONS } from './permissions.js';
import type { AccountRoleName, Grants, Principal } from './principal.js';

/**
 * Authority in one account: what a principal holds there, or what an act would hand out
 * (a role, an invitation, a service account's key, a team's bindings, a custom role).
 */
export interface Authority {
  accountId: string;
  /** Account-level permissions. */
  account: readonly string[];
  /**
   * Owner of every workspace of the account, present and future: what the account roles OWNER
   * and ADMIN carry besides their account permissions (lib/grants.ts).
   */
  ownsEveryWorkspace: boolean;
  /** Workspace-level permissions, per workspace of the account. */
  workspaces: Readonly<Record<string, readonly string[]>>;
}

/** The implicit ownership of every workspace, as a refusal names it. */
export const OWNS_EVERY_WORKSPACE = 'owner of every workspace';

const ownsEveryWorkspace = (role: AccountRoleName | null | undefined) =>
  role === 'OWNER' || role === 'ADMIN';

/** Nothing in the account (the starting point of what an act hands out). */
export function noAuthority(accountId: string): Authority {
  return { accountId, account: [], ownsEveryWorkspace: false, workspaces: {} };
}

/** What a built-in account role carries: its account permissions and, for OWNER and ADMIN, every workspace. */
export function accountRoleAuthority(accountId: string, role: AccountRoleName): Authority {
  return {
    accountId,
    account: ACCOUNT_ROLE_PERMISSIONS[role],
    ownsEveryWorkspace: ownsEveryWorkspace(role),
    workspaces: {},
  };
}

/** Permissions in one workspace of the account. */
export function workspaceAuthority(
  accountId: string,
  workspaceId: string,
  permissions: readonly string[],
): Authority {
  return { ...noAuthority(accountId), workspaces: { [workspaceId]: permissions } };
}

/** Permissions at account level only (a custom account role). */
export function accountPermissionsAuthority(
  accountId: string,
  permissions: readonly string[],
): Authority {
  return { ...noAuthority(accountId), account: permissions };
}

/** The union of several authorities of one account. */
export function unionAuthority(accountId: string, parts: readonly Authority[]): Authority {
  const account = new Set<string>();
  const workspaces: Record<string, Set<string>> = {};
  let owns = false;
  for (const p of parts) {
    if (p.accountId !== accountId) throw new Error('unionAuthority: parts of another account');
    for (const x of p.account) account.add(x);
    owns ||= p.ownsEveryWorkspace;
    for (const [w, perms] of Object.entries(p.workspaces)) {
      const set = (workspaces[w] ??= new Set());
      for (const x of perms) set.add(x);
    }
  }
  return {
    accountId,
    account: [...account].sort(),
    ownsEveryWorkspace: owns,
    workspaces: Object.fromEntries(Object.entries(workspaces).map(([w, s]) => [w, [...s].sort()])),
  };
}

/**
 * What grants give in one account (a caller's from its internal token, or a service account's
 * as the gateway would compute them): nothing when the principal is not a member there.
 */
export function authorityOf(grants: Grants, accountId: string): Authority {
  const account = grants.accounts[accountId];
  if (!account) return noAuthority(accountId);
  const workspaces: Record<string, readonly string[]> = {};
  for (const [w, g] of Object.entries(grants.workspaces))
    if (g.accountId === accountId) workspaces[w] = g.permissions;
  return {
    accountId,
    account: account.permissions,
    ownsEveryWorkspace: ownsEveryWorkspace(account.role),
    workspaces,
  };
}

/** The first thing `wanted` has that `held` lacks, or null when `held` covers all of it. */
export function missingAuthority(
  held: Authority,
  wanted: Authority,
): { permission: string; workspaceId: string | null } | null {
  const account = new Set(held.account);
  for (const p of wanted.account) if (!account.has(p)) return { permission: p, workspaceId: null };
  if (wanted.ownsEveryWorkspace && !held.ownsEveryWorkspace)
    return { permission: OWNS_EVERY_WORKSPACE, workspaceId: null };
  for (const [w, perms] of Object.entries(wanted.workspaces)) {
    // An owner of every workspace holds every workspace permission in each of them.
    const have = held.ownsEveryWorkspace
      ? new Set(WORKSPACE_ROLE_PERMISSIONS.OWNER)
      : new Set(held.workspaces[w] ?? []);
    for (const p of perms) if (!have.has(p)) return { permission: p, workspaceId: w };
  }
  return null;
}

/** Whether `held` covers `wanted` entirely. */
export const covers = (held: Authority, wanted: Authority): boolean =>
  missingAuthority(held, wanted) === null;

/** What the refused act was, for the FORBIDDEN error and its audit entry (`<subject>.denied`). */
export interface HandOutAct {
  /** CASL-style verb and subject type of the act, e.g. `update` `AccountMembership`. */
  action: string;
  subject: string;
}

/**
 * The rule of the house, in one place: nobody hands out, or obtains through a key, more than
 * they hold. `wanted` is everything the act gives (or, for acts on another principal, everything
 * that principal holds); the caller must hold all of it, compared permission by permission in
 * the account and in each workspace. Refusals are FORBIDDEN naming the first missing permission
 * and are audited as denied requests. The system principal is exempt.
 */
export function assertMayHandOut(
  ctx: { principal: Principal; grants: Grants },
  wanted: Authority,
  act: HandOutAct,
): void {
  if (ctx.principal.type === 'system') return;
  const missing = missingAuthority(authorityOf(ctx.grants, wanted.accountId), wanted);
  if (missing) throw handOutDenied(missing, wanted.accountId, act);
}

/** The audited FORBIDDEN error of a refused hand-out. */
export function handOutDenied(
  missing: { permission: string; workspaceId: string | null },
  accountId: string,
  act: HandOutAct,
): GraphQLError {
  return forbiddenDenial(
    {
      reason: 'MISSING_PERMISSION',
      action: act.action,
      subject: act.subject,
      permission: missing.permission,
      accountId,
      workspaceId: missing.workspaceId,
    },
    `You can only give what you hold yourself; you lack ${missing.permission}${
      missing.workspaceId ? ` in workspace ${missing.workspaceId}` : ''
    }`,
  );
}
