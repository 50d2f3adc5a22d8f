import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { SetFlowRunRetentionInput } from './flow-run-settings.inputs.js';
import { FlowRunSettingsService } from './flow-run-settings.service.js';

@Resolver(() => Workspace)
export class WorkspaceFlowRunSettingsResolver {
  @FieldResolver(() => Int, {
    description:
      'Days the workspace keeps its finished flow runs (default 30): a run in a terminal state that ended longer ago is purged with its task runs, states, logs and artifacts.',
  })
  flowRunRetentionDays(
    @Root() workspace: Workspace,
    @Ctx() ctx: OperationsContext,
  ): Promise<number> {
    return new FlowRunSettingsService(ctx).retention(workspace.id);
  }

  @Mutation(() => Workspace, {
    description:
      'Set how many days the workspace keeps its finished flow runs, 1 to 365 (needs manage_workspace_settings). Runs in a terminal state (COMPLETED, FAILED, CANCELLED, CRASHED) that ended longer ago are purged within about ten minutes, with their task runs, states, logs, artifacts and error summaries; runs still in progress are never purged.',
  })
  setFlowRunRetention(
    @Arg('input', () => SetFlowRunRetentionInput) input: SetFlowRunRetentionInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Workspace> {
    return new FlowRunSettingsService(ctx).setRetention(input);
  }
}
