import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { PermissionLevel } from '../permissions/permission.types.js';

/**
 * A role an account defines: its own permissions of one level, optionally on top of a built-in
 * role of that level. Stored without the inherited permissions, so that they follow the built-in
 * role as it changes (lib/permissions.ts `customRolePermissions`). Shown as `Role`.
 */
@Entity({ tableName: 'custom_role' })
@Unique({ properties: ['accountId', 'name'] })
export class CustomRole {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 500 })
  description: string = '';

  @Property({ type: 'string', length: 16 })
  level!: PermissionLevel;

  /** Permission names chosen for the role (without the inherited ones), sorted. */
  @Property({ type: 'json' })
  permissions: string[] = [];

  /** A built-in role of the same level, or null. */
  @Property({ type: 'string', length: 16, nullable: true })
  inheritsFrom: string | null = null;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
