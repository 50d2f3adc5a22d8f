import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { StateType } from './state-type.js';
import { timeOrderedUuid } from '../../../../lib/db.js';

/** One entry of a flow or task run's state history; the run keeps a copy of its current one. */
@ObjectType('State', { description: 'A state of a flow or task run, with its display name.' })
@Entity({ tableName: 'run_state' })
@Index({ properties: ['runId', 'timestamp'] })
export class RunState {
  // Time-ordered: the history is ordered by timestamp, then id, and states a client reports can
  // share a millisecond (a task's PENDING and RUNNING): the id keeps the order they came in.
  @Field(() => String, { description: 'State id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = timeOrderedUuid();

  @Property({ type: 'uuid' })
  runId!: string;

  /** FLOW or TASK: which kind of run `runId` names. */
  @Property({ type: 'string', length: 10 })
  runKind!: 'FLOW' | 'TASK';

  @Field(() => StateType, { description: 'State type.' })
  @Property({ type: 'string', length: 20 })
  type!: StateType;

  @Field(() => String, { description: 'Display name, e.g. Late, AwaitingRetry, Retrying.' })
  @Property({ type: 'string', length: 50 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Message given with the state.' })
  @Property({ type: 'text', nullable: true })
  message?: string | null = null;

  @Field(() => GraphQLJSON, {
    description:
      'Details: scheduledTime, pauseTimeoutSeconds, pauseExpiresAt, retry info, transitionId.',
  })
  @Property({ type: 'json' })
  details: Record<string, unknown> = {};

  @Field(() => Date, { description: 'When the run entered the state.' })
  @Property({ type: 'Date' })
  timestamp: Date = new Date();
}
