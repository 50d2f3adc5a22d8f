import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';

/** Account-wide single sign-on and SCIM settings (one row per account, created on first change). */
@ObjectType({ description: 'Single sign-on and SCIM settings of an account.' })
@Entity({ tableName: 'sso_settings' })
export class SsoSettings {
  @Field(() => ID, { description: 'The account.' })
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @Field(() => Boolean, {
    description:
      'Users of the verified domains must sign in through an identity provider of the account; holders of bypass:sso (Owners) may still use a password.',
  })
  @Property({ type: 'boolean' })
  enforced: boolean = false;

  @Field(() => Boolean, {
    description:
      'The first SSO login of an unknown user of a verified domain creates the user and the membership.',
  })
  @Property({ type: 'boolean' })
  jitProvisioning: boolean = true;

  @Field(() => AccountRole, { description: 'Account role of members that SSO or SCIM creates.' })
  @Property({ type: 'string', length: 16 })
  jitAccountRole: AccountRole = AccountRole.MEMBER;

  @Property({ type: 'string', length: 64, nullable: true, unique: true })
  scimTokenHash?: string | null = null;

  @Property({ type: 'string', length: 4, nullable: true })
  scimTokenLast4?: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When the current SCIM token was issued.' })
  @Property({ type: 'Date', nullable: true })
  scimTokenCreatedAt?: Date | null = null;

  /** The bypass holders last published to the users subgraph (sso-policy.ts), sorted. */
  @Property({ type: 'json' })
  publishedBypass: string[] = [];

  /** The enforced domains last published, sorted. */
  @Property({ type: 'json' })
  publishedDomains: string[] = [];

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Field(() => String, {
    nullable: true,
    description: 'The SCIM token as shown after issue: its prefix and last four characters.',
  })
  get scimTokenMasked(): string | null {
    return this.scimTokenLast4 ? `fpscim_…${this.scimTokenLast4}` : null;
  }
}
