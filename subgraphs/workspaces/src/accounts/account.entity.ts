import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';

/** Account-wide settings, kept as columns of the account and shown as one object. */
@ObjectType({ description: 'Settings that apply to the whole account.' })
export class AccountSettings {
  @Field(() => Boolean, { description: 'Whether failed and crashed runs get AI error summaries.' })
  aiErrorSummaries!: boolean;

  @Field(() => [String], {
    description: 'Email domains claimed for single sign-on, e.g. "example.com".',
  })
  allowedSsoDomains!: string[];

  @Field(() => [String], {
    description: 'IP addresses or CIDR ranges allowed to call the API; empty allows all.',
  })
  ipAllowList!: string[];

  @Field(() => Int, { description: 'Days audit log entries are kept.' })
  auditRetentionDays!: number;
}

/** An organisation. Soft-deleted accounts (deletedAt) are invisible everywhere. */
@ObjectType({ description: 'An organisation: members, service accounts, roles and workspaces.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'account' })
export class Account {
  @Field(() => ID, { description: 'Account id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique, URL-safe handle.' })
  @Property({ type: 'string', length: 40, unique: true })
  handle!: string;

  @Field(() => String, { description: 'Display name.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'boolean' })
  aiErrorSummaries: boolean = false;

  @Property({ type: 'json' })
  allowedSsoDomains: string[] = [];

  @Property({ type: 'json' })
  ipAllowList: string[] = [];

  @Property({ type: 'integer' })
  auditRetentionDays: number = 365;

  @Field(() => Date, { description: 'When the account was created.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change of the account or its settings.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  deletedAt?: Date | null = null;

  @Field(() => AccountSettings, { description: 'Account-wide settings.' })
  get settings(): AccountSettings {
    return {
      aiErrorSummaries: this.aiErrorSummaries,
      allowedSsoDomains: this.allowedSsoDomains,
      ipAllowList: this.ipAllowList,
      auditRetentionDays: this.auditRetentionDays,
    };
  }
}
