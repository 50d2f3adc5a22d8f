import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/** The DNS name an account publishes its verification token under. */
export const CHALLENGE_LABEL = '_flowplane-challenge';
export const TXT_PREFIX = 'flowplane-domain-verification=';

/**
 * An email domain an account claims (its `allowedSsoDomains` setting) and, once a DNS TXT record
 * proves it, owns: SSO logins of the account may only sign in users of its verified domains,
 * and enforcement applies to them.
 */
@ObjectType({ description: 'An email domain claimed by an account for single sign-on.' })
@Entity({ tableName: 'sso_domain' })
@Unique({ properties: ['accountId', 'domain'] })
export class SsoDomain {
  @Field(() => ID, { description: 'Claim id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => String, { description: 'The domain, lower-case.' })
  @Property({ type: 'string', length: 253, index: true })
  domain!: string;

  @Property({ type: 'string', length: 64 })
  token!: string;

  @Field(() => Date, { nullable: true, description: 'When its TXT record was last verified.' })
  @Property({ type: 'Date', nullable: true })
  verifiedAt?: Date | null = null;

  @Field(() => Date, { description: 'When it was claimed.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Boolean, { description: 'Whether the account proved it owns the domain.' })
  get verified(): boolean {
    return Boolean(this.verifiedAt);
  }

  @Field(() => String, { description: 'The DNS name of the TXT record to publish.' })
  get txtRecordName(): string {
    return `${CHALLENGE_LABEL}.${this.domain}`;
  }

  @Field(() => String, { description: 'The value of the TXT record to publish.' })
  get txtRecordValue(): string {
    return `${TXT_PREFIX}${this.token}`;
  }
}
