import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export const DEFAULT_QUEUE = 'default';

/** Whether a queue's runs can be picked up. */
export enum WorkQueueStatus {
  READY = 'READY',
  NOT_READY = 'NOT_READY',
  PAUSED = 'PAUSED',
}
registerEnumType(WorkQueueStatus, {
  name: 'WorkQueueStatus',
  description: 'Whether a work queue’s runs can be picked up.',
  valuesConfig: {
    READY: { description: 'Not paused, and its work pool is READY.' },
    NOT_READY: { description: 'Its work pool is not READY (no online worker, or paused).' },
    PAUSED: { description: 'Paused: no run is handed out.' },
  },
});

/** A queue inside a work pool: workers take runs from higher-priority queues first. */
@ObjectType({ description: 'A queue inside a work pool, with a priority and a concurrency limit.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'work_queue' })
@Unique({ properties: ['workPoolId', 'name'] })
export class WorkQueue {
  @Field(() => ID, { description: 'Work queue id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workPoolId!: string;

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, { description: 'Name, unique within the pool.' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  @Field(() => Int, { description: 'Priority: 1 is served first, then 2, and so on.' })
  @Property({ type: 'integer' })
  priority: number = 1;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many of its runs PENDING, RUNNING or CANCELLING; null for no limit.',
  })
  @Property({ type: 'integer', nullable: true })
  concurrencyLimit?: number | null = null;

  @Field(() => Boolean, { description: 'A paused queue hands out no runs.' })
  @Property({ type: 'boolean' })
  paused: boolean = false;

  @Field(() => WorkQueueStatus, {
    description: 'READY, NOT_READY (its pool is not READY) or PAUSED; changes are events.',
  })
  @Property({ type: 'string', length: 20, default: WorkQueueStatus.NOT_READY })
  status: WorkQueueStatus = WorkQueueStatus.NOT_READY;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
