import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

/** Who a binding is for. Shown in the schema as `user` or `serviceAccount`, not as an enum. */
export enum PrincipalType {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
}

/**
 * A workspace role given to one user or service account. Account Owners and Admins own every
 * workspace without a binding; bindings in accounts the principal is not an active member of
 * count for nothing (lib/grants.ts).
 */
@ObjectType('WorkspaceAccess', {
  description: 'A workspace role given to a user or a service account.',
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

  @Enum({ items: () => PrincipalType, type: 'string' })
  principalType!: PrincipalType;

  @Property({ type: 'uuid', index: true })
  principalId!: string;

  // A plain string column, not @Enum: MikroORM 6.6 misreads SQLite check constraints of enums
  // with three or more values, so every schema diff would rebuild the table.
  @Field(() => WorkspaceRole, { description: 'The role in the workspace.' })
  @Property({ type: 'string', length: 16 })
  role!: WorkspaceRole;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'When access was first given.' })
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the role last changed.' })
  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
