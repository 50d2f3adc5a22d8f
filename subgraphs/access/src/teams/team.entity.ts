import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { PrincipalType } from '../common/principals.js';

/** A group of users and service accounts of one account; it can be given roles like a member. */
@ObjectType({
  description:
    'A group of users and service accounts of an account. Roles given to the team apply to every member.',
})
@Entity({ tableName: 'team' })
@Unique({ properties: ['accountId', 'name'] })
export class Team {
  @Field(() => ID, { description: 'Team id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => String, { description: 'Name, unique in the account.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => String, { description: 'What the team is for; may be empty.' })
  @Property({ type: 'string', length: 500 })
  description: string = '';

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'When the team was created.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the team last changed (not its members).' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** One user or service account in a team. */
@ObjectType({ description: 'A user or a service account in a team.' })
@Entity({ tableName: 'team_member' })
@Unique({ properties: ['teamId', 'principalId'] })
export class TeamMember {
  @Field(() => ID, { description: 'Team membership id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  teamId!: string;

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  /** USER or SERVICE_ACCOUNT. */
  @Property({ type: 'string', length: 16 })
  principalType!: PrincipalType;

  @Property({ type: 'uuid', index: true })
  principalId!: string;

  @Field(() => Date, { description: 'When the member was added.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
