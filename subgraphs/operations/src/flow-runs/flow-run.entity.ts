import { Entity, Index, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ObjectType } from 'type-graphql';
import { RunBase } from '../orchestration/run.base.js';
import type { ActorKind } from '../../../../lib/graphql-enums.js';

/** One execution of a flow, usually created from a deployment (REFERENCE §5). */
@ObjectType({ description: 'One execution of a flow, with its state and state history.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'flow_run' })
@Unique({ properties: ['workspaceId', 'idempotencyKey'] })
@Index({ properties: ['workspaceId', 'createdAt'] })
@Index({ properties: ['workQueueId', 'stateType', 'nextScheduledStartTime'] })
@Index({ properties: ['stateType', 'nextScheduledStartTime'] })
@Index({ properties: ['deploymentId', 'holdsDeploymentSlot'] })
// The retention service's scan: a workspace's finished runs by when they ended.
@Index({ properties: ['workspaceId', 'endTime'] })
export class FlowRun extends RunBase {
  @Property({ type: 'uuid', index: true })
  flowId!: string;

  @Property({ type: 'uuid', nullable: true })
  deploymentId?: string | null = null;

  @Field(() => GraphQLJSON, { description: 'Parameters (a JSON object).' })
  @Property({ type: 'json' })
  parameters: Record<string, unknown> = {};

  @Field(() => GraphQLJSON, { description: 'Key-value labels (a JSON object).' })
  @Property({ type: 'json' })
  labels: Record<string, string | number | boolean> = {};

  @Field(() => String, {
    nullable: true,
    description:
      'Idempotency key: creating a run with a key already used in the workspace returns that run.',
  })
  @Property({ type: 'string', length: 200, nullable: true })
  idempotencyKey?: string | null = null;

  @Field(() => Boolean, { description: 'Whether the scheduler created it from a schedule.' })
  @Property({ type: 'boolean' })
  autoScheduled: boolean = false;

  @Property({ type: 'uuid', nullable: true })
  parentTaskRunId?: string | null = null;

  @Property({ type: 'uuid', nullable: true, index: true })
  workPoolId?: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  workQueueId?: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'Identifier of the infrastructure running it (set by the worker).',
  })
  @Property({ type: 'string', length: 500, nullable: true })
  infrastructureId?: string | null = null;

  @Field(() => String, { nullable: true, description: 'The worker that claimed it.' })
  @Property({ type: 'string', length: 200, nullable: true })
  workerName?: string | null = null;

  /** Whether it holds one of its deployment's concurrency slots (PENDING, RUNNING, CANCELLING). */
  @Property({ type: 'boolean' })
  holdsDeploymentSlot: boolean = false;

  @Property({ type: 'string', length: 20, nullable: true })
  createdByType?: ActorKind | null = null;

  @Property({ type: 'uuid', nullable: true })
  createdById?: string | null = null;
}
