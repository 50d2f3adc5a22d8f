import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';
import type { OperationsContext } from '../context.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { FlowRunService } from '../flow-runs/flow-run.service.js';
import { currentState } from '../orchestration/policy.js';
import { RunState } from '../orchestration/run-state.entity.js';
import { SetStateResult } from '../orchestration/state.types.js';
import { TaskRun } from './task-run.entity.js';
import { CreateTaskRunInput, SetTaskRunStateInput } from './task-run.inputs.js';
import { TaskRunService } from './task-run.service.js';

@Resolver(() => TaskRun)
export class TaskRunResolver {
  @Query(() => TaskRun, {
    nullable: true,
    description: 'A task run by id (needs see_flow_runs; NOT_FOUND otherwise).',
  })
  taskRun(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('task run') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<TaskRun> {
    return new TaskRunService(ctx).get(id, workspaceId);
  }

  @FieldResolver(() => FlowRun, { nullable: true, description: 'The flow run it belongs to.' })
  flowRun(@Root() run: TaskRun, @Ctx() ctx: OperationsContext): Promise<FlowRun | null> {
    return new FlowRunService(ctx).visible(run.flowRunId);
  }

  @FieldResolver(() => RunState, { description: 'The current state.' })
  state(@Root() run: TaskRun): RunState {
    return currentState(run);
  }

  @FieldResolver(() => [RunState], { description: 'State history, oldest first.' })
  states(@Root() run: TaskRun, @Ctx() ctx: OperationsContext): Promise<RunState[]> {
    return new FlowRunService(ctx).states(run);
  }

  @Mutation(() => TaskRun, {
    description: 'Create (or get) a task run of a flow run (needs write_flow_runs).',
  })
  createTaskRun(
    @Arg('input', () => CreateTaskRunInput) input: CreateTaskRunInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<TaskRun> {
    return new TaskRunService(ctx).create(input);
  }

  @Mutation(() => SetStateResult, {
    description: 'Propose a state for a task run (needs write_flow_runs).',
  })
  setTaskRunState(
    @Arg('input', () => SetTaskRunStateInput) input: SetTaskRunStateInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<SetStateResult> {
    return new TaskRunService(ctx).setState(input);
  }
}
