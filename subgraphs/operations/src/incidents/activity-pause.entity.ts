import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** What "pause workspace activity" pauses. */
export enum PausedObjectKind {
  DEPLOYMENT = 'DEPLOYMENT',
  WORK_POOL = 'WORK_POOL',
}

/**
 * One object an owner (an automation acting for an incident) holds paused: written when it
 * pauses the workspace's activity, read and removed when it resumes it, so exactly what it
 * paused is resumed. An object several owners hold is resumed when the last one lets go.
 */
@Entity({ tableName: 'activity_pause' })
@Index({ properties: ['objectKind', 'objectId'] })
export class ActivityPause {
  /** `<automationId>/<incidentId>`. */
  @PrimaryKey({ type: 'string', length: 100 })
  ownerKey!: string;

  @PrimaryKey({ type: 'string', length: 20 })
  objectKind!: PausedObjectKind;

  @PrimaryKey({ type: 'uuid' })
  objectId!: string;

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid' })
  automationId!: string;

  @Property({ type: 'uuid' })
  incidentId!: string;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
