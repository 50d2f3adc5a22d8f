import { unauthenticated } from '../../../../lib/errors.js';
import { PERMISSIONS } from '../../../../lib/permissions.js';
import type { AccessContext } from '../context.js';
import { PermissionLevel, type Permission } from './permission.types.js';

/** The permission catalogue and what the caller may do. */
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
