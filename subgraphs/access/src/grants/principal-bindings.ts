import type { EntityManager } from '@mikro-orm/core';
import { WORKSPACE_ROLE_PERMISSIONS, customRolePermissions } from '../../../../lib/permissions.js';
import { AccountRoleBinding } from '../account-access/account-role-binding.entity.js';
import { CustomRole } from '../roles/custom-role.entity.js';
import { TeamMember } from '../teams/team.entity.js';
import { WorkspaceRoleBinding } from '../workspace-access/workspace-role-binding.entity.js';

export interface ResolvedWorkspaceBinding {
  binding: WorkspaceRoleBinding;
  /** The custom role bound, when it is one. */
  customRole: CustomRole | null;
  /** Set when the binding was given to a team the principal is in. */
  teamId: string | null;
  permissions: string[];
}

export interface ResolvedAccountBinding {
  binding: AccountRoleBinding;
  customRole: CustomRole | null;
  teamId: string | null;
  permissions: string[];
}

export interface PrincipalBindings {
  workspace: ResolvedWorkspaceBinding[];
  account: ResolvedAccountBinding[];
  /** The teams the principal is in. */
  teams: { teamId: string; accountId: string }[];
}

/** What a workspace binding grants: its built-in role's permissions or its custom role's. */
export function bindingPermissions(
  binding: Pick<WorkspaceRoleBinding, 'role'>,
  customRole: CustomRole | null | undefined,
): string[] {
  if (binding.role) return WORKSPACE_ROLE_PERMISSIONS[binding.role];
  return customRole ? customRolePermissions(customRole) : [];
}

/**
 * Every workspace and account binding of a principal, given to it directly or to one of its
 * teams, with the permissions each grants: four queries whatever their number. `scope` narrows
 * it to one workspace or one account.
 */
export async function loadPrincipalBindings(
  em: EntityManager,
  principalId: string,
  scope: { workspaceId?: string; accountId?: string } = {},
): Promise<PrincipalBindings> {
  const memberships = await em.find(
    TeamMember,
    { principalId, ...(scope.accountId ? { accountId: scope.accountId } : {}) },
    { fields: ['teamId', 'accountId'], orderBy: { teamId: 'asc' } },
  );
  const teamIds = new Set(memberships.map((m) => m.teamId));
  const principals = [principalId, ...teamIds];
  const workspaceRows =
    scope.accountId && !scope.workspaceId
      ? []
      : await em.find(
          WorkspaceRoleBinding,
          {
            principalId: { $in: principals },
            ...(scope.workspaceId ? { workspaceId: scope.workspaceId } : {}),
          },
          { orderBy: { workspaceId: 'asc', createdAt: 'asc' } },
        );
  const accountRows = scope.workspaceId
    ? []
    : await em.find(
        AccountRoleBinding,
        {
          principalId: { $in: principals },
          ...(scope.accountId ? { accountId: scope.accountId } : {}),
        },
        { orderBy: { accountId: 'asc', createdAt: 'asc' } },
      );
  const roleIds = [
    ...new Set([
      ...workspaceRows.flatMap((b) => (b.roleId ? [b.roleId] : [])),
      ...accountRows.map((b) => b.roleId),
    ]),
  ];
  const roles = roleIds.length ? await em.find(CustomRole, { id: { $in: roleIds } }) : [];
  const roleById = new Map(roles.map((r) => [r.id, r]));
  const teamOf = (id: string) => (teamIds.has(id) ? id : null);
  return {
    teams: memberships.map((m) => ({ teamId: m.teamId, accountId: m.accountId })),
    workspace: workspaceRows.map((binding) => {
      const customRole = binding.roleId ? (roleById.get(binding.roleId) ?? null) : null;
      return {
        binding,
        customRole,
        teamId: teamOf(binding.principalId),
        permissions: bindingPermissions(binding, customRole),
      };
    }),
    account: accountRows.map((binding) => {
      const customRole = roleById.get(binding.roleId) ?? null;
      return {
        binding,
        customRole,
        teamId: teamOf(binding.principalId),
        permissions: customRole ? customRolePermissions(customRole) : [],
      };
    }),
  };
}
