import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import type { AccessContext } from '../context.js';
import { bindingPermissions } from '../grants/principal-bindings.js';
import { PrincipalType } from '../common/principals.js';
import { Role } from '../roles/role.types.js';
import { toRole } from '../roles/role.service.js';
import { Team } from '../teams/team.entity.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { RemoveWorkspaceAccessInput, SetWorkspaceRoleInput } from './workspace-access.inputs.js';
import { WorkspaceAccessService } from './workspace-access.service.js';
import { WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

@Resolver(() => WorkspaceRoleBinding)
export class WorkspaceAccessResolver {
  @FieldResolver(() => Workspace, { description: 'The workspace.' })
  workspace(@Root() binding: WorkspaceRoleBinding): Workspace {
    return { id: binding.workspaceId };
  }

  @FieldResolver(() => UserRef, {
    nullable: true,
    description: 'The user, when the role is given to a person.',
  })
  user(@Root() binding: WorkspaceRoleBinding): UserRef | null {
    return binding.principalType === PrincipalType.USER ? { id: binding.principalId } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account, when the role is given to one.',
  })
  serviceAccount(@Root() binding: WorkspaceRoleBinding): ServiceAccountRef | null {
    return binding.principalType === PrincipalType.SERVICE_ACCOUNT
      ? { id: binding.principalId }
      : null;
  }

  @FieldResolver(() => Team, {
    nullable: true,
    description: 'The team, when the role is given to one.',
  })
  team(@Root() binding: WorkspaceRoleBinding, @Ctx() ctx: AccessContext): Promise<Team | null> {
    return new WorkspaceAccessService(ctx).team(binding);
  }

  @FieldResolver(() => Role, {
    nullable: true,
    description: 'The custom role given; null when a built-in role is given (see role).',
  })
  async customRole(
    @Root() binding: WorkspaceRoleBinding,
    @Ctx() ctx: AccessContext,
  ): Promise<Role | null> {
    const custom = await new WorkspaceAccessService(ctx).customRole(binding);
    return custom ? toRole(custom) : null;
  }

  @FieldResolver(() => [String], {
    description: 'Every permission this binding grants in the workspace, sorted.',
  })
  async permissions(
    @Root() binding: WorkspaceRoleBinding,
    @Ctx() ctx: AccessContext,
  ): Promise<string[]> {
    return bindingPermissions(binding, await new WorkspaceAccessService(ctx).customRole(binding));
  }

  @Mutation(() => WorkspaceRoleBinding, {
    description:
      'Give a user, a service account or a team a built-in or custom role in a workspace (needs manage_workspace_members and every permission of the role).',
  })
  setWorkspaceRole(
    @Arg('input', () => SetWorkspaceRoleInput) input: SetWorkspaceRoleInput,
    @Ctx() ctx: AccessContext,
  ): Promise<WorkspaceRoleBinding> {
    return new WorkspaceAccessService(ctx).set(input);
  }

  @Mutation(() => ID, {
    description:
      'Take away a role in a workspace (needs manage_workspace_members); returns the removed id.',
  })
  removeWorkspaceAccess(
    @Arg('input', () => RemoveWorkspaceAccessInput) input: RemoveWorkspaceAccessInput,
    @Ctx() ctx: AccessContext,
  ): Promise<string> {
    return new WorkspaceAccessService(ctx).remove(input);
  }
}

@Resolver(() => Workspace)
export class WorkspaceAccessListResolver {
  @FieldResolver(() => [WorkspaceRoleBinding], {
    description: 'Who was given a role in this workspace (needs see_workspace_members).',
  })
  access(@Root() workspace: Workspace, @Ctx() ctx: AccessContext): Promise<WorkspaceRoleBinding[]> {
    return new WorkspaceAccessService(ctx).listForWorkspace(workspace.id);
  }
}
