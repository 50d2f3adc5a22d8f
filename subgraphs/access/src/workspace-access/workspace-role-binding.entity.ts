import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';
import type { PrincipalType } from '../common/principals.js';

export { PrincipalType } from '../common/principals.js';

/**
 * A workspace role given to one user, service account or team: a built-in role (`role`) or a
 * custom workspace role of the account (`roleId`), never both. Account Owners and Admins own
 * every workspace without a binding; bindings in accounts the principal is not an active member
 * of count for nothing (lib/grants.ts).
 */
@ObjectType('WorkspaceAccess', {
  description: 'A workspace role given to a user, a service account or a team.',
})
@Entity({ tableName: 'workspace_role_binding' })
@Unique({ properties: ['workspaceId', 'principalId'] })
export class WorkspaceRoleBinding {
  @Field(() => ID, { description: 'Binding id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  // Plain string columns, not @Enum: MikroORM 6.6 misreads SQLite check constraints of enums
  // with three or more values, so every schema diff would rebuild the table.
  @Property({ type: 'string', length: 16 })
  principalType!: PrincipalType;

  @Property({ type: 'uuid', index: true })
  principalId!: string;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'The built-in role given; null when a custom role is given (see customRole).',
  })
  @Property({ type: 'string', length: 16, nullable: true })
  role: WorkspaceRole | null = null;

  /** A custom workspace role of the account (custom_role.id), instead of `role`. */
  @Property({ type: 'uuid', nullable: true, index: true })
  roleId: string | null = null;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'When access was first given.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the role last changed.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
