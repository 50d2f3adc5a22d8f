import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ACTOR_KINDS, ActorType, type ActorKind } from '../../../../lib/graphql-enums.js';

/** How bad a disruption is (REFERENCE §6). */
export enum IncidentSeverity {
  CRITICAL = 'CRITICAL',
  HIGH = 'HIGH',
  MODERATE = 'MODERATE',
  LOW = 'LOW',
  MINOR = 'MINOR',
}
registerEnumType(IncidentSeverity, {
  name: 'IncidentSeverity',
  description: 'How bad the disruption an incident declares is.',
  valuesConfig: {
    CRITICAL: { description: 'Production is down or data is at risk.' },
    HIGH: { description: 'A major function is failing for many.' },
    MODERATE: { description: 'A function is degraded; a workaround exists.' },
    LOW: { description: 'A minor function is affected.' },
    MINOR: { description: 'Cosmetic or barely noticeable.' },
  },
});

export enum IncidentStatus {
  ACTIVE = 'ACTIVE',
  RESOLVED = 'RESOLVED',
}
registerEnumType(IncidentStatus, {
  name: 'IncidentStatus',
  description: 'Whether an incident is still open.',
  valuesConfig: {
    ACTIVE: { description: 'Open: the disruption is going on.' },
    RESOLVED: { description: 'Resolved: it has an end time (it can be reopened).' },
  },
});

/** The kinds of workspace object an incident can point at. */
export enum IncidentResourceKind {
  FLOW_RUN = 'FLOW_RUN',
  DEPLOYMENT = 'DEPLOYMENT',
  WORK_POOL = 'WORK_POOL',
  BLOCK_DOCUMENT = 'BLOCK_DOCUMENT',
  FLOW = 'FLOW',
  WORK_QUEUE = 'WORK_QUEUE',
}
registerEnumType(IncidentResourceKind, {
  name: 'IncidentResourceKind',
  description: 'A kind of workspace object an incident can name as related.',
  valuesConfig: {
    FLOW_RUN: { description: 'A flow run.' },
    DEPLOYMENT: { description: 'A deployment.' },
    WORK_POOL: { description: 'A work pool.' },
    BLOCK_DOCUMENT: { description: 'A block document.' },
    FLOW: { description: 'A flow.' },
    WORK_QUEUE: { description: 'A work queue.' },
  },
});

/** Who changes incidents: a user or service account (`ActorKind`), or an automation. */
export type IncidentActorType = ActorKind | ActorType.AUTOMATION;
export const INCIDENT_ACTOR_TYPES: readonly IncidentActorType[] = [
  ...ACTOR_KINDS,
  ActorType.AUTOMATION,
];

export interface IncidentActorJson {
  type: IncidentActorType;
  id: string;
}

/**
 * A declared disruption of a workspace (REFERENCE §6). The row holds the incident's current
 * fields; its history (every change and every comment) is its events in the event store.
 */
@ObjectType({
  description:
    'A formal declaration of a disruption in a workspace, with a timeline of its changes and comments.',
})
@Entity({ tableName: 'incident' })
@Index({ properties: ['workspaceId', 'status'] })
export class Incident {
  @Field(() => ID, { description: 'Incident id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, { description: 'Short title (1 to 200 characters).' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What is going on, in Markdown (at most 10,000 characters).',
  })
  @Property({ type: 'text', nullable: true })
  summary?: string | null = null;

  @Field(() => IncidentSeverity, { description: 'How bad it is.' })
  @Property({ type: 'string', length: 16 })
  severity!: IncidentSeverity;

  @Field(() => IncidentStatus, { description: 'ACTIVE until resolved.' })
  @Property({ type: 'string', length: 16 })
  status: IncidentStatus = IncidentStatus.ACTIVE;

  @Field(() => Date, {
    description: 'When the disruption began (the declaration time by default).',
  })
  @Property({ type: 'Date' })
  startTime!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When it was resolved; null while ACTIVE.',
  })
  @Property({ type: 'Date', nullable: true })
  endTime?: Date | null = null;

  @Field(() => [String], { description: 'Tags for filtering and grouping (at most 50).' })
  @Property({ type: 'json' })
  tags: string[] = [];

  @Property({ type: 'string', length: 20 })
  declaredByType!: IncidentActorType;

  @Property({ type: 'uuid' })
  declaredById!: string;

  /** The incident's latest event: the next one `follows` it. */
  @Property({ type: 'uuid', nullable: true })
  lastEventId?: string | null = null;

  @Field(() => Date, { description: 'When it was declared (stored).' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change of any field or status.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** A workspace object an incident names as related, one row each (filterable in SQL). */
@Entity({ tableName: 'incident_resource' })
@Index({ properties: ['workspaceId', 'resourceId'] })
export class IncidentResourceRow {
  @PrimaryKey({ type: 'uuid' })
  incidentId!: string;

  @PrimaryKey({ type: 'string', length: 20 })
  kind!: IncidentResourceKind;

  @PrimaryKey({ type: 'uuid' })
  resourceId!: string;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  /** Order as the declaration or last update gave them. */
  @Property({ type: 'integer' })
  position!: number;
}
