import {
  Arg,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { requireSystem } from '../../../../lib/actor.js';
import { isUuid } from '../../../../lib/db.js';
import type { AccessContext } from '../context.js';
import { Account } from '../tenancy/account.type.js';
import {
  IdentityProvider,
  IdentityProviderKind,
  OidcSettings,
  SamlSettings,
} from './identity-provider.entity.js';
import { fingerprintOf, spMetadataOf } from './saml.js';
import { SsoDomain } from './sso-domain.entity.js';
import { SsoLoginService } from './sso-login.service.js';
import {
  SsoBeginInput,
  SsoBeginResult,
  SsoCompleteInput,
  SsoFailureInput,
  SsoLoginOutcome,
  SsoSyncTeamsInput,
} from './sso-login.types.js';
import { SsoSettings } from './sso-settings.entity.js';
import {
  CreatedScimToken,
  CreateIdentityProviderInput,
  IdentityProviderTestResult,
  SetIdentityProviderEnabledInput,
  UpdateIdentityProviderInput,
  UpdateSsoSettingsInput,
  VerifySsoDomainInput,
} from './sso.inputs.js';
import { SsoService } from './sso.service.js';

@ObjectType({ description: 'What the DNS check of a claimed domain found.' })
export class VerifySsoDomainResult {
  @Field(() => SsoDomain, { description: 'The claim, verified or not.' })
  domain!: SsoDomain;

  @Field(() => Boolean, { description: 'Whether the TXT record proved the claim.' })
  verified!: boolean;

  @Field(() => String, { nullable: true, description: 'Why not: the record is missing or wrong.' })
  reason!: string | null;
}

@Resolver(() => IdentityProvider)
export class IdentityProviderResolver {
  @FieldResolver(() => OidcSettings, { nullable: true, description: 'OIDC settings (OIDC only).' })
  oidc(@Root() p: IdentityProvider, @Ctx() ctx: AccessContext): OidcSettings | null {
    if (p.kind !== IdentityProviderKind.OIDC) return null;
    return {
      issuer: p.oidcIssuer!,
      clientId: p.oidcClientId!,
      scopes: p.oidcScopes,
      idTokenSigningAlg: p.oidcIdTokenAlg,
      clientSecretSet: Boolean(p.oidcClientSecretSealed),
      redirectUrl: ctx.sso.redirectUrl(p.id),
    };
  }

  @FieldResolver(() => SamlSettings, { nullable: true, description: 'SAML settings (SAML only).' })
  saml(@Root() p: IdentityProvider, @Ctx() ctx: AccessContext): SamlSettings | null {
    if (p.kind !== IdentityProviderKind.SAML) return null;
    return {
      idpEntityId: p.samlIdpEntityId!,
      ssoUrl: p.samlSsoUrl!,
      idpCertificateFingerprints: p.samlIdpCertificates.map(fingerprintOf),
      allowIdpInitiated: p.samlAllowIdpInitiated,
      spEntityId: ctx.sso.metadataUrl(p.id),
      acsUrl: ctx.sso.acsUrl(p.id),
      metadataUrl: ctx.sso.metadataUrl(p.id),
      spSigningKeySet: Boolean(p.samlSpCertificate),
    };
  }

  @Mutation(() => IdentityProvider, {
    description: 'Add an identity provider, disabled (needs administrate:sso).',
  })
  createIdentityProvider(
    @Arg('input', () => CreateIdentityProviderInput) input: CreateIdentityProviderInput,
    @Ctx() ctx: AccessContext,
  ): Promise<IdentityProvider> {
    return new SsoService(ctx).create(input);
  }

  @Mutation(() => IdentityProvider, {
    description: "Change an identity provider's settings (needs administrate:sso).",
  })
  updateIdentityProvider(
    @Arg('input', () => UpdateIdentityProviderInput) input: UpdateIdentityProviderInput,
    @Ctx() ctx: AccessContext,
  ): Promise<IdentityProvider> {
    return new SsoService(ctx).update(input);
  }

  @Mutation(() => IdentityProvider, {
    description: 'Open or close sign-in through an identity provider (needs administrate:sso).',
  })
  setIdentityProviderEnabled(
    @Arg('input', () => SetIdentityProviderEnabledInput) input: SetIdentityProviderEnabledInput,
    @Ctx() ctx: AccessContext,
  ): Promise<IdentityProvider> {
    return new SsoService(ctx).setEnabled(input);
  }

  @Mutation(() => IdentityProviderTestResult, {
    description:
      "Check an identity provider's settings: OIDC discovery and keys, SAML certificates (needs administrate:sso).",
  })
  testIdentityProvider(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: AccessContext,
  ): Promise<IdentityProviderTestResult> {
    return new SsoService(ctx).test(id);
  }

  @Mutation(() => ID, {
    description: 'Delete an identity provider; returns its id (needs administrate:sso).',
  })
  deleteIdentityProvider(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: AccessContext,
  ): Promise<string> {
    return new SsoService(ctx).delete(id);
  }

  @Mutation(() => SsoSettings, {
    description:
      'Change enforcement and just-in-time provisioning (needs administrate:sso; turning enforcement on ends the password sessions of affected users).',
  })
  updateSsoSettings(
    @Arg('input', () => UpdateSsoSettingsInput) input: UpdateSsoSettingsInput,
    @Ctx() ctx: AccessContext,
  ): Promise<SsoSettings> {
    return new SsoService(ctx).updateSettings(input);
  }

  @Mutation(() => VerifySsoDomainResult, {
    description:
      "Look up a claimed domain's DNS TXT record and mark it verified when it holds the claim's value (needs administrate:sso).",
  })
  verifySsoDomain(
    @Arg('input', () => VerifySsoDomainInput) input: VerifySsoDomainInput,
    @Ctx() ctx: AccessContext,
  ): Promise<VerifySsoDomainResult> {
    return new SsoService(ctx).verifyDomain(input);
  }

  @Mutation(() => CreatedScimToken, {
    description:
      "Issue the account's SCIM bearer token, replacing any earlier one; shown once (needs administrate:sso).",
  })
  rotateScimToken(
    @Arg('accountId', () => ID) accountId: string,
    @Ctx() ctx: AccessContext,
  ): Promise<CreatedScimToken> {
    return new SsoService(ctx).rotateScimToken(accountId);
  }

  @Mutation(() => SsoSettings, {
    description: "Revoke the account's SCIM token (needs administrate:sso).",
  })
  revokeScimToken(
    @Arg('accountId', () => ID) accountId: string,
    @Ctx() ctx: AccessContext,
  ): Promise<SsoSettings> {
    return new SsoService(ctx).revokeScimToken(accountId);
  }

  @Directive('@inaccessible')
  @Mutation(() => SsoBeginResult, {
    nullable: true,
    description: 'Internal (gateway only): begin an SSO login; null without an enabled provider.',
  })
  _ssoBeginLogin(
    @Arg('input', () => SsoBeginInput) input: SsoBeginInput,
    @Ctx() ctx: AccessContext,
  ): Promise<SsoBeginResult | null> {
    return new SsoLoginService(ctx).begin(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => SsoLoginOutcome, {
    description: "Internal (gateway only): check an identity provider's answer.",
  })
  _ssoCompleteLogin(
    @Arg('input', () => SsoCompleteInput) input: SsoCompleteInput,
    @Ctx() ctx: AccessContext,
  ): Promise<SsoLoginOutcome> {
    return new SsoLoginService(ctx).complete(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => [ID], {
    description: "Internal (gateway only): put a user in its groups' mapped teams.",
  })
  _ssoSyncTeams(
    @Arg('input', () => SsoSyncTeamsInput) input: SsoSyncTeamsInput,
    @Ctx() ctx: AccessContext,
  ): Promise<string[]> {
    return new SsoLoginService(ctx).syncTeams(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, { description: 'Internal (gateway only): audit a refused SSO login.' })
  _ssoLoginFailed(
    @Arg('input', () => SsoFailureInput) input: SsoFailureInput,
    @Ctx() ctx: AccessContext,
  ): Promise<boolean> {
    return new SsoLoginService(ctx).failed(
      input.accountId,
      input.providerId ?? null,
      input.reason,
      input.email ?? undefined,
    );
  }

  @Directive('@inaccessible')
  @Query(() => String, {
    nullable: true,
    description: 'Internal (gateway only): the SP metadata XML of a SAML provider.',
  })
  async _ssoSpMetadata(
    @Arg('providerId', () => ID) providerId: string,
    @Ctx() ctx: AccessContext,
  ): Promise<string | null> {
    requireSystem(ctx.principal);
    const p = isUuid(providerId)
      ? await ctx.em.findOne(IdentityProvider, { id: providerId })
      : null;
    if (!p || p.kind !== IdentityProviderKind.SAML) return null;
    return spMetadataOf(ctx.sso, p);
  }
}

@Resolver(() => Account)
export class AccountSsoResolver {
  @FieldResolver(() => [IdentityProvider], {
    description: "The account's identity providers (needs read:sso).",
  })
  identityProviders(
    @Root() account: Account,
    @Ctx() ctx: AccessContext,
  ): Promise<IdentityProvider[]> {
    return new SsoService(ctx).listProviders(account.id);
  }

  @FieldResolver(() => SsoSettings, {
    description: "The account's single sign-on and SCIM settings (needs read:sso).",
  })
  ssoSettings(@Root() account: Account, @Ctx() ctx: AccessContext): Promise<SsoSettings> {
    return new SsoService(ctx).settings(account.id);
  }

  @FieldResolver(() => [SsoDomain], {
    description:
      'The email domains the account claims (its allowedSsoDomains setting), with their DNS verification (needs read:sso).',
  })
  ssoDomains(@Root() account: Account, @Ctx() ctx: AccessContext): Promise<SsoDomain[]> {
    return new SsoService(ctx).domains(account.id);
  }
}
