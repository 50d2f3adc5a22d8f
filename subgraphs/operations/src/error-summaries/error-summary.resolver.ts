import { Arg, Ctx, FieldResolver, ID, Resolver, Root } from 'type-graphql';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { ErrorSummary } from './error-summary.entity.js';
import { ErrorSummaryService } from './error-summary.service.js';
import { FailureGroup } from './failure-group.types.js';

@Resolver(() => FlowRun)
export class FlowRunErrorSummaryResolver {
  @FieldResolver(() => ErrorSummary, {
    nullable: true,
    description:
      "Why the run failed or crashed: written shortly after the failure when the account's `aiErrorSummaries` setting is on (null before, and otherwise). Needs see_logs.",
  })
  errorSummary(@Root() run: FlowRun, @Ctx() ctx: OperationsContext): Promise<ErrorSummary | null> {
    return new ErrorSummaryService(ctx).forRun(run);
  }
}

@Resolver(() => Workspace)
export class WorkspaceFailureGroupsResolver {
  @FieldResolver(() => [FailureGroup], {
    description:
      'Failures since a time grouped by cause (signature), most recently seen first, at most 200 groups over the newest 10,000 failures. Needs see_logs.',
  })
  failureGroups(
    @Root() workspace: Workspace,
    @Arg('since', () => Date, { description: 'Failures at or after this time.' }) since: Date,
    @Arg('deploymentId', () => ID, {
      nullable: true,
      description: 'Only failures of runs of this deployment.',
    })
    deploymentId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<FailureGroup[]> {
    return new ErrorSummaryService(ctx).failureGroups(workspace.id, since, deploymentId);
  }
}

@Resolver(() => FailureGroup)
export class FailureGroupResolver {
  @FieldResolver(() => [Deployment], {
    description: 'The deployments whose runs failed so (those the caller may see).',
  })
  deployments(@Root() g: FailureGroup, @Ctx() ctx: OperationsContext): Promise<Deployment[]> {
    return new ErrorSummaryService(ctx).deploymentsOf(g);
  }

  @FieldResolver(() => FlowRun, {
    nullable: true,
    description: 'The run of the last failure (null when deleted or not visible).',
  })
  latestRun(@Root() g: FailureGroup, @Ctx() ctx: OperationsContext): Promise<FlowRun | null> {
    return new ErrorSummaryService(ctx).latestRunOf(g);
  }
}
