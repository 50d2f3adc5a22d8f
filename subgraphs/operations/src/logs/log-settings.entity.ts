import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Days a workspace keeps its log lines when it has no setting of its own. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const MAX_LOG_RETENTION_DAYS = 365;

/** A workspace's log settings; a workspace without a row keeps the defaults. */
@Entity({ tableName: 'log_settings' })
export class LogSettings {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  /** Lines whose timestamp is older than this many days are purged (the retention service). */
  @Property({ type: 'integer' })
  retentionDays: number = DEFAULT_LOG_RETENTION_DAYS;

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
