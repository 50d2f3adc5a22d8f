import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { PrincipalType } from '../common/principals.js';

/**
 * A custom account role given to a user, service account or team: it adds its permissions to
 * the member's built-in account role (never takes any away). One per principal and account.
 */
@ObjectType('AccountAccess', {
  description:
    'A custom account role given to a user, a service account or a team, on top of their built-in account role.',
})
@Entity({ tableName: 'account_role_binding' })
@Unique({ properties: ['accountId', 'principalId'] })
export class AccountRoleBinding {
  @Field(() => ID, { description: 'Binding id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'string', length: 16 })
  principalType!: PrincipalType;

  @Property({ type: 'uuid', index: true })
  principalId!: string;

  /** The custom account role (custom_role.id). */
  @Property({ type: 'uuid', index: true })
  roleId!: string;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'When the role was first given.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the role last changed.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
