import type { EntityManager } from '@mikro-orm/core';
import { requireSystem } from '../../../../lib/actor.js';
import { isUuid } from '../../../../lib/db.js';
import type { PrincipalGrantsFact } from '../../../../lib/grants.js';
import { badInput, notFound, unauthenticated } from '../../../../lib/errors.js';
import type { AccountRole, WorkspaceRole } from '../../../../lib/graphql-enums.js';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  PERMISSION_BY_NAME,
  WORKSPACE_ROLE_PERMISSIONS,
  expandPermissions,
} from '../../../../lib/permissions.js';
import type { AccessContext } from '../context.js';
import { toRole } from '../roles/role.service.js';
import { Team } from '../teams/team.entity.js';
import {
  AccessSourceKind,
  type AccessExplanation,
  type AccessSource,
} from './access-explanation.types.js';
import { loadPrincipalBindings } from './principal-bindings.js';
import type { InternalGrants } from './principal-grants.types.js';

/**
 * Everything this subgraph knows about a principal's grants (`PrincipalGrantsFact`): bindings
 * direct and through teams, custom account roles, teams. Four queries whatever their number.
 */
export async function principalGrantsFacts(
  em: EntityManager,
  principalId: string,
): Promise<PrincipalGrantsFact> {
  if (!isUuid(principalId)) return { workspaceBindings: [], accountPermissions: [], teams: [] };
  const loaded = await loadPrincipalBindings(em, principalId);
  const perAccount = new Map<string, string[]>();
  for (const a of loaded.account) {
    const id = a.binding.accountId;
    perAccount.set(id, [...(perAccount.get(id) ?? []), ...a.permissions]);
  }
  return {
    workspaceBindings: loaded.workspace.map(({ binding, customRole, teamId, permissions }) => ({
      workspaceId: binding.workspaceId,
      accountId: binding.accountId,
      role: binding.role ?? ((customRole?.inheritsFrom ?? null) as WorkspaceRole | null),
      permissions: binding.role ? [] : permissions,
      teamId,
    })),
    accountPermissions: [...perAccount].map(([accountId, permissions]) => ({
      accountId,
      permissions: expandPermissions(permissions),
    })),
    teams: loaded.teams,
  };
}

/** How a principal's bindings become grants: for the gateway, and explained to the caller. */
export class GrantsService {
  constructor(private readonly ctx: AccessContext) {}

  /** For the gateway: everything this subgraph knows about a principal's grants, in four queries. */
  async forGateway(principalId: string): Promise<InternalGrants> {
    requireSystem(this.ctx.principal);
    return (await principalGrantsFacts(this.ctx.em, principalId)) as InternalGrants;
  }

  /**
   * Which of the caller's sources grant `permission` in a workspace or an account: the account
   * role from the grants, bindings, teams and custom roles from this subgraph's tables. NOT_FOUND
   * where the caller has no access at all.
   */
  async explain(
    permission: string,
    workspaceId?: string | null,
    accountId?: string | null,
  ): Promise<AccessExplanation> {
    const { principal, grants } = this.ctx;
    if (principal.type !== 'user' && principal.type !== 'service_account') throw unauthenticated();
    if (Boolean(workspaceId) === Boolean(accountId)) {
      throw badInput('workspaceId', 'Give either workspaceId or accountId');
    }
    const def = PERMISSION_BY_NAME.get(permission);
    if (!def) throw badInput('permission', 'Not a permission of the catalogue');
    const level = workspaceId ? 'WORKSPACE' : 'ACCOUNT';
    if (def.level !== level) {
      throw badInput('permission', `${permission} is not a ${level.toLowerCase()} permission`);
    }
    if (workspaceId) {
      const grant = isUuid(workspaceId) ? grants.workspaces[workspaceId] : undefined;
      if (!grant) throw notFound('Workspace');
      const sources = await this.workspaceSources(permission, workspaceId, grant);
      return {
        permission,
        workspaceId,
        accountId: grant.accountId,
        granted: sources.length > 0,
        sources,
      };
    }
    const grant = isUuid(accountId) ? grants.accounts[accountId] : undefined;
    if (!grant) throw notFound('Account');
    const sources: AccessSource[] = [];
    if (ACCOUNT_ROLE_PERMISSIONS[grant.role].includes(permission)) {
      sources.push({
        kind: AccessSourceKind.ACCOUNT_ROLE,
        description: `Account role ${grant.role}`,
        accountRole: grant.role as AccountRole,
      });
    }
    const loaded = await loadPrincipalBindings(this.ctx.em, principal.id, {
      accountId: accountId!,
    });
    const teams = await this.teams(loaded.account.map((a) => a.teamId));
    for (const a of loaded.account) {
      if (!a.customRole || !a.permissions.includes(permission)) continue;
      const team = a.teamId ? (teams.get(a.teamId) ?? null) : null;
      sources.push({
        kind: AccessSourceKind.ACCOUNT_CUSTOM_ROLE,
        description: team
          ? `Team ${team.name} has custom account role ${a.customRole.name}`
          : `Custom account role ${a.customRole.name}`,
        role: toRole(a.customRole),
        team,
      });
    }
    return {
      permission,
      workspaceId: null,
      accountId: accountId!,
      granted: sources.length > 0,
      sources,
    };
  }

  private async workspaceSources(
    permission: string,
    workspaceId: string,
    grant: { accountId: string; role: WorkspaceRole | string | null },
  ): Promise<AccessSource[]> {
    const accountRole = this.ctx.grants.accounts[grant.accountId]?.role;
    if (accountRole === 'OWNER' || accountRole === 'ADMIN') {
      // Account Owners and Admins own every workspace; their bindings do not count (lib/grants.ts).
      return WORKSPACE_ROLE_PERMISSIONS.OWNER.includes(permission)
        ? [
            {
              kind: AccessSourceKind.ACCOUNT_ROLE_WORKSPACE_OWNER,
              description: `Account role ${accountRole} owns every workspace`,
              accountRole: accountRole as AccountRole,
              workspaceRole: 'OWNER' as WorkspaceRole,
            },
          ]
        : [];
    }
    const loaded = await loadPrincipalBindings(this.ctx.em, this.ctx.principal.id, { workspaceId });
    const bindings = loaded.workspace.filter((b) => b.binding.accountId === grant.accountId);
    if (!bindings.length) {
      // No role of its own: the grant is the workspace's default role.
      const role = grant.role as WorkspaceRole | null;
      return role && WORKSPACE_ROLE_PERMISSIONS[role].includes(permission)
        ? [
            {
              kind: AccessSourceKind.WORKSPACE_DEFAULT_ROLE,
              description: `The workspace's default role ${role}`,
              workspaceRole: role,
            },
          ]
        : [];
    }
    const teams = await this.teams(bindings.map((b) => b.teamId));
    const sources: AccessSource[] = [];
    for (const b of bindings) {
      if (!b.permissions.includes(permission)) continue;
      const team = b.teamId ? (teams.get(b.teamId) ?? null) : null;
      const roleName = b.binding.role ?? b.customRole?.name ?? '?';
      sources.push({
        kind: team ? AccessSourceKind.TEAM_WORKSPACE_BINDING : AccessSourceKind.WORKSPACE_BINDING,
        description: `${team ? `Team ${team.name} has` : 'Given'} ${b.binding.role ? 'role' : 'custom role'} ${roleName}`,
        workspaceRole: b.binding.role,
        role: b.customRole ? toRole(b.customRole) : null,
        team,
      });
    }
    return sources;
  }

  private async teams(ids: (string | null)[]): Promise<Map<string, Team>> {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    const teams = await this.ctx.loaders.teamById.loadMany(wanted);
    return new Map(teams.filter((t): t is Team => t instanceof Team).map((t) => [t.id, t]));
  }
}
