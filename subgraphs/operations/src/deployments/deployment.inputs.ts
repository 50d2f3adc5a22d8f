import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { WorkspaceBoundField } from '../../../../lib/workspace-bound.js';
import { CollisionStrategy, Deployment } from './deployment.entity.js';
import { DeploymentScheduleInput } from './schedules/schedule.inputs.js';

@InputType({ description: 'A new deployment of a flow.' })
export class CreateDeploymentInput {
  @Field(() => ID, { description: 'The flow it deploys.' })
  flowId!: string;

  @WorkspaceBoundField('flow')
  workspaceId?: string | null;

  @Field(() => String, { description: 'Name, unique per flow (1 to 200 characters).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description (at most 5000 characters).' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Version label (at most 100 characters).' })
  version?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Default parameters (a JSON object).' })
  parameters?: unknown;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'JSON Schema of the parameters (type "object"); checked when saved.',
  })
  parameterSchema?: unknown;

  @Field(() => ID, { nullable: true, description: 'Work pool its runs go to.' })
  workPoolId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Queue of that pool (default: the pool’s default queue).',
  })
  workQueueId?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Overrides of the pool’s base job template (a JSON object).',
  })
  jobVariables?: unknown;

  @Field(() => [DeploymentScheduleInput], {
    nullable: true,
    description: 'Schedules (at most 20).',
  })
  schedules?: DeploymentScheduleInput[] | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Concurrency limit (0 or more); null for none.',
  })
  concurrencyLimit?: number | null;

  @Field(() => CollisionStrategy, {
    nullable: true,
    description: 'What happens above the limit (default ENQUEUE).',
  })
  collisionStrategy?: CollisionStrategy | null;

  @Field(() => Int, { nullable: true, description: 'Default retries of its runs (0 to 100).' })
  retries?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Default seconds between a failure and the retry (0 to 86400).',
  })
  retryDelaySeconds?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Start paused (default false).' })
  paused?: boolean | null;

  @Field(() => [String], { nullable: true, description: 'Tags (at most 50).' })
  tags?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'Entrypoint of the flow: `path/to/file.py:function` or `module.function`.',
  })
  entrypoint?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Directory the entrypoint is relative to (at most 1000 characters).',
  })
  path?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Pull steps that fetch the code before a run (a JSON list of at most 20 objects).',
  })
  pullSteps?: unknown;
}

@InputType({
  description: 'Changes to a deployment; omitted fields stay, explicit nulls clear nullable ones.',
})
export class UpdateDeploymentInput {
  @Field(() => ID, { description: 'The deployment.' })
  id!: string;

  @WorkspaceBoundField('deployment')
  workspaceId?: string | null;

  @Field(() => String, { nullable: true, description: 'New name, unique per flow.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'New version label.' })
  version?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New default parameters.' })
  parameters?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New parameter schema.' })
  parameterSchema?: unknown;

  @Field(() => ID, { nullable: true, description: 'New work pool.' })
  workPoolId?: string | null;

  @Field(() => ID, { nullable: true, description: 'New queue of the pool.' })
  workQueueId?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New job variables.' })
  jobVariables?: unknown;

  @Field(() => [DeploymentScheduleInput], {
    nullable: true,
    description: 'Replaces all schedules (future runs they created are removed).',
  })
  schedules?: DeploymentScheduleInput[] | null;

  @Field(() => Int, { nullable: true, description: 'New concurrency limit.' })
  concurrencyLimit?: number | null;

  @Field(() => CollisionStrategy, { nullable: true, description: 'New collision strategy.' })
  collisionStrategy?: CollisionStrategy | null;

  @Field(() => Int, { nullable: true, description: 'New default retries.' })
  retries?: number | null;

  @Field(() => Int, { nullable: true, description: 'New default retry delay.' })
  retryDelaySeconds?: number | null;

  @Field(() => [String], { nullable: true, description: 'New tags.' })
  tags?: string[] | null;

  @Field(() => String, { nullable: true, description: 'New entrypoint.' })
  entrypoint?: string | null;

  @Field(() => String, { nullable: true, description: 'New path of the entrypoint.' })
  path?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New pull steps.' })
  pullSteps?: unknown;
}

@InputType({ description: 'Which deployments to list; conditions combine with AND.' })
export class DeploymentFilter {
  @Field(() => ID, { nullable: true, description: 'Deployments of this flow.' })
  flowId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Deployments using this work pool.' })
  workPoolId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only paused (true) or active (false).' })
  paused?: boolean | null;
}

export const DeploymentConnection = connectionType(Deployment, 'Deployment');
export type DeploymentConnection = InstanceType<typeof DeploymentConnection>;
