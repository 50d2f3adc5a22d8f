import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { AccessContext } from '../context.js';
import { Account } from '../tenancy/account.type.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { PermissionService } from './permission.service.js';
import { Permission } from './permission.types.js';

@Resolver(() => Permission)
export class PermissionResolver {
  @Query(() => [Permission], {
    description: 'The permission catalogue: every permission a role can grant.',
  })
  permissions(@Ctx() ctx: AccessContext): Permission[] {
    return new PermissionService(ctx).catalogue();
  }
}

@Resolver(() => Account)
export class AccountPermissionsResolver {
  @FieldResolver(() => [String], {
    description: "The caller's permissions in this account, sorted.",
  })
  myPermissions(@Root() account: Account, @Ctx() ctx: AccessContext): string[] {
    return new PermissionService(ctx).myPermissions({ accountId: account.id });
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the caller holds this permission in this account.',
  })
  can(
    @Root() account: Account,
    @Arg('permission', () => String, { description: 'A permission name, e.g. "create:workspace".' })
    permission: string,
    @Ctx() ctx: AccessContext,
  ): boolean {
    return new PermissionService(ctx).can({ accountId: account.id }, permission);
  }
}

@Resolver(() => Workspace)
export class WorkspacePermissionsResolver {
  @FieldResolver(() => [String], {
    description: "The caller's permissions in this workspace, sorted.",
  })
  myPermissions(@Root() workspace: Workspace, @Ctx() ctx: AccessContext): string[] {
    return new PermissionService(ctx).myPermissions({ workspaceId: workspace.id });
  }

  @FieldResolver(() => Boolean, {
    description: 'Whether the caller holds this permission in this workspace.',
  })
  can(
    @Root() workspace: Workspace,
    @Arg('permission', () => String, { description: 'A permission name, e.g. "manage_flows".' })
    permission: string,
    @Ctx() ctx: AccessContext,
  ): boolean {
    return new PermissionService(ctx).can({ workspaceId: workspace.id }, permission);
  }
}
