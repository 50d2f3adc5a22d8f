import { authorize } from '../../../../lib/ability.js';
import { unauthenticated } from '../../../../lib/errors.js';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  ACCOUNT_ROLES,
  PERMISSIONS,
  WORKSPACE_ROLE_PERMISSIONS,
  WORKSPACE_ROLES,
} from '../../../../lib/permissions.js';
import type { AccountRoleName, WorkspaceRoleName } from '../../../../lib/principal.js';
import type { AccessContext } from '../context.js';
import { PermissionLevel, type Permission, type Role } from './permission.types.js';

const ACCOUNT_ROLE_DESCRIPTIONS: Record<AccountRoleName, string> = {
  OWNER: 'Everything in the account, including deleting it and bypassing enforced SSO.',
  ADMIN:
    'Administers members, settings, service accounts, workspaces and the audit log; owns every workspace.',
  MEMBER: 'Sees the account; works in the workspaces it is given.',
};

const WORKSPACE_ROLE_DESCRIPTIONS: Record<WorkspaceRoleName, string> = {
  OWNER: 'Developer plus members, roles and settings of the workspace.',
  DEVELOPER: 'Creates and edits flows, deployments, work pools, blocks, variables and automations.',
  RUNNER: 'Viewer plus running deployments.',
  VIEWER: 'Sees everything but secret block values.',
  WORKER: 'What a worker needs: poll pools, claim runs, report states, write logs.',
};

/** The permission catalogue, the roles, and what the caller may do. */
export class PermissionService {
  constructor(private readonly ctx: AccessContext) {}

  catalogue(): Permission[] {
    if (this.ctx.principal.type === 'anonymous') throw unauthenticated();
    return PERMISSIONS.map((p) => ({
      name: p.name,
      title: p.title,
      group: p.group,
      level: p.level as PermissionLevel,
      includes: [...p.includes],
    }));
  }

  roles(accountId: string): Role[] {
    authorize(this.ctx, 'read', 'Role', { accountId }, 'Account');
    return [
      ...ACCOUNT_ROLES.map((name) => ({
        name,
        description: ACCOUNT_ROLE_DESCRIPTIONS[name],
        level: PermissionLevel.ACCOUNT,
        builtIn: true,
        permissions: ACCOUNT_ROLE_PERMISSIONS[name],
      })),
      ...WORKSPACE_ROLES.map((name) => ({
        name,
        description: WORKSPACE_ROLE_DESCRIPTIONS[name],
        level: PermissionLevel.WORKSPACE,
        builtIn: true,
        permissions: WORKSPACE_ROLE_PERMISSIONS[name],
      })),
    ];
  }

  /** The caller's permissions in an account or a workspace; empty where it has none. */
  myPermissions(scope: { accountId: string } | { workspaceId: string }): string[] {
    const grant =
      'accountId' in scope
        ? this.ctx.grants.accounts[scope.accountId]
        : this.ctx.grants.workspaces[scope.workspaceId];
    return [...(grant?.permissions ?? [])].sort();
  }

  can(scope: { accountId: string } | { workspaceId: string }, permission: string): boolean {
    return this.myPermissions(scope).includes(permission);
  }
}
