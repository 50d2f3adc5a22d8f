import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ActorKind } from '../../../../lib/graphql-enums.js';

/** What happens to a new run when its deployment's concurrency slots are all taken. */
export enum CollisionStrategy {
  ENQUEUE = 'ENQUEUE',
  CANCEL_NEW = 'CANCEL_NEW',
}
registerEnumType(CollisionStrategy, {
  name: 'CollisionStrategy',
  description: 'What happens to a run that would exceed its deployment’s concurrency limit.',
  valuesConfig: {
    ENQUEUE: { description: 'It waits (SCHEDULED, AwaitingConcurrencySlot) for a free slot.' },
    CANCEL_NEW: { description: 'It is cancelled.' },
  },
});

/** Whether a deployment's runs can be picked up (REFERENCE §5). */
export enum DeploymentStatus {
  READY = 'READY',
  NOT_READY = 'NOT_READY',
}
registerEnumType(DeploymentStatus, {
  name: 'DeploymentStatus',
  description: 'Whether a deployment’s runs can be picked up by its work pool.',
  valuesConfig: {
    READY: { description: 'Its work queue is READY (the pool has an online worker or is push).' },
    NOT_READY: { description: 'No work pool, or its queue or pool is not READY.' },
  },
});

/** A flow's server-side configuration: parameters, schedules, infrastructure (REFERENCE §5). */
@ObjectType({
  description: 'A flow’s server-side configuration: parameters, schedules, work pool and limits.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'deployment' })
@Unique({ properties: ['flowId', 'name'] })
export class Deployment {
  @Field(() => ID, { description: 'Deployment id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid', index: true })
  flowId!: string;

  @Field(() => String, { description: 'Name, unique per flow (1 to 200 characters).' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description (at most 5000 characters).' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  @Field(() => String, { nullable: true, description: 'Version label (at most 100 characters).' })
  @Property({ type: 'string', length: 100, nullable: true })
  version?: string | null = null;

  @Field(() => GraphQLJSON, { description: 'Default parameters of its runs (a JSON object).' })
  @Property({ type: 'json' })
  parameters: Record<string, unknown> = {};

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'JSON Schema that run parameters must satisfy; null accepts any object.',
  })
  @Property({ type: 'json', nullable: true })
  parameterSchema?: Record<string, unknown> | null = null;

  @Property({ type: 'uuid', nullable: true, index: true })
  workPoolId?: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  workQueueId?: string | null = null;

  @Field(() => GraphQLJSON, {
    description: 'Overrides of the work pool’s base job template (a JSON object).',
  })
  @Property({ type: 'json' })
  jobVariables: Record<string, unknown> = {};

  @Field(() => Int, {
    nullable: true,
    description:
      'At most this many runs PENDING, RUNNING or CANCELLING at once; null for no limit.',
  })
  @Property({ type: 'integer', nullable: true })
  concurrencyLimit?: number | null = null;

  @Field(() => CollisionStrategy, { description: 'What happens to a run above the limit.' })
  @Property({ type: 'string', length: 20 })
  collisionStrategy: CollisionStrategy = CollisionStrategy.ENQUEUE;

  @Field(() => Int, {
    nullable: true,
    description: 'Default retries of its runs (a FAILED attempt is retried this many times).',
  })
  @Property({ type: 'integer', nullable: true })
  retries?: number | null = null;

  @Field(() => Int, {
    nullable: true,
    description: 'Default seconds between a failure and its retry.',
  })
  @Property({ type: 'integer', nullable: true })
  retryDelaySeconds?: number | null = null;

  @Field(() => Boolean, { description: 'A paused deployment’s schedules create no runs.' })
  @Property({ type: 'boolean' })
  paused: boolean = false;

  @Field(() => DeploymentStatus, {
    description:
      'READY when its work queue is READY, NOT_READY otherwise (paused is a flag of its own); changes are events.',
  })
  @Property({ type: 'string', length: 20, default: DeploymentStatus.NOT_READY })
  status: DeploymentStatus = DeploymentStatus.NOT_READY;

  @Field(() => [String], { description: 'Tags.' })
  @Property({ type: 'json' })
  tags: string[] = [];

  @Field(() => String, {
    nullable: true,
    description:
      'Where the flow function is, for the process that runs it: `path/to/file.py:function` or `module.function`.',
  })
  @Property({ type: 'string', length: 1000, nullable: true })
  entrypoint?: string | null = null;

  @Field(() => String, {
    nullable: true,
    description:
      'The directory the entrypoint is relative to, on the machine that runs the flow (when no pull steps fetch the code).',
  })
  @Property({ type: 'string', length: 1000, nullable: true })
  path?: string | null = null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Steps a worker runs before the flow to fetch its code, as Prefect writes them (e.g. `[{"prefect.deployments.steps.set_working_directory": {"directory": "/srv/flows"}}]`); a JSON list of objects, or null.',
  })
  @Property({ type: 'json', nullable: true })
  pullSteps?: Record<string, unknown>[] | null = null;

  @Property({ type: 'string', length: 20 })
  createdByType!: ActorKind;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
