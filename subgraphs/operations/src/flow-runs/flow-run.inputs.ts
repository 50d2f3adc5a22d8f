import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { WorkspaceBoundField } from '../../../../lib/workspace-bound.js';
import { StateType } from '../orchestration/state-type.js';
import { StateInput } from '../orchestration/state.types.js';
import { FlowRun } from './flow-run.entity.js';

@InputType({
  description: 'A new flow run: from a deployment (deploymentId) or ad hoc for a flow (flowId).',
})
export class CreateFlowRunInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Run this deployment (needs run_deployments); its defaults apply.',
  })
  deploymentId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Or run this flow ad hoc (needs manage_flow_runs; write_flow_runs for a subflow).',
  })
  flowId?: string | null;

  @WorkspaceBoundField('deployment or flow')
  workspaceId?: string | null;

  @Field(() => String, { nullable: true, description: 'Name (default: generated).' })
  name?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Parameters; merged over the deployment’s defaults and checked against its schema.',
  })
  parameters?: unknown;

  @Field(() => [String], { nullable: true, description: 'Tags (added to the deployment’s).' })
  tags?: string[] | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Labels (a JSON object).' })
  labels?: unknown;

  @Field(() => String, {
    nullable: true,
    description:
      'Idempotency key (at most 200 characters): the same key in a workspace returns the same run.',
  })
  idempotencyKey?: string | null;

  @Field(() => StateInput, {
    nullable: true,
    description: 'Initial state (default SCHEDULED now); goes through the orchestration policy.',
  })
  state?: StateInput | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Retries of a FAILED attempt (0 to 100; default: the deployment’s, else 0).',
  })
  retries?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds between a failure and the retry (0 to 86400).',
  })
  retryDelaySeconds?: number | null;

  @Field(() => ID, { nullable: true, description: 'For a subflow: the task run that called it.' })
  parentTaskRunId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Queue of the deployment’s work pool to use instead of the deployment’s.',
  })
  workQueueId?: string | null;
}

@InputType({ description: 'Which flow runs to list; conditions combine with AND.' })
export class FlowRunFilter {
  @Field(() => [StateType], { nullable: true, description: 'Runs in one of these state types.' })
  stateTypes?: StateType[] | null;

  @Field(() => ID, { nullable: true, description: 'Runs of this flow.' })
  flowId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Runs of this deployment.' })
  deploymentId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Runs in this work pool.' })
  workPoolId?: string | null;

  @Field(() => [String], { nullable: true, description: 'Runs that carry all of these tags.' })
  tags?: string[] | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Subflow runs started by this task run of their parent flow run.',
  })
  parentTaskRunId?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Only these runs (at most 200 ids).' })
  ids?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Runs whose state has one of these names (e.g. `Cancelling`, `Late`).',
  })
  stateNames?: string[] | null;
}

@InputType({
  description:
    'Changes to a flow run by what runs it (name, tags, labels, infrastructure); omitted fields stay.',
})
export class UpdateFlowRunInput {
  @Field(() => ID, { description: 'The flow run.' })
  id!: string;

  @WorkspaceBoundField('run')
  workspaceId?: string | null;

  @Field(() => String, { nullable: true, description: 'New name (1 to 200 characters).' })
  name?: string | null;

  @Field(() => [String], { nullable: true, description: 'New tags (replace the old ones).' })
  tags?: string[] | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Labels merged into the run’s (a JSON object of string, number or boolean values).',
  })
  labels?: unknown;

  @Field(() => String, {
    nullable: true,
    description:
      'Identifier of the infrastructure running it (a process id, a container or job name; at most 500 characters).',
  })
  infrastructureId?: string | null;
}

@InputType({ description: 'A state proposed for a flow run.' })
export class SetFlowRunStateInput {
  @Field(() => ID, { description: 'The flow run.' })
  flowRunId!: string;

  @WorkspaceBoundField('run')
  workspaceId?: string | null;

  @Field(() => StateInput, { description: 'The proposed state.' })
  state!: StateInput;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Skip the policy’s rules (bookkeeping still happens); default false.',
  })
  force?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'Identifier of the infrastructure running it, recorded with an accepted state.',
  })
  infrastructureId?: string | null;
}

export const FlowRunConnection = connectionType(FlowRun, 'FlowRun');
export type FlowRunConnection = InstanceType<typeof FlowRunConnection>;
