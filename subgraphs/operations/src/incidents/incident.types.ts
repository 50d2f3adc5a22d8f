import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import type { Event } from '../event-store/event.entity.js';
import {
  Incident,
  IncidentResourceKind,
  type IncidentActorJson,
  type IncidentActorType,
} from './incident.entity.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

/** The five kinds of incident event (`flowplane.incident.<…>`). */
export enum IncidentChangeKind {
  DECLARED = 'DECLARED',
  UPDATED = 'UPDATED',
  COMMENT_ADDED = 'COMMENT_ADDED',
  RESOLVED = 'RESOLVED',
  REOPENED = 'REOPENED',
}
registerEnumType(IncidentChangeKind, {
  name: 'IncidentChangeKind',
  description: 'What happened to an incident.',
  valuesConfig: {
    DECLARED: { description: 'It was declared (`flowplane.incident.declared`).' },
    UPDATED: {
      description: 'One field changed (`flowplane.incident.updated.<field>`); see field, from, to.',
    },
    COMMENT_ADDED: { description: 'A comment was added (`flowplane.incident.comment.added`).' },
    RESOLVED: { description: 'It was resolved (`flowplane.incident.resolved`).' },
    REOPENED: { description: 'It was reopened (`flowplane.incident.reopened`).' },
  },
});

/** A related object of an incident: its kind and id; the typed field of its kind resolves it. */
@ObjectType({
  description:
    'A workspace object an incident names as related. The field of its kind resolves the object (null when it is gone or hidden from you).',
})
export class IncidentResource {
  @Field(() => IncidentResourceKind, { description: 'What kind of object it is.' })
  kind!: IncidentResourceKind;

  @Field(() => ID, { description: 'The object id.' })
  id!: string;
}

/** Who made a change: a user, a service account or an automation. */
@ObjectType({
  description:
    'Who made a change to an incident: a user, a service account or an automation; the field of its type resolves it.',
})
export class IncidentActor implements IncidentActorJson {
  @Field(() => ActorType, {
    description: 'What kind of actor: USER, SERVICE_ACCOUNT or AUTOMATION.',
  })
  type!: IncidentActorType;

  @Field(() => ID, { description: 'The user, service account or automation id.' })
  id!: string;
}

@ObjectType({ description: 'A comment on an incident; it lives in its timeline.' })
export class IncidentComment {
  @Field(() => ID, { description: 'Comment id.' })
  id!: string;

  @Field(() => String, { description: 'The text, in Markdown (1 to 10,000 characters).' })
  body!: string;

  @Field(() => IncidentActor, { description: 'Who wrote it.' })
  author!: IncidentActor;
}

/** One step of an incident's history, as read from one of its events. */
/** Fields shared by timeline entries and changes (unreferenced: not emitted as a type). */
@ObjectType('IncidentStep', { description: 'One step of an incident history.' })
export abstract class IncidentStep {
  @Field(() => ID, { description: 'The id of the event that records this step.' })
  id!: string;

  @Field(() => IncidentChangeKind, { description: 'What happened.' })
  kind!: IncidentChangeKind;

  @Field(() => String, {
    nullable: true,
    description:
      'The changed field for UPDATED (name, summary, severity, startTime, tags, relatedResources); null otherwise.',
  })
  field?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'For UPDATED, the value before (a string, list or null; times as ISO-8601; related resources as [{kind, id}]).',
  })
  from?: unknown;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'For UPDATED, the value after, shaped like `from`.',
  })
  to?: unknown;

  @Field(() => IncidentComment, {
    nullable: true,
    description: 'For COMMENT_ADDED, the comment.',
  })
  comment?: IncidentComment | null;

  @Field(() => IncidentActor, { nullable: true, description: 'Who made the change.' })
  actor?: IncidentActor | null;

  @Field(() => Date, { description: 'When it happened.' })
  occurred!: Date;

  incidentId!: string;
  event!: Event;
}

@ObjectType({ description: 'One entry of an incident timeline: a change or a comment.' })
export class IncidentTimelineEntry extends IncidentStep {}

/**
 * A change of an incident as subscribers see it (`Subscription.incidentChanges`): the timeline
 * entry plus the incident as it is now and the raw event.
 */
@ObjectType({
  description:
    'A change of an incident (declared, updated, commented, resolved, reopened): what incidentChanges subscribers receive.',
})
export class IncidentChange extends IncidentStep {}

export const IncidentConnection = connectionType(Incident, 'Incident');
export type IncidentConnection = InstanceType<typeof IncidentConnection>;
export const IncidentTimelineConnection = connectionType(IncidentTimelineEntry, 'IncidentTimeline');
export type IncidentTimelineConnection = InstanceType<typeof IncidentTimelineConnection>;
