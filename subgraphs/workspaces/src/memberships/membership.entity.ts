import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';

/** Same name and values as the users subgraph's enum (an output-only enum, merged by composition). */
export enum PrincipalKind {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
}
registerEnumType(PrincipalKind, {
  name: 'PrincipalKind',
  description: 'What kind of actor a principal is.',
  valuesConfig: {
    USER: { description: 'A person.' },
    SERVICE_ACCOUNT: { description: 'A service account (workers, CI).' },
  },
});

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

  @Field(() => PrincipalKind, { description: 'Whether the member is a user or a service account.' })
  @Enum({ items: () => PrincipalKind, type: 'string' })
  principalType!: PrincipalKind;

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
