import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Days a workspace keeps its events when it has no setting of its own. */
export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 365;

/** A workspace's event store settings; a workspace without a row keeps the defaults. */
@Entity({ tableName: 'event_settings' })
export class EventSettings {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  /** Events older than this many days are purged (the retention service). */
  @Property({ type: 'integer' })
  retentionDays: number = DEFAULT_RETENTION_DAYS;

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
