import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';
import type { OperationsContext } from '../context.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { WebhookPushSettings } from './push-settings.js';
import { WorkPool } from './work-pool.entity.js';
import {
  ClaimDeploymentFlowRunsInput,
  ClaimFlowRunsInput,
  CreateWorkPoolInput,
  CreateWorkQueueInput,
  UpdateWorkPoolInput,
  UpdateWorkQueueInput,
  WorkerHeartbeatInput,
  WorkPoolConnection,
} from './work-pool.inputs.js';
import { WorkPoolService } from './work-pool.service.js';
import { WorkQueue } from './work-queue.entity.js';
import { Worker } from './worker.entity.js';

@Resolver(() => WorkPool)
export class WorkPoolResolver {
  @Query(() => WorkPool, {
    nullable: true,
    description: 'A work pool by id (needs see_work_pools; NOT_FOUND otherwise).',
  })
  workPool(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<WorkPool> {
    return new WorkPoolService(ctx).getPool(id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() pool: WorkPool): Workspace {
    return { id: pool.workspaceId };
  }

  @FieldResolver(() => [WorkQueue], {
    description: 'Its queues by priority (empty without see_work_queues).',
  })
  queues(@Root() pool: WorkPool, @Ctx() ctx: OperationsContext): Promise<WorkQueue[]> {
    return new WorkPoolService(ctx).queuesOf(pool);
  }

  @FieldResolver(() => [Worker], {
    description: 'Its workers by name (empty without see_workers).',
  })
  workers(@Root() pool: WorkPool, @Ctx() ctx: OperationsContext): Promise<Worker[]> {
    return new WorkPoolService(ctx).workersOf(pool);
  }

  @FieldResolver(() => WebhookPushSettings, {
    nullable: true,
    description:
      'How a "webhook-push" pool pushes its runs (URL, cancel URL, retries; never the signing secret); null for other types.',
  })
  webhookPush(@Root() pool: WorkPool, @Ctx() ctx: OperationsContext): WebhookPushSettings | null {
    return new WorkPoolService(ctx).webhookPush(pool);
  }

  @Mutation(() => WorkPool, {
    description: 'Create a work pool with a "default" queue (needs manage_work_pools).',
  })
  createWorkPool(
    @Arg('input', () => CreateWorkPoolInput) input: CreateWorkPoolInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkPool> {
    return new WorkPoolService(ctx).createPool(input);
  }

  @Mutation(() => WorkPool, { description: 'Change a work pool (needs manage_work_pools).' })
  updateWorkPool(
    @Arg('input', () => UpdateWorkPoolInput) input: UpdateWorkPoolInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkPool> {
    return new WorkPoolService(ctx).updatePool(input);
  }

  @Mutation(() => ID, {
    description: 'Delete a work pool with its queues and workers (needs manage_work_pools).',
  })
  deleteWorkPool(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<string> {
    return new WorkPoolService(ctx).deletePool(id);
  }

  @Mutation(() => WorkPool, {
    description: 'Pause a work pool: it hands out no runs (needs manage_work_pools).',
  })
  pauseWorkPool(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<WorkPool> {
    return new WorkPoolService(ctx).setPoolPaused(id, true);
  }

  @Mutation(() => WorkPool, { description: 'Resume a paused work pool (needs manage_work_pools).' })
  resumeWorkPool(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkPool> {
    return new WorkPoolService(ctx).setPoolPaused(id, false);
  }

  @Mutation(() => WorkQueue, {
    description: 'Create a queue in a work pool (needs manage_work_queues).',
  })
  createWorkQueue(
    @Arg('input', () => CreateWorkQueueInput) input: CreateWorkQueueInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkQueue> {
    return new WorkPoolService(ctx).createQueue(input);
  }

  @Mutation(() => WorkQueue, { description: 'Change a work queue (needs manage_work_queues).' })
  updateWorkQueue(
    @Arg('input', () => UpdateWorkQueueInput) input: UpdateWorkQueueInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkQueue> {
    return new WorkPoolService(ctx).updateQueue(input);
  }

  @Mutation(() => ID, {
    description:
      'Delete a work queue; its runs and deployments move to the default queue (needs manage_work_queues).',
  })
  deleteWorkQueue(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<string> {
    return new WorkPoolService(ctx).deleteQueue(id);
  }

  @Mutation(() => Worker, { description: 'Record a worker’s heartbeat (needs write_workers).' })
  workerHeartbeat(
    @Arg('input', () => WorkerHeartbeatInput) input: WorkerHeartbeatInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Worker> {
    return new WorkPoolService(ctx).heartbeat(input);
  }

  @Mutation(() => [FlowRun], {
    description:
      'Atomically hand due SCHEDULED runs of the pool to this worker, moving them to PENDING (needs write_workers).',
  })
  claimFlowRuns(
    @Arg('input', () => ClaimFlowRunsInput) input: ClaimFlowRunsInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowRun[]> {
    return new WorkPoolService(ctx).claim(input);
  }

  @Mutation(() => [FlowRun], {
    description:
      'Atomically hand due SCHEDULED runs of deployments served without a work pool to this claimer, moving them to PENDING (needs write_workers).',
  })
  claimDeploymentFlowRuns(
    @Arg('input', () => ClaimDeploymentFlowRunsInput) input: ClaimDeploymentFlowRunsInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowRun[]> {
    return new WorkPoolService(ctx).claimForDeployments(input);
  }
}

@Resolver(() => WorkQueue)
export class WorkQueueResolver {
  @Query(() => WorkQueue, {
    nullable: true,
    description:
      'A work queue by id (needs see_work_queues and sight of its pool; NOT_FOUND otherwise).',
  })
  workQueue(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('queue') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkQueue> {
    return new WorkPoolService(ctx).getQueue(id, workspaceId);
  }

  @FieldResolver(() => WorkPool, { nullable: true, description: 'The pool it belongs to.' })
  workPool(@Root() q: WorkQueue, @Ctx() ctx: OperationsContext): Promise<WorkPool | null> {
    return new WorkPoolService(ctx).visiblePool(q.workPoolId);
  }
}

@Resolver(() => Workspace)
export class WorkspaceWorkPoolsResolver {
  @FieldResolver(() => WorkPoolConnection, {
    description: 'Work pools of the workspace, oldest first (needs see_work_pools).',
  })
  workPools(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkPoolConnection> {
    return new WorkPoolService(ctx).listForWorkspace(workspace.id, args);
  }

  @FieldResolver(() => WorkPool, {
    nullable: true,
    description: 'A work pool by name; null when there is none (needs see_work_pools).',
  })
  workPoolByName(
    @Root() workspace: Workspace,
    @Arg('name', () => String, { description: 'The pool’s name.' }) name: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<WorkPool | null> {
    return new WorkPoolService(ctx).byName(workspace.id, name);
  }
}
