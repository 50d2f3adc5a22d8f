import {
  Arg,
  Ctx,
  Directive,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { AccessContext } from '../context.js';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { Workspace } from '../tenancy/workspace.type.js';
import {
  InternalBinding,
  RemoveWorkspaceAccessInput,
  SetWorkspaceRoleInput,
} from './workspace-access.inputs.js';
import { WorkspaceAccessService } from './workspace-access.service.js';
import { PrincipalType, WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

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

  @Mutation(() => WorkspaceRoleBinding, {
    description:
      'Give a user or a service account a role in a workspace (needs manage_workspace_members).',
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

  @Directive('@inaccessible')
  @Query(() => [InternalBinding], {
    description: 'Internal (gateway only): every workspace role binding of a principal.',
  })
  _workspaceBindings(
    @Arg('principalId', () => ID) principalId: string,
    @Ctx() ctx: AccessContext,
  ): Promise<InternalBinding[]> {
    return new WorkspaceAccessService(ctx).internalBindings(principalId);
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
