import { randomUUID } from 'node:crypto';
import { PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { StateType } from './state-type.js';

/**
 * Columns and fields that flow runs and task runs share: the orchestration policy works on
 * this shape. The current state is copied onto the run so lists need no join.
 */
@ObjectType('RunBase', {
  description: 'Fields flow runs and task runs share (not exposed by itself).',
})
export abstract class RunBase {
  @Field(() => ID, { description: 'Run id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Field(() => String, { description: 'Display name.' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => [String], { description: 'Tags.' })
  @Property({ type: 'json' })
  tags: string[] = [];

  @Field(() => Date, {
    nullable: true,
    description: 'When the run was first expected to start (its first scheduled time).',
  })
  @Property({ type: 'Date', nullable: true })
  expectedStartTime?: Date | null = null;

  @Field(() => Date, {
    nullable: true,
    description: 'While SCHEDULED: when it is due; null otherwise.',
  })
  @Property({ type: 'Date', nullable: true })
  nextScheduledStartTime?: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When it first entered RUNNING.' })
  @Property({ type: 'Date', nullable: true })
  startTime?: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When it entered a terminal state.' })
  @Property({ type: 'Date', nullable: true })
  endTime?: Date | null = null;

  @Field(() => Int, { description: 'How many times it entered RUNNING.' })
  @Property({ type: 'integer' })
  runCount: number = 0;

  @Field(() => Float, { description: 'Seconds spent RUNNING, over all attempts.' })
  @Property({ type: 'double' })
  totalRunTime: number = 0;

  @Field(() => Int, { description: 'How many times a FAILED attempt is retried.' })
  @Property({ type: 'integer' })
  retries: number = 0;

  @Field(() => Int, { description: 'Seconds between a failure and the retry.' })
  @Property({ type: 'integer' })
  retryDelaySeconds: number = 0;

  @Property({ type: 'uuid', nullable: true })
  stateId?: string | null = null;

  @Field(() => StateType, { description: 'Type of the current state.' })
  @Property({ type: 'string', length: 20 })
  stateType!: StateType;

  @Field(() => String, { description: 'Display name of the current state.' })
  @Property({ type: 'string', length: 50 })
  stateName!: string;

  @Property({ type: 'Date' })
  stateTimestamp: Date = new Date();

  @Property({ type: 'text', nullable: true })
  stateMessage?: string | null = null;

  @Property({ type: 'json' })
  stateDetails: Record<string, unknown> = {};

  /** The id of the run's last state event (the next one `follows` it). */
  @Property({ type: 'uuid', nullable: true })
  lastStateEventId?: string | null = null;

  /** While PAUSED: when the pause expires (the pause-expiry service fails the run then). */
  @Property({ type: 'Date', nullable: true })
  pauseExpiresAt?: Date | null = null;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
