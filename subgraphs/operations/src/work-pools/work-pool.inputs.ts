import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { WebhookPushInput } from './push-settings.js';
import { WorkPool } from './work-pool.entity.js';

@InputType({ description: 'A new work pool; it gets a queue named "default".' })
export class CreateWorkPoolInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => String, { description: 'Name, unique within the workspace (1 to 200 characters).' })
  name!: string;

  @Field(() => String, {
    description:
      'Type: process, docker, kubernetes, … or a push type ending in "-push" (lower case, digits, "-").',
  })
  type!: string;

  @Field(() => String, { nullable: true, description: 'Description.' })
  description?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Base job template: a JSON object; its `variables`, if given, is a JSON Schema.',
  })
  baseJobTemplate?: unknown;

  @Field(() => Int, {
    nullable: true,
    description: 'Concurrency limit (0 or more); null for none.',
  })
  concurrencyLimit?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Start paused (default false).' })
  paused?: boolean | null;

  @Field(() => WebhookPushInput, {
    nullable: true,
    description:
      'Required for type "webhook-push" (and refused for other types): where and how runs are pushed.',
  })
  webhookPush?: WebhookPushInput | null;
}

@InputType({ description: 'Changes to a work pool; omitted fields stay, null clears the limit.' })
export class UpdateWorkPoolInput {
  @Field(() => ID, { description: 'The work pool.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New base job template.' })
  baseJobTemplate?: unknown;

  @Field(() => Int, { nullable: true, description: 'New concurrency limit; null for none.' })
  concurrencyLimit?: number | null;

  @Field(() => WebhookPushInput, {
    nullable: true,
    description:
      'Changes to a webhook push pool’s configuration (omitted fields keep their value).',
  })
  webhookPush?: WebhookPushInput | null;
}

@InputType({ description: 'A new queue in a work pool.' })
export class CreateWorkQueueInput {
  @Field(() => ID, { description: 'The work pool.' })
  workPoolId!: string;

  @Field(() => String, { description: 'Name, unique within the pool (1 to 200 characters).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description.' })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: 'Priority, 1 (first) or more; default 1.' })
  priority?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Concurrency limit (0 or more); null for none.',
  })
  concurrencyLimit?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Start paused (default false).' })
  paused?: boolean | null;
}

@InputType({ description: 'Changes to a work queue; omitted fields stay, null clears the limit.' })
export class UpdateWorkQueueInput {
  @Field(() => ID, { description: 'The work queue.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name (not for the default queue).' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: 'New priority.' })
  priority?: number | null;

  @Field(() => Int, { nullable: true, description: 'New concurrency limit; null for none.' })
  concurrencyLimit?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Pause (true) or resume (false).' })
  paused?: boolean | null;
}

@InputType({ description: 'A worker’s heartbeat.' })
export class WorkerHeartbeatInput {
  @Field(() => ID, { description: 'The work pool it polls.' })
  workPoolId!: string;

  @Field(() => String, {
    description: 'Worker name, unique within the pool (1 to 200 characters).',
  })
  name!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds between its heartbeats (5 to 3600, default 30); OFFLINE after 3 missed.',
  })
  heartbeatIntervalSeconds?: number | null;
}

@InputType({ description: 'A worker asking for due runs of its pool.' })
export class ClaimFlowRunsInput {
  @Field(() => ID, { description: 'The work pool.' })
  workPoolId!: string;

  @Field(() => String, { description: 'The claiming worker (also counts as its heartbeat).' })
  workerName!: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Only these queues of the pool (default: all of them).',
  })
  queueNames?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many runs (1 to 100, default 10).',
  })
  limit?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Offer the runs this worker claimed before and has not moved past PENDING again, ahead of new ones (default false: each run is handed out once). For workers that may poll more runs than they start, such as Prefect’s.',
  })
  offerHeld?: boolean | null;
}

@InputType({
  description:
    'A process serving deployments itself (Prefect’s `flow.serve()`, no work pool) asking for their due runs.',
})
export class ClaimDeploymentFlowRunsInput {
  @Field(() => ID, { description: 'The workspace of the deployments.' })
  workspaceId!: string;

  @Field(() => [ID], { description: 'The deployments it serves (1 to 100, of that workspace).' })
  deploymentIds!: string[];

  @Field(() => String, {
    description:
      'Who claims (1 to 200 characters); its unsubmitted claims are offered to it again.',
  })
  claimerName!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many runs (1 to 100, default 10).',
  })
  limit?: number | null;
}

export const WorkPoolConnection = connectionType(WorkPool, 'WorkPool');
export type WorkPoolConnection = InstanceType<typeof WorkPoolConnection>;
