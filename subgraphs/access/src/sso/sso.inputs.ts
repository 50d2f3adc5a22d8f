import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';
import { IdentityProviderKind } from './identity-provider.entity.js';

@InputType({ description: 'An identity provider group whose members join a team.' })
export class GroupMappingInput {
  @Field(() => String, { description: 'The group as the identity provider names it.' })
  group!: string;

  @Field(() => ID, { description: 'A team of the account.' })
  teamId!: string;
}

@InputType({ description: 'OpenID Connect settings.' })
export class OidcSettingsInput {
  @Field(() => String, { description: 'Issuer URL, e.g. https://acme.okta.com.' })
  issuer!: string;

  @Field(() => String, { description: 'Client id registered at the identity provider.' })
  clientId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Client secret (stored encrypted, never shown); omit for a public client.',
  })
  clientSecret?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Scopes, space-separated; default "openid email profile".',
  })
  scopes?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The ID token signing algorithm; default RS256. Only asymmetric ones.',
  })
  idTokenSigningAlg?: string | null;
}

@InputType({ description: 'SAML 2.0 settings.' })
export class SamlSettingsInput {
  @Field(() => String, { description: "The identity provider's entity id (Issuer)." })
  idpEntityId!: string;

  @Field(() => String, { description: "The identity provider's single sign-on URL." })
  ssoUrl!: string;

  @Field(() => [String], {
    description: 'PEM certificates the identity provider signs with (one or two, while rotating).',
  })
  idpCertificates!: string[];

  @Field(() => Boolean, {
    nullable: true,
    description: 'Take IdP-initiated (unsolicited) logins; default false.',
  })
  allowIdpInitiated?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'PEM private key that signs authentication requests (stored encrypted).',
  })
  spPrivateKey?: string | null;

  @Field(() => String, { nullable: true, description: 'PEM certificate of that key.' })
  spCertificate?: string | null;
}

@InputType({ description: 'A new identity provider (created disabled; test it, then enable it).' })
export class CreateIdentityProviderInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => IdentityProviderKind, { description: 'OIDC or SAML.' })
  kind!: IdentityProviderKind;

  @Field(() => String, { description: 'A name for people, 1 to 100 characters.' })
  name!: string;

  @Field(() => OidcSettingsInput, { nullable: true, description: 'Required for OIDC.' })
  oidc?: OidcSettingsInput | null;

  @Field(() => SamlSettingsInput, { nullable: true, description: 'Required for SAML.' })
  saml?: SamlSettingsInput | null;

  @Field(() => String, {
    nullable: true,
    description: 'Claim (OIDC) or attribute (SAML) holding group names; default "groups".',
  })
  groupsClaim?: string | null;

  @Field(() => [GroupMappingInput], {
    nullable: true,
    description: 'Groups whose members join teams (needs every permission the teams grant).',
  })
  groupMappings?: GroupMappingInput[] | null;
}

@InputType({ description: 'Changes to an identity provider; omitted fields stay.' })
export class UpdateIdentityProviderInput {
  @Field(() => ID, { description: 'The identity provider.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => OidcSettingsInput, {
    nullable: true,
    description: 'New OIDC settings (an omitted client secret keeps the stored one).',
  })
  oidc?: OidcSettingsInput | null;

  @Field(() => SamlSettingsInput, {
    nullable: true,
    description: 'New SAML settings (an omitted SP key keeps the stored one).',
  })
  saml?: SamlSettingsInput | null;

  @Field(() => String, { nullable: true, description: 'New groups claim or attribute.' })
  groupsClaim?: string | null;

  @Field(() => [GroupMappingInput], {
    nullable: true,
    description: 'New group mappings (replace the list).',
  })
  groupMappings?: GroupMappingInput[] | null;
}

@InputType({ description: 'Open or close sign-in through an identity provider.' })
export class SetIdentityProviderEnabledInput {
  @Field(() => ID, { description: 'The identity provider.' })
  id!: string;

  @Field(() => Boolean, { description: 'Whether sign-in through it is open.' })
  enabled!: boolean;
}

@ObjectType({ description: 'What a test of an identity provider found.' })
export class IdentityProviderTestResult {
  @Field(() => Boolean, { description: 'Whether the settings work as far as can be checked.' })
  ok!: boolean;

  @Field(() => String, { description: 'What was checked, or what failed.' })
  message!: string;
}

@InputType({ description: 'Account-wide single sign-on settings; omitted fields stay.' })
export class UpdateSsoSettingsInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Require SSO for users of the verified domains (password sessions of affected users end).',
  })
  enforced?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Create users and memberships on first SSO login.',
  })
  jitProvisioning?: boolean | null;

  @Field(() => AccountRole, {
    nullable: true,
    description: 'Account role of provisioned members (MEMBER or ADMIN).',
  })
  jitAccountRole?: AccountRole | null;
}

@InputType({ description: 'Check the DNS TXT record of a claimed domain.' })
export class VerifySsoDomainInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => String, { description: "A domain of the account's allowedSsoDomains setting." })
  domain!: string;
}

@ObjectType({ description: 'A new SCIM token: keep it, it is shown only now.' })
export class CreatedScimToken {
  @Field(() => String, { description: "Bearer token for the identity provider's SCIM client." })
  token!: string;

  @Field(() => String, { description: 'The SCIM base URL to configure with it.' })
  baseUrl!: string;
}
