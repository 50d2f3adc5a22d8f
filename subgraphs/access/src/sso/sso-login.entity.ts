import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One SP-initiated login between the start and the callback: bound to the browser that started
 * it (the hash of an HttpOnly cookie), to its provider, and usable once. PKCE verifier and nonce
 * (OIDC) or the AuthnRequest id (SAML, `InResponseTo`) stay here, never in the browser.
 */
@Entity({ tableName: 'sso_login_attempt' })
export class SsoLoginAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Property({ type: 'uuid' })
  providerId!: string;

  /** SHA-256 of the OIDC `state` / SAML RelayState. */
  @Property({ type: 'string', length: 64, unique: true })
  stateHash!: string;

  /** SHA-256 of the browser-binding cookie. */
  @Property({ type: 'string', length: 64 })
  browserHash!: string;

  @Property({ type: 'string', length: 128, nullable: true })
  nonce?: string | null = null;

  /** The PKCE code verifier, sealed (row id as AAD). */
  @Property({ type: 'text', nullable: true })
  codeVerifierSealed?: string | null = null;

  /** The SAML AuthnRequest id that the response must answer (InResponseTo). */
  @Property({ type: 'string', length: 128, nullable: true, index: true })
  samlRequestId?: string | null = null;

  @Property({ type: 'string', length: 2048, nullable: true })
  returnTo?: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', index: true })
  expiresAt!: Date;

  @Property({ type: 'Date', nullable: true })
  consumedAt?: Date | null = null;
}

/** SAML assertion ids already taken (replay cache), until the assertion itself expires. */
@Entity({ tableName: 'sso_used_assertion' })
export class SsoUsedAssertion {
  /** `<providerId>:<assertion id>`. */
  @PrimaryKey({ type: 'string', length: 300 })
  key!: string;

  @Property({ type: 'Date', index: true })
  expiresAt!: Date;
}

/**
 * The account memberships as the workspaces subgraph announces them (role and status): which
 * members hold bypass:sso through their built-in role (sso-policy.ts).
 */
@Entity({ tableName: 'sso_member' })
export class SsoMember {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @PrimaryKey({ type: 'uuid' })
  principalId!: string;

  @Property({ type: 'string', length: 16 })
  principalType!: string;

  @Property({ type: 'string', length: 16 })
  role!: string;

  @Property({ type: 'boolean' })
  active!: boolean;
}
