import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import {
  ACTOR_KINDS,
  AccountRole,
  ActorType,
  type ActorKind,
} from '../../../../lib/graphql-enums.js';

/** A user's or service account's place in an account; deactivated rather than deleted when paused. */
@ObjectType({
  description: "A user's or service account's membership of an account, with its account role.",
})
@Entity({ tableName: 'account_membership' })
@Unique({ properties: ['accountId', 'principalId'] })
export class AccountMembership {
  @Field(() => ID, { description: 'Membership id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => ActorType, {
    description: 'Whether the member is a user or a service account (USER or SERVICE_ACCOUNT).',
  })
  @Enum({ items: [...ACTOR_KINDS], type: 'string' })
  principalType!: ActorKind;

  @Field(() => ID, { description: 'Id of the user or service account.' })
  @Property({ type: 'uuid', index: true })
  principalId!: string;

  // A plain string column, not @Enum: MikroORM 6.6 misreads SQLite check constraints of enums
  // with more than two values (a migration drift that never settles).
  @Field(() => AccountRole, { description: 'Account role.' })
  @Property({ type: 'string', length: 16 })
  role!: AccountRole;

  @Field(() => Boolean, {
    description: 'A deactivated member keeps the membership but gets no access.',
  })
  @Property({ type: 'boolean' })
  active: boolean = true;

  @Field(() => Date, { description: 'When the principal joined the account.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change of role or status.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
