import { Field, ID, InputType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { StateType } from '../orchestration/state-type.js';
import { Event } from './event.entity.js';

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
