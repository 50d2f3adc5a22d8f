import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Days a workspace keeps its finished flow runs when it has no setting of its own. */
export const DEFAULT_FLOW_RUN_RETENTION_DAYS = 30;
export const MAX_FLOW_RUN_RETENTION_DAYS = 365;

/** A workspace's flow-run settings; a workspace without a row keeps the defaults. */
@Entity({ tableName: 'flow_run_settings' })
export class FlowRunSettings {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  /**
   * Runs in a terminal state that ended more than this many days ago are purged with what hangs
   * off them (the retention service).
   */
  @Property({ type: 'integer' })
  retentionDays: number = DEFAULT_FLOW_RUN_RETENTION_DAYS;

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
