import type { GraphQLResolveInfo } from 'graphql';
import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Info,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import { Flow } from '../flows/flow.entity.js';
import { FlowService } from '../flows/flow.service.js';
import { currentState } from '../orchestration/policy.js';
import { RunState } from '../orchestration/run-state.entity.js';
import { SetStateResult } from '../orchestration/state.types.js';
import { TaskRun } from '../task-runs/task-run.entity.js';
import { TaskRunConnection } from '../task-runs/task-run.inputs.js';
import { TaskRunService } from '../task-runs/task-run.service.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { WorkQueue } from '../work-pools/work-queue.entity.js';
import { WorkPoolService } from '../work-pools/work-pool.service.js';
import { FlowRun } from './flow-run.entity.js';
import {
  CreateFlowRunInput,
  FlowRunConnection,
  FlowRunFilter,
  SetFlowRunStateInput,
  UpdateFlowRunInput,
} from './flow-run.inputs.js';
import { FlowRunService } from './flow-run.service.js';
import { ActorType } from '../../../../lib/graphql-enums.js';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';
import { selects } from '../../../../lib/selection.js';
import { fieldReads, projection } from '../../../../lib/projection.js';

/** A page of runs asking for each run's flow. */
const RUN_FLOW = ['edges', 'node', 'flow'];
/** A page's runs. */
const RUN_NODE = ['edges', 'node'];

/**
 * What the fields of FlowRun read of a run (lib/projection): a page reads those columns only
 * (and its key and `createdAt`). Fields left out (`states`, `taskRuns`, `errorSummary`: their
 * services take the whole run) read the whole row; tests/operations/page-projection checks every
 * field of the type.
 */
const FLOW_RUN_READS = fieldReads(
  [
    'id',
    'name',
    'tags',
    'createdAt',
    'expectedStartTime',
    'nextScheduledStartTime',
    'startTime',
    'endTime',
    'runCount',
    'totalRunTime',
    'retries',
    'retryDelaySeconds',
    'stateType',
    'stateName',
    'updatedAt',
    'parameters',
    'labels',
    'idempotencyKey',
    'autoScheduled',
    'infrastructureId',
    'workerName',
  ],
  {
    workspace: ['workspaceId'],
    flow: ['flowId'],
    deployment: ['deploymentId'],
    workPool: ['workPoolId'],
    workQueue: ['workQueueId'],
    parentTaskRun: ['parentTaskRunId'],
    // currentState (orchestration/policy)
    state: ['stateId', 'stateType', 'stateName', 'stateMessage', 'stateDetails', 'stateTimestamp'],
    createdBy: ['createdByType', 'createdById'],
    createdByServiceAccount: ['createdByType', 'createdById'],
  },
);

@Resolver(() => FlowRun)
export class FlowRunResolver {
  @Query(() => FlowRun, {
    nullable: true,
    description: 'A flow run by id (needs see_flow_runs; NOT_FOUND otherwise).',
  })
  flowRun(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('run') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowRun> {
    return new FlowRunService(ctx).get(id, workspaceId);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() run: FlowRun): Workspace {
    return { id: run.workspaceId };
  }

  @FieldResolver(() => Flow, { nullable: true, description: 'The flow it runs.' })
  flow(@Root() run: FlowRun, @Ctx() ctx: OperationsContext): Flow | null | Promise<Flow | null> {
    return new FlowService(ctx).reference(run.flowId);
  }

  @FieldResolver(() => Deployment, {
    nullable: true,
    description:
      'The deployment it was created from (null for ad hoc runs or without see_deployments).',
  })
  deployment(@Root() run: FlowRun, @Ctx() ctx: OperationsContext): Promise<Deployment | null> {
    return new DeploymentService(ctx).visible(run.deploymentId);
  }

  @FieldResolver(() => WorkPool, { nullable: true, description: 'Work pool it runs in.' })
  workPool(@Root() run: FlowRun, @Ctx() ctx: OperationsContext): Promise<WorkPool | null> {
    return new WorkPoolService(ctx).visiblePool(run.workPoolId);
  }

  @FieldResolver(() => WorkQueue, { nullable: true, description: 'Work queue it waits in.' })
  workQueue(@Root() run: FlowRun, @Ctx() ctx: OperationsContext): Promise<WorkQueue | null> {
    return new WorkPoolService(ctx).visibleQueue(run.workQueueId);
  }

  @FieldResolver(() => TaskRun, {
    nullable: true,
    description: 'For a subflow: the task run of the parent flow run that called it.',
  })
  async parentTaskRun(
    @Root() run: FlowRun,
    @Ctx() ctx: OperationsContext,
  ): Promise<TaskRun | null> {
    return run.parentTaskRunId ? ctx.loaders.taskRunById.load(run.parentTaskRunId) : null;
  }

  @FieldResolver(() => RunState, { description: 'The current state.' })
  state(@Root() run: FlowRun): RunState {
    return currentState(run);
  }

  @FieldResolver(() => [RunState], { description: 'State history, oldest first.' })
  states(@Root() run: FlowRun, @Ctx() ctx: OperationsContext): Promise<RunState[]> {
    return new FlowRunService(ctx).states(run);
  }

  @FieldResolver(() => TaskRunConnection, { description: 'Its task runs, oldest first.' })
  taskRuns(
    @Root() run: FlowRun,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: OperationsContext,
  ): Promise<TaskRunConnection> {
    return new TaskRunService(ctx).listForFlowRun(run, args);
  }

  @FieldResolver(() => UserRef, { nullable: true, description: 'The user who created it.' })
  createdBy(@Root() run: FlowRun): UserRef | null {
    return run.createdByType === ActorType.USER && run.createdById ? { id: run.createdById } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account that created it.',
  })
  createdByServiceAccount(@Root() run: FlowRun): ServiceAccountRef | null {
    return run.createdByType === ActorType.SERVICE_ACCOUNT && run.createdById
      ? { id: run.createdById }
      : null;
  }

  @Mutation(() => FlowRun, {
    description:
      'Create a flow run from a deployment (needs run_deployments) or ad hoc (needs manage_flow_runs); an idempotency key returns the existing run.',
  })
  createFlowRun(
    @Arg('input', () => CreateFlowRunInput) input: CreateFlowRunInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowRun> {
    return new FlowRunService(ctx).create(input);
  }

  @Mutation(() => FlowRun, {
    description:
      'Change a flow run’s name, tags, labels or infrastructure id, as what runs it reports them (needs write_flow_runs).',
  })
  updateFlowRun(
    @Arg('input', () => UpdateFlowRunInput) input: UpdateFlowRunInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowRun> {
    return new FlowRunService(ctx).update(input);
  }

  @Mutation(() => SetStateResult, {
    description:
      'Propose a state for a flow run (needs write_flow_runs); the orchestration policy answers.',
  })
  setFlowRunState(
    @Arg('input', () => SetFlowRunStateInput) input: SetFlowRunStateInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<SetStateResult> {
    return new FlowRunService(ctx).setState(input);
  }

  @Mutation(() => ID, {
    description: 'Delete a flow run with its task runs and history (needs manage_flow_runs).',
  })
  deleteFlowRun(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('run') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<string> {
    return new FlowRunService(ctx).delete(id, workspaceId);
  }
}

@Resolver(() => Workspace)
export class WorkspaceFlowRunsResolver {
  @FieldResolver(() => FlowRunConnection, {
    description: 'Flow runs of the workspace, oldest first (needs see_flow_runs).',
  })
  async flowRuns(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => FlowRunFilter, { nullable: true, description: 'Which runs.' })
    filter: FlowRunFilter | null,
    @Ctx() ctx: OperationsContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<FlowRunConnection> {
    const page = await new FlowRunService(ctx).listForWorkspace(
      workspace.id,
      args,
      filter,
      projection(info, RUN_NODE, FLOW_RUN_READS),
    );
    // The runs' flows in one read before the page is answered: each run's `flow` then
    // answers without a promise, and the page completes synchronously.
    if (selects(info, RUN_FLOW))
      await new FlowService(ctx).prefetch(page.edges.map((e) => e.node.flowId));
    return page;
  }
}
