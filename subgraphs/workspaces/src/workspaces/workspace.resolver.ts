import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Account } from '../accounts/account.entity.js';
import { AccountService } from '../accounts/account.service.js';
import type { WorkspacesContext } from '../context.js';
import { Workspace } from './workspace.entity.js';
import { CreateWorkspaceInput, UpdateWorkspaceInput } from './workspace.inputs.js';
import { WorkspaceService } from './workspace.service.js';

@Resolver(() => Workspace)
export class WorkspaceResolver {
  @Query(() => Workspace, {
    nullable: true,
    description:
      'A workspace by id or by "account-handle/workspace-handle"; NOT_FOUND unless the caller can see it.',
  })
  workspace(
    @Arg('id', () => ID, { nullable: true, description: 'Workspace id.' }) id: string | null,
    @Arg('handle', () => String, {
      nullable: true,
      description: 'Handle as "account-handle/workspace-handle".',
    })
    handle: string | null,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Workspace> {
    return new WorkspaceService(ctx).find(id, handle);
  }

  @FieldResolver(() => Account, { description: 'The account the workspace belongs to.' })
  account(@Root() ws: Workspace, @Ctx() ctx: WorkspacesContext): Promise<Account> {
    return new AccountService(ctx).byId(ws.accountId);
  }

  @Mutation(() => Workspace, {
    description: 'Create a workspace in an account (needs create:workspace).',
  })
  createWorkspace(
    @Arg('input', () => CreateWorkspaceInput) input: CreateWorkspaceInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Workspace> {
    return new WorkspaceService(ctx).create(input);
  }

  @Mutation(() => Workspace, {
    description:
      "Change a workspace's handle, name, description or default role (needs manage_workspace_settings).",
  })
  updateWorkspace(
    @Arg('input', () => UpdateWorkspaceInput) input: UpdateWorkspaceInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Workspace> {
    return new WorkspaceService(ctx).update(input);
  }

  @Mutation(() => ID, {
    description:
      'Delete a workspace and, through events, everything in it (needs manage_workspace_settings).',
  })
  deleteWorkspace(@Arg('id', () => ID) id: string, @Ctx() ctx: WorkspacesContext): Promise<string> {
    return new WorkspaceService(ctx).delete(id);
  }
}
