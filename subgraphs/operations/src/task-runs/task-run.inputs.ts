import { Field, ID, InputType, Int } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { WorkspaceBoundField } from '../../../../lib/workspace-bound.js';
import { StateInput } from '../orchestration/state.types.js';
import { TaskRun } from './task-run.entity.js';

@InputType({
  description:
    'A task run of a flow run; the same (flowRunId, taskKey, dynamicKey) returns the existing one.',
})
export class CreateTaskRunInput {
  @Field(() => ID, {
    nullable: true,
    description:
      'A client-chosen id (UUID), as Prefect clients choose them; the same id in the same flow run returns that task run.',
  })
  id?: string | null;

  @Field(() => ID, { description: 'The flow run it belongs to.' })
  flowRunId!: string;

  @WorkspaceBoundField('flow run')
  workspaceId?: string | null;

  @Field(() => String, { description: 'Identifies the task in its flow (1 to 200 characters).' })
  taskKey!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Distinguishes calls of the task in one flow run (default "0").',
  })
  dynamicKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Name (default: the task key).' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Cache key (at most 500 characters).' })
  cacheKey?: string | null;

  @Field(() => [String], { nullable: true, description: 'Tags.' })
  tags?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Retries (0 to 100).' })
  retries?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds between retries (0 to 86400).' })
  retryDelaySeconds?: number | null;

  @Field(() => StateInput, {
    nullable: true,
    description: 'Initial state (default PENDING); goes through the policy.',
  })
  state?: StateInput | null;
}

@InputType({ description: 'A state proposed for a task run.' })
export class SetTaskRunStateInput {
  @Field(() => ID, { description: 'The task run.' })
  taskRunId!: string;

  @WorkspaceBoundField('task run')
  workspaceId?: string | null;

  @Field(() => StateInput, { description: 'The proposed state.' })
  state!: StateInput;

  @Field(() => Boolean, { nullable: true, description: 'Skip the policy’s rules; default false.' })
  force?: boolean | null;
}

export const TaskRunConnection = connectionType(TaskRun, 'TaskRun');
export type TaskRunConnection = InstanceType<typeof TaskRunConnection>;
