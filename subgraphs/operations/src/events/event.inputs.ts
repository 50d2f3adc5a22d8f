import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { StateType } from '../orchestration/state-type.js';
import { Event } from '../event-store/event.entity.js';

@InputType({ description: 'A label condition: the label has one of these values.' })
export class EventLabelMatch {
  @Field(() => String, {
    description:
      'Label name on the event’s resource (`flowplane.resource.id` matches the resource id itself).',
  })
  name!: string;

  @Field(() => [String], { description: 'Accepted values (an empty list matches nothing).' })
  values!: string[];
}

@InputType({
  description:
    'Which events: conditions combine with AND, a list matches when any of its values does. Stored events are searched within a bounded window (default: the last 24 hours; at most the workspace’s retention).',
})
export class EventFilter {
  @Field(() => Date, {
    nullable: true,
    description: 'Occurred at or after this time (default: 24 hours before occurredBefore or now).',
  })
  occurredAfter?: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Occurred before this time (default: no upper bound).',
  })
  occurredBefore?: Date | null;

  @Field(() => [String], { nullable: true, description: 'Event names, exactly.' })
  names?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Event name prefixes (e.g. `flowplane.flow-run.`).',
  })
  namePrefixes?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Resource ids, exactly.' })
  resourceIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Resource id prefixes.' })
  resourceIdPrefixes?: string[] | null;

  @Field(() => [EventLabelMatch], {
    nullable: true,
    description: 'Label conditions on the resource; every one must hold.',
  })
  labels?: EventLabelMatch[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Ids of related resources (any of them related in any role).',
  })
  relatedResourceIds?: string[] | null;
}

@InputType({ description: 'Which flow-run state events: conditions combine with AND.' })
export class FlowRunEventFilter {
  @Field(() => [ID], { nullable: true, description: 'Only these flow runs.' })
  flowRunIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only runs of these deployments.' })
  deploymentIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only runs of these flows.' })
  flowIds?: string[] | null;

  @Field(() => [StateType], { nullable: true, description: 'Only changes into these state types.' })
  stateTypes?: StateType[] | null;
}

export const EventConnection = connectionType(Event, 'Event');
export type EventConnection = InstanceType<typeof EventConnection>;

/** The order of `Workspace.events`. */
export enum EventOrder {
  OCCURRED_DESC = 'OCCURRED_DESC',
  OCCURRED_ASC = 'OCCURRED_ASC',
}
registerEnumType(EventOrder, {
  name: 'EventOrder',
  description: 'The order of an event list.',
  valuesConfig: {
    OCCURRED_DESC: { description: 'Newest first (by occurred, then store order).' },
    OCCURRED_ASC: { description: 'Oldest first (by occurred, then store order).' },
  },
});

/** What `eventCounts` groups by. */
export enum EventCountBy {
  EVENT = 'EVENT',
  TIME = 'TIME',
  RESOURCE = 'RESOURCE',
}
registerEnumType(EventCountBy, {
  name: 'EventCountBy',
  description: 'What event counts are grouped by.',
  valuesConfig: {
    EVENT: { description: 'The event name.' },
    TIME: { description: 'Time buckets of the window (give `bucket`); empty buckets count 0.' },
    RESOURCE: { description: 'The resource id.' },
  },
});

/** Bucket sizes of time counts. */
export enum TimeBucket {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(TimeBucket, {
  name: 'TimeBucket',
  description: 'The size of a time bucket (UTC).',
  valuesConfig: {
    MINUTE: { description: 'One minute.' },
    HOUR: { description: 'One hour.' },
    DAY: { description: 'One day (UTC midnight to midnight).' },
  },
});

@ObjectType({ description: 'How many events fell into one group (for charts).' })
export class EventCount {
  @Field(() => String, {
    description: 'The group: an event name, a resource id, or a bucket start (ISO time).',
  })
  value!: string;

  @Field(() => Int, { description: 'How many events.' })
  count!: number;

  @Field(() => Date, {
    description: 'Bucket start for TIME; otherwise when the first of them occurred.',
  })
  startTime!: Date;

  @Field(() => Date, {
    description: 'Bucket end for TIME; otherwise when the last of them occurred.',
  })
  endTime!: Date;
}

@InputType({ description: 'The resource an emitted event is about.' })
export class EmitEventResourceInput {
  @Field(() => String, { description: 'Dotted resource id, 1 to 1024 characters.' })
  id!: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Labels: a JSON object of at most 50 string values (keys up to 255, values up to 1024 characters).',
  })
  labels?: unknown;
}

@InputType({ description: 'A resource related to an emitted event.' })
export class EmitEventRelatedInput {
  @Field(() => String, { description: 'Dotted resource id, 1 to 1024 characters.' })
  id!: string;

  @Field(() => String, {
    description: 'The part it plays, 1 to 100 characters (e.g. `deployment`, `tag`).',
  })
  role!: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Labels, as on the resource (at most 50 string values).',
  })
  labels?: unknown;
}

@InputType({ description: 'One event a client emits.' })
export class EmitEventInput {
  @Field(() => ID, {
    nullable: true,
    description:
      'A client-chosen id (UUID) that makes re-sending safe: an id already stored is accepted and not stored again.',
  })
  id?: string | null;

  @Field(() => String, {
    description:
      'The event name: 1 to 1024 characters, dotted (at least two non-empty parts, no spaces), not starting with `flowplane.` (reserved).',
  })
  event!: string;

  @Field(() => Date, {
    nullable: true,
    description: 'When it happened (default now; at most 5 minutes in the future).',
  })
  occurred?: Date | null;

  @Field(() => EmitEventResourceInput, { description: 'The resource it is about.' })
  resource!: EmitEventResourceInput;

  @Field(() => [EmitEventRelatedInput], {
    nullable: true,
    description: 'Related resources (at most 50).',
  })
  related?: EmitEventRelatedInput[] | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Anything else: a JSON object of at most 64 KiB serialized.',
  })
  payload?: unknown;

  @Field(() => ID, { nullable: true, description: 'The id of an event this one follows.' })
  follows?: string | null;
}

@InputType({ description: 'Events to store in a workspace’s event store, all or none.' })
export class EmitEventsInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => [EmitEventInput], { description: 'The events (at most 500).' })
  events!: EmitEventInput[];
}

@InputType({ description: 'How long a workspace keeps its events.' })
export class SetEventRetentionInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => Int, { description: 'Days, 1 to 365 (the default is 30).' })
  days!: number;
}
