import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A non-person actor of one account (workers, CI); holds API keys and gets roles. */
@ObjectType({ description: 'A non-person actor that belongs to one account and holds API keys.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'service_account' })
export class ServiceAccount {
  @Field(() => ID, { description: 'Service account id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'The account it belongs to.' })
  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => String, { description: 'Name, unique within the account.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What it is for.' })
  @Property({ type: 'string', length: 500, nullable: true })
  description?: string | null = null;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  deletedAt?: Date | null = null;
}
