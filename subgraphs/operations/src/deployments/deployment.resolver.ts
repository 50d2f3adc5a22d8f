import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { Flow } from '../flows/flow.entity.js';
import { FlowService } from '../flows/flow.service.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { WorkQueue } from '../work-pools/work-queue.entity.js';
import { WorkPoolService } from '../work-pools/work-pool.service.js';
import { Deployment } from './deployment.entity.js';
import {
  CreateDeploymentInput,
  DeploymentConnection,
  DeploymentFilter,
  UpdateDeploymentInput,
} from './deployment.inputs.js';
import { DeploymentService } from './deployment.service.js';
import { DeploymentSchedule } from './schedules/schedule.entity.js';
import { ActorType } from '../../../../lib/graphql-enums.js';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';

@Resolver(() => Deployment)
export class DeploymentResolver {
  @Query(() => Deployment, {
    nullable: true,
    description: 'A deployment by id (needs see_deployments; NOT_FOUND otherwise).',
  })
  deployment(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('deployment') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment> {
    return new DeploymentService(ctx).get(id, workspaceId);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() d: Deployment): Workspace {
    return { id: d.workspaceId };
  }

  @FieldResolver(() => Flow, { nullable: true, description: 'The flow it deploys.' })
  flow(@Root() d: Deployment, @Ctx() ctx: OperationsContext): Flow | null | Promise<Flow | null> {
    return new FlowService(ctx).reference(d.flowId);
  }

  @FieldResolver(() => [DeploymentSchedule], { description: 'Its schedules, oldest first.' })
  schedules(@Root() d: Deployment, @Ctx() ctx: OperationsContext): Promise<DeploymentSchedule[]> {
    return new DeploymentService(ctx).schedulesOf(d);
  }

  @FieldResolver(() => WorkPool, { nullable: true, description: 'Work pool its runs go to.' })
  workPool(@Root() d: Deployment, @Ctx() ctx: OperationsContext): Promise<WorkPool | null> {
    return new WorkPoolService(ctx).visiblePool(d.workPoolId);
  }

  @FieldResolver(() => WorkQueue, { nullable: true, description: 'Queue its runs go to.' })
  workQueue(@Root() d: Deployment, @Ctx() ctx: OperationsContext): Promise<WorkQueue | null> {
    return new WorkPoolService(ctx).visibleQueue(d.workQueueId);
  }

  @FieldResolver(() => UserRef, { nullable: true, description: 'The user who created it.' })
  createdBy(@Root() d: Deployment): UserRef | null {
    return d.createdByType === ActorType.USER ? { id: d.createdById } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account that created it.',
  })
  createdByServiceAccount(@Root() d: Deployment): ServiceAccountRef | null {
    return d.createdByType === ActorType.SERVICE_ACCOUNT ? { id: d.createdById } : null;
  }

  @Mutation(() => Deployment, {
    description: 'Create a deployment of a flow (needs manage_deployments).',
  })
  createDeployment(
    @Arg('input', () => CreateDeploymentInput) input: CreateDeploymentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment> {
    return new DeploymentService(ctx).create(input);
  }

  @Mutation(() => Deployment, {
    description:
      'Create a deployment, or change the flow’s deployment of this name to this configuration (fields left out keep their values; given schedules replace the old ones). Needs manage_deployments.',
  })
  upsertDeployment(
    @Arg('input', () => CreateDeploymentInput) input: CreateDeploymentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment> {
    return new DeploymentService(ctx).upsert(input);
  }

  @Mutation(() => Deployment, { description: 'Change a deployment (needs manage_deployments).' })
  updateDeployment(
    @Arg('input', () => UpdateDeploymentInput) input: UpdateDeploymentInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment> {
    return new DeploymentService(ctx).update(input);
  }

  @Mutation(() => ID, {
    description: 'Delete a deployment and its future scheduled runs (needs manage_deployments).',
  })
  deleteDeployment(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('deployment') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<string> {
    return new DeploymentService(ctx).delete(id, workspaceId);
  }

  @Mutation(() => Deployment, {
    description: 'Pause a deployment: its schedules stop creating runs (needs manage_deployments).',
  })
  pauseDeployment(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('deployment') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment> {
    return new DeploymentService(ctx).setPaused(id, true, workspaceId);
  }

  @Mutation(() => Deployment, {
    description: 'Resume a paused deployment (needs manage_deployments).',
  })
  resumeDeployment(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('deployment') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment> {
    return new DeploymentService(ctx).setPaused(id, false, workspaceId);
  }
}

@Resolver(() => Workspace)
export class WorkspaceDeploymentsResolver {
  @FieldResolver(() => DeploymentConnection, {
    description: 'Deployments of the workspace, oldest first (needs see_deployments).',
  })
  deployments(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => DeploymentFilter, { nullable: true, description: 'Which deployments.' })
    filter: DeploymentFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<DeploymentConnection> {
    return new DeploymentService(ctx).listForWorkspace(workspace.id, args, filter);
  }

  @FieldResolver(() => Deployment, {
    nullable: true,
    description:
      'The deployment `name` of the flow named `flowName`; null when there is none (needs see_deployments).',
  })
  deploymentByName(
    @Root() workspace: Workspace,
    @Arg('flowName', () => String, { description: 'The flow’s name.' }) flowName: string,
    @Arg('name', () => String, { description: 'The deployment’s name.' }) name: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<Deployment | null> {
    return new DeploymentService(ctx).byName(workspace.id, flowName, name);
  }
}

@Resolver(() => Flow)
export class FlowDeploymentsResolver {
  @FieldResolver(() => DeploymentConnection, {
    description: 'Deployments of the flow, oldest first (needs see_deployments).',
  })
  deployments(
    @Root() flow: Flow,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: OperationsContext,
  ): Promise<DeploymentConnection> {
    return new DeploymentService(ctx).listForFlow(flow, args);
  }
}
