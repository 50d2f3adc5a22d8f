import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum IdentityProviderKind {
  OIDC = 'OIDC',
  SAML = 'SAML',
}
registerEnumType(IdentityProviderKind, {
  name: 'IdentityProviderKind',
  description: 'The single sign-on protocol an identity provider speaks.',
  valuesConfig: {
    OIDC: { description: 'OpenID Connect (authorization code flow with PKCE).' },
    SAML: { description: 'SAML 2.0 (HTTP-POST binding, signed assertions).' },
  },
});

/** One IdP group (an OIDC `groups` value, a SAML attribute value) given the members of a team. */
@ObjectType({ description: 'An identity provider group whose members are put in a team.' })
export class GroupMapping {
  @Field(() => String, { description: 'The group as the identity provider names it.' })
  group!: string;

  @Field(() => ID, { description: 'The team its members join.' })
  teamId!: string;
}

/** The OIDC settings of a provider, without its client secret. */
@ObjectType({ description: 'OpenID Connect settings of an identity provider.' })
export class OidcSettings {
  @Field(() => String, { description: 'Issuer URL (its discovery document is read from it).' })
  issuer!: string;

  @Field(() => String, { description: 'Client id registered at the identity provider.' })
  clientId!: string;

  @Field(() => String, { description: 'Scopes asked for, space-separated.' })
  scopes!: string;

  @Field(() => Boolean, { description: 'Whether a client secret is stored (it is never shown).' })
  clientSecretSet!: boolean;

  @Field(() => String, {
    description: 'The algorithm ID tokens must be signed with (RS256, PS256, ES256, EdDSA, …).',
  })
  idTokenSigningAlg!: string;

  @Field(() => String, {
    description: 'Paste into the identity provider as the redirect (callback) URI.',
  })
  redirectUrl!: string;
}

/** The SAML settings of a provider and what the IdP needs to know about Flowplane. */
@ObjectType({ description: 'SAML 2.0 settings of an identity provider.' })
export class SamlSettings {
  @Field(() => String, { description: "The identity provider's entity id (Issuer)." })
  idpEntityId!: string;

  @Field(() => String, { description: "The identity provider's single sign-on URL (redirect)." })
  ssoUrl!: string;

  @Field(() => [String], {
    description: "SHA-256 fingerprints of the identity provider's signing certificates.",
  })
  idpCertificateFingerprints!: string[];

  @Field(() => Boolean, { description: 'Whether IdP-initiated (unsolicited) logins are taken.' })
  allowIdpInitiated!: boolean;

  @Field(() => String, { description: 'Paste into the identity provider as the SP entity id.' })
  spEntityId!: string;

  @Field(() => String, {
    description: 'Paste into the identity provider as the ACS (reply) URL, HTTP-POST binding.',
  })
  acsUrl!: string;

  @Field(() => String, { description: 'SP metadata XML for the identity provider to import.' })
  metadataUrl!: string;

  @Field(() => Boolean, {
    description: 'Whether an SP key signs the authentication requests (it is never shown).',
  })
  spSigningKeySet!: boolean;
}

/**
 * An account's identity provider. Secrets (the OIDC client secret, the SAML SP private key) are
 * columns sealed with SSO_ENCRYPTION_KEY, never fields.
 */
@ObjectType({ description: "An identity provider of an account's single sign-on." })
@Entity({ tableName: 'identity_provider' })
export class IdentityProvider {
  @Field(() => ID, { description: 'Identity provider id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => IdentityProviderKind, { description: 'OIDC or SAML.' })
  @Property({ type: 'string', length: 8 })
  kind!: IdentityProviderKind;

  @Field(() => String, { description: 'A name for people, e.g. "Okta".' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => Boolean, { description: 'Whether sign-in through it is open.' })
  @Property({ type: 'boolean' })
  enabled: boolean = false;

  @Property({ type: 'string', length: 2048, nullable: true })
  oidcIssuer?: string | null = null;

  @Property({ type: 'string', length: 255, nullable: true })
  oidcClientId?: string | null = null;

  @Property({ type: 'text', nullable: true })
  oidcClientSecretSealed?: string | null = null;

  @Property({ type: 'string', length: 500 })
  oidcScopes: string = 'openid email profile';

  /** The one asymmetric algorithm ID tokens must be signed with (never `none`, never HMAC). */
  @Property({ type: 'string', length: 8 })
  oidcIdTokenAlg: string = 'RS256';

  @Property({ type: 'string', length: 2048, nullable: true })
  samlIdpEntityId?: string | null = null;

  @Property({ type: 'string', length: 2048, nullable: true })
  samlSsoUrl?: string | null = null;

  /** PEM certificates the IdP signs with (several during a rotation). */
  @Property({ type: 'json' })
  samlIdpCertificates: string[] = [];

  @Property({ type: 'boolean' })
  samlAllowIdpInitiated: boolean = false;

  @Property({ type: 'text', nullable: true })
  samlSpPrivateKeySealed?: string | null = null;

  @Property({ type: 'text', nullable: true })
  samlSpCertificate?: string | null = null;

  @Field(() => String, {
    description:
      'Where group names are read: the ID token / userinfo claim (OIDC) or the assertion attribute (SAML).',
  })
  @Property({ type: 'string', length: 255 })
  groupsClaim: string = 'groups';

  @Field(() => [GroupMapping], { description: 'Groups whose members join a team.' })
  @Property({ type: 'json' })
  groupMappings: GroupMapping[] = [];

  @Field(() => Date, { nullable: true, description: 'When a test of the settings last passed.' })
  @Property({ type: 'Date', nullable: true })
  lastTestedAt?: Date | null = null;

  @Field(() => Date, { description: 'When it was added.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When its settings last changed.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
