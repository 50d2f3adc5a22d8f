import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

/** A resource an event is about, or is related to, with its labels (REFERENCE §6). */
export interface EventResourceJson {
  /** Dotted id, e.g. `flowplane.flow-run.<uuid>`. */
  id: string;
  /** The part the resource plays in the event (related resources only), e.g. `deployment`. */
  role?: string;
  labels: Record<string, string>;
}

/**
 * One event of a workspace's event store: system events (state transitions, status changes,
 * automations, incidents, audit actions) and the events clients emit. `seq` is the order of the
 * store: keyset paging and backfill after an event follow it. Ids are unique per workspace:
 * clients choose theirs, and one tenant's ids must neither reveal nor block another's.
 */
@ObjectType({
  description:
    'Something that happened in a workspace: a state change, a status change, an automation or incident step, an audit action, or an event a client emitted.',
})
@Entity({ tableName: 'event' })
@Index({ properties: ['workspaceId', 'occurred'] })
@Index({ properties: ['workspaceId', 'resourceId'] })
@Index({ properties: ['workspaceId', 'name'] })
@Index({ properties: ['occurred'] })
@Unique({ properties: ['workspaceId', 'id'] })
@Index({ properties: ['id'] })
export class Event {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  seq!: number;

  @Field(() => ID, {
    description: 'Event id (unique in its workspace; subscribers de-duplicate by it).',
  })
  @Property({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Field(() => Date, { description: 'When it happened, as its emitter says.' })
  @Property({ type: 'Date' })
  occurred!: Date;

  @Field(() => Date, { description: 'When the event store accepted it.' })
  @Property({ type: 'Date' })
  received: Date = new Date();

  @Field(() => String, {
    name: 'event',
    description: 'The event name, dotted (e.g. `flowplane.flow-run.Running`).',
  })
  @Property({ type: 'string', length: 1024 })
  name!: string;

  @Property({ type: 'string', length: 1024 })
  resourceId!: string;

  @Property({ type: 'json' })
  resource!: EventResourceJson;

  @Property({ type: 'json' })
  related: EventResourceJson[] = [];

  @Field(() => GraphQLJSON, { description: 'What the emitter said about it (a JSON object).' })
  @Property({ type: 'json' })
  payload: Record<string, unknown> = {};

  @Field(() => ID, {
    nullable: true,
    description: 'The event this one follows (for a run: its previous state event).',
  })
  @Property({ type: 'uuid', nullable: true })
  follows?: string | null = null;
}

/** Related resources of stored events, one row each, for filtering by related resource. */
@Entity({ tableName: 'event_related' })
@Index({ properties: ['workspaceId', 'resourceId'] })
export class EventRelated {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  @PrimaryKey({ type: 'uuid' })
  eventId!: string;

  @PrimaryKey({ type: 'string', length: 1024 })
  resourceId!: string;

  @PrimaryKey({ type: 'string', length: 100 })
  role!: string;
}
