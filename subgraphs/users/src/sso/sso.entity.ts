import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The one-time code an SSO login hands the browser instead of a session token (a token never
 * travels in a URL): exchanged once, within a minute, through `exchangeSsoCode`.
 */
@Entity({ tableName: 'sso_login_code' })
export class SsoLoginCode {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 64, unique: true })
  codeHash!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'uuid' })
  identityProviderId!: string;

  @Property({ type: 'Date', index: true })
  expiresAt!: Date;

  @Property({ type: 'Date', nullable: true })
  consumedAt?: Date | null = null;
}

/** A domain whose users must sign in through an account's IdP (access's `sso.policy-changed`). */
@Entity({ tableName: 'sso_enforced_domain' })
export class SsoEnforcedDomain {
  @PrimaryKey({ type: 'string', length: 253 })
  domain!: string;

  @Property({ type: 'uuid', index: true })
  accountId!: string;
}

/** A user of an enforcing account who holds bypass:sso there (may still use a password). */
@Entity({ tableName: 'sso_bypass' })
export class SsoBypass {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @PrimaryKey({ type: 'uuid' })
  userId!: string;
}
