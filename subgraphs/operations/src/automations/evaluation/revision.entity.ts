import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A counter per workspace, bumped by every change to its automations (cache invalidation). */
@Entity({ tableName: 'automation_revision' })
export class AutomationRevision {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'integer' })
  revision: number = 0;
}
