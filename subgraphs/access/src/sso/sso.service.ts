import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import type { EntityManager } from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, conflict, notFound } from '../../../../lib/errors.js';
import { AccountRole } from '../../../../lib/graphql-enums.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { newCredential, sha256 } from '../../../../lib/secrets.js';
import { validateName } from '../../../../lib/validation.js';
import { accountRoleAuthority, assertMayHandOut } from '../../../../lib/hand-out.js';
import type { AccessContext } from '../context.js';
import { Team } from '../teams/team.entity.js';
import { assertHoldsTeamGrants } from '../teams/team.service.js';
import {
  IdentityProvider,
  IdentityProviderKind,
  type GroupMapping,
} from './identity-provider.entity.js';
import { ID_TOKEN_ALGS } from './oidc.js';
import { SsoDomain, TXT_PREFIX } from './sso-domain.entity.js';
import { SsoLoginAttempt } from './sso-login.entity.js';
import { publishPolicy } from './sso-policy.js';
import { SsoSettings } from './sso-settings.entity.js';
import type {
  CreatedScimToken,
  CreateIdentityProviderInput,
  GroupMappingInput,
  IdentityProviderTestResult,
  OidcSettingsInput,
  SamlSettingsInput,
  SetIdentityProviderEnabledInput,
  UpdateIdentityProviderInput,
  UpdateSsoSettingsInput,
  VerifySsoDomainInput,
} from './sso.inputs.js';
import { ssoRuntimeOf, type SsoRuntime } from './sso-runtime.js';
import { samlProviderOf, validateSamlCertificate } from './saml.js';

export const SCIM_TOKEN_PREFIX = 'fpscim_';
const MAX_MAPPINGS = 200;
const MAX_PROVIDERS = 10;

/** The settings row of an account, created with its defaults when missing. */
export async function settingsOf(em: EntityManager, accountId: string): Promise<SsoSettings> {
  const found = await em.findOne(SsoSettings, { accountId });
  if (found) return found;
  return em.create(SsoSettings, { accountId } as SsoSettings);
}

/** An unsaved settings row with the defaults, for accounts that never changed them. */
export function defaultSettings(accountId: string): SsoSettings {
  const s = new SsoSettings();
  s.accountId = accountId;
  return s;
}

function validateHttpUrl(value: string, field: string, insecureOk: boolean): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw badInput(field, 'Not a URL');
  }
  if (u.protocol !== 'https:' && !(insecureOk && u.protocol === 'http:'))
    throw badInput(field, 'Must be an https URL');
  if (u.username || u.password) throw badInput(field, 'Must not hold credentials');
  if (u.href.length > 2048) throw badInput(field, 'At most 2048 characters');
  return value.trim();
}

function validateCertificates(pems: string[], field: string): string[] {
  if (!pems.length || pems.length > 3) throw badInput(field, 'Give one to three certificates');
  return pems.map((pem) => {
    try {
      return validateSamlCertificate(pem);
    } catch {
      throw badInput(field, 'Not a PEM X.509 certificate');
    }
  });
}

/** Identity providers, SSO settings, domains and the SCIM token of an account (administrate:sso). */
export class SsoService {
  private readonly rt: SsoRuntime;
  constructor(private readonly ctx: AccessContext) {
    this.rt = ctx.sso;
  }

  listProviders(accountId: string): Promise<IdentityProvider[]> {
    authorize(this.ctx, 'read', 'SsoConfig', { accountId }, 'Account');
    return this.ctx.em.find(IdentityProvider, { accountId }, { orderBy: { createdAt: 'asc' } });
  }

  async settings(accountId: string): Promise<SsoSettings> {
    authorize(this.ctx, 'read', 'SsoConfig', { accountId }, 'Account');
    return (await this.ctx.em.findOne(SsoSettings, { accountId })) ?? defaultSettings(accountId);
  }

  domains(accountId: string): Promise<SsoDomain[]> {
    authorize(this.ctx, 'read', 'SsoConfig', { accountId }, 'Account');
    return this.ctx.em.find(SsoDomain, { accountId }, { orderBy: { domain: 'asc' } });
  }

  async create(input: CreateIdentityProviderInput): Promise<IdentityProvider> {
    const { accountId } = input;
    authorize(this.ctx, 'create', 'SsoConfig', { accountId }, 'Account');
    const name = validateName(input.name);
    return this.ctx.transaction(async (em) => {
      if ((await em.count(IdentityProvider, { accountId })) >= MAX_PROVIDERS)
        throw badInput('accountId', `An account has at most ${MAX_PROVIDERS} identity providers`);
      const p = em.create(IdentityProvider, {
        accountId,
        kind: input.kind,
        name,
        enabled: false,
      } as IdentityProvider);
      if (input.kind === IdentityProviderKind.OIDC) {
        if (!input.oidc) throw badInput('oidc', 'OIDC settings are required for an OIDC provider');
        if (input.saml) throw badInput('saml', 'An OIDC provider takes no SAML settings');
        this.applyOidc(p, input.oidc, true);
      } else {
        if (!input.saml) throw badInput('saml', 'SAML settings are required for a SAML provider');
        if (input.oidc) throw badInput('oidc', 'A SAML provider takes no OIDC settings');
        this.applySaml(p, input.saml, true);
      }
      if (input.groupsClaim != null)
        p.groupsClaim = validateName(input.groupsClaim, 'groupsClaim', 255);
      if (input.groupMappings)
        p.groupMappings = await this.validateMappings(em, accountId, input.groupMappings);
      recordEvent(em, 'identity-provider.created', {
        identityProviderId: p.id,
        accountId,
        kind: p.kind,
        name,
      });
      return p;
    });
  }

  async update(input: UpdateIdentityProviderInput): Promise<IdentityProvider> {
    return this.ctx.transaction(async (em) => {
      const p = await this.load(em, input.id, 'update');
      const fields: string[] = [];
      if (input.name != null) {
        p.name = validateName(input.name);
        fields.push('name');
      }
      if (input.oidc) {
        if (p.kind !== IdentityProviderKind.OIDC) throw badInput('oidc', 'Not an OIDC provider');
        this.applyOidc(p, input.oidc, false);
        fields.push('oidc');
      }
      if (input.saml) {
        if (p.kind !== IdentityProviderKind.SAML) throw badInput('saml', 'Not a SAML provider');
        this.applySaml(p, input.saml, false);
        fields.push('saml');
      }
      if (input.groupsClaim != null) {
        p.groupsClaim = validateName(input.groupsClaim, 'groupsClaim', 255);
        fields.push('groupsClaim');
      }
      if (input.groupMappings) {
        p.groupMappings = await this.validateMappings(em, p.accountId, input.groupMappings);
        fields.push('groupMappings');
      }
      if (fields.length) {
        p.updatedAt = new Date();
        recordEvent(em, 'identity-provider.updated', {
          identityProviderId: p.id,
          accountId: p.accountId,
          fields,
        });
      }
      return p;
    });
  }

  async setEnabled(input: SetIdentityProviderEnabledInput): Promise<IdentityProvider> {
    return this.ctx.transaction(async (em) => {
      const p = await this.load(em, input.id, 'update');
      if (p.enabled === input.enabled) return p;
      p.enabled = input.enabled;
      recordEvent(em, input.enabled ? 'identity-provider.enabled' : 'identity-provider.disabled', {
        identityProviderId: p.id,
        accountId: p.accountId,
      });
      return p;
    });
  }

  async delete(id: string): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const p = await this.load(em, id, 'delete');
      await em.nativeDelete(SsoLoginAttempt, { providerId: p.id });
      em.remove(p);
      recordEvent(em, 'identity-provider.deleted', {
        identityProviderId: p.id,
        accountId: p.accountId,
        name: p.name,
      });
      return p.id;
    });
  }

  /** Reads what can be read without a person signing in: discovery and JWKS, certificates. */
  async test(id: string): Promise<IdentityProviderTestResult> {
    const p = await this.load(this.ctx.em, id, 'update');
    let result: IdentityProviderTestResult;
    try {
      if (p.kind === IdentityProviderKind.OIDC) {
        await this.rt.oidc.test(oidcSettingsOf(this.rt, p));
        result = { ok: true, message: 'Discovery document and signing keys read' };
      } else {
        await samlProviderOf(this.rt, p);
        result = { ok: true, message: 'Certificates and URLs are valid' };
      }
    } catch (err) {
      result = { ok: false, message: String((err as Error).message ?? err).slice(0, 300) };
    }
    await this.ctx.transaction(async (em) => {
      if (result.ok)
        await em.nativeUpdate(IdentityProvider, { id: p.id }, { lastTestedAt: new Date() });
      recordEvent(em, 'identity-provider.tested', {
        identityProviderId: p.id,
        accountId: p.accountId,
        ok: result.ok,
        message: result.message,
      });
    });
    return result;
  }

  async updateSettings(input: UpdateSsoSettingsInput): Promise<SsoSettings> {
    const { accountId } = input;
    authorize(this.ctx, 'update', 'SsoConfig', { accountId }, 'Account');
    if (input.jitAccountRole != null) {
      if (input.jitAccountRole === AccountRole.OWNER)
        throw badInput('jitAccountRole', 'Provisioned members are MEMBER or ADMIN, never OWNER');
      // Nobody hands out more than they hold (lib/hand-out.ts): JIT members get this role.
      assertMayHandOut(this.ctx, accountRoleAuthority(accountId, input.jitAccountRole), {
        action: 'update',
        subject: 'SsoConfig',
      });
    }
    return this.ctx.transaction(async (em) => {
      const s = await settingsOf(em, accountId);
      const before = {
        enforced: s.enforced,
        jitProvisioning: s.jitProvisioning,
        jitAccountRole: s.jitAccountRole,
      };
      if (input.enforced != null && input.enforced !== s.enforced) {
        if (input.enforced) {
          if (!(await em.count(IdentityProvider, { accountId, enabled: true })))
            throw badInput('enforced', 'Enable an identity provider before enforcing SSO');
          if (!(await em.count(SsoDomain, { accountId, verifiedAt: { $ne: null } })))
            throw badInput('enforced', 'Verify a domain before enforcing SSO');
        }
        s.enforced = input.enforced;
      }
      if (input.jitProvisioning != null) s.jitProvisioning = input.jitProvisioning;
      if (input.jitAccountRole != null) s.jitAccountRole = input.jitAccountRole;
      const after = {
        enforced: s.enforced,
        jitProvisioning: s.jitProvisioning,
        jitAccountRole: s.jitAccountRole,
      };
      const fields = (Object.keys(after) as (keyof typeof after)[]).filter(
        (k) => after[k] !== before[k],
      );
      if (fields.length) {
        s.updatedAt = new Date();
        recordEvent(em, 'sso-settings.updated', { accountId, fields, before, after });
      }
      await em.flush();
      // Turned on, the policy is published once the workspaces subgraph has told every
      // membership of the account (account-members.snapshot), so no Owner is taken for a
      // password user meanwhile; anything else applies at once.
      if (!(fields.includes('enforced') && s.enforced)) await publishPolicy(em, accountId);
      return s;
    });
  }

  /** Looks the TXT record up (SSO_DNS_SERVERS) and marks the claim verified when it is there. */
  async verifyDomain(
    input: VerifySsoDomainInput,
  ): Promise<{ domain: SsoDomain; verified: boolean; reason: string | null }> {
    const { accountId } = input;
    authorize(this.ctx, 'update', 'SsoConfig', { accountId }, 'Account');
    const name = input.domain.trim().toLowerCase();
    const claim = await this.ctx.em.findOne(SsoDomain, { accountId, domain: name });
    if (!claim)
      throw badInput(
        'domain',
        "Not a claimed domain: add it to the account's allowedSsoDomains first",
      );
    const taken = await this.ctx.em.count(SsoDomain, {
      domain: name,
      verifiedAt: { $ne: null },
      accountId: { $ne: accountId },
    });
    if (taken) throw conflict('domain', 'Another account has verified this domain');
    const reason = await this.lookUp(claim);
    return this.ctx.transaction(async (em) => {
      const row = await em.findOneOrFail(SsoDomain, { id: claim.id });
      if (!reason) {
        row.verifiedAt = new Date();
        recordEvent(em, 'sso-domain.verified', { ssoDomainId: row.id, accountId, domain: name });
        await em.flush();
        await publishPolicy(em, accountId);
      } else {
        recordEvent(em, 'sso-domain.verification-failed', {
          ssoDomainId: row.id,
          accountId,
          domain: name,
          reason,
        });
      }
      return { domain: row, verified: !reason, reason };
    });
  }

  /** Null when the TXT record holds the claim's value; otherwise why not. */
  private async lookUp(claim: SsoDomain): Promise<string | null> {
    const resolver = new Resolver({ timeout: 3000, tries: 2 });
    if (this.rt.config.dnsServers.length) resolver.setServers(this.rt.config.dnsServers);
    let records: string[][];
    try {
      records = await resolver.resolveTxt(claim.txtRecordName);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENODATA' || code === 'ENOTFOUND'
        ? `No TXT record at ${claim.txtRecordName}`
        : `The DNS lookup of ${claim.txtRecordName} failed (${code ?? 'error'})`;
    }
    const values = records.map((chunks) => chunks.join(''));
    if (values.includes(claim.txtRecordValue)) return null;
    return values.some((v) => v.startsWith(TXT_PREFIX))
      ? `The TXT record at ${claim.txtRecordName} holds another verification value`
      : `No ${TXT_PREFIX}… TXT record at ${claim.txtRecordName}`;
  }

  async rotateScimToken(accountId: string): Promise<CreatedScimToken> {
    authorize(this.ctx, 'update', 'SsoConfig', { accountId }, 'Account');
    const token = newCredential(SCIM_TOKEN_PREFIX);
    await this.ctx.transaction(async (em) => {
      const s = await settingsOf(em, accountId);
      const replaced = Boolean(s.scimTokenHash);
      s.scimTokenHash = sha256(token);
      s.scimTokenLast4 = token.slice(-4);
      s.scimTokenCreatedAt = new Date();
      s.updatedAt = new Date();
      recordEvent(em, 'scim-token.rotated', { accountId, replaced });
    });
    return { token, baseUrl: this.rt.scimBaseUrl() };
  }

  async revokeScimToken(accountId: string): Promise<SsoSettings> {
    authorize(this.ctx, 'update', 'SsoConfig', { accountId }, 'Account');
    return this.ctx.transaction(async (em) => {
      const s = await settingsOf(em, accountId);
      if (s.scimTokenHash) {
        s.scimTokenHash = null;
        s.scimTokenLast4 = null;
        s.scimTokenCreatedAt = null;
        s.updatedAt = new Date();
        recordEvent(em, 'scim-token.revoked', { accountId });
      }
      return s;
    });
  }

  private applyOidc(p: IdentityProvider, o: OidcSettingsInput, creating: boolean): void {
    const insecure = this.rt.config.allowInsecureHttp;
    p.oidcIssuer = validateHttpUrl(o.issuer, 'oidc.issuer', insecure);
    const clientId = o.clientId.trim();
    if (!clientId || clientId.length > 255) throw badInput('oidc.clientId', '1 to 255 characters');
    p.oidcClientId = clientId;
    if (o.clientSecret != null) {
      if (o.clientSecret.length > 1000)
        throw badInput('oidc.clientSecret', 'At most 1000 characters');
      p.oidcClientSecretSealed = o.clientSecret ? this.rt.box.encrypt(o.clientSecret, p.id) : null;
    } else if (creating) p.oidcClientSecretSealed = null;
    if (o.scopes != null) {
      const scopes = o.scopes.trim().split(/\s+/).filter(Boolean);
      if (!scopes.includes('openid'))
        throw badInput('oidc.scopes', 'The scopes must include openid');
      if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) || o.scopes.length > 500)
        throw badInput('oidc.scopes', 'Not a list of scopes');
      p.oidcScopes = scopes.join(' ');
    }
    if (o.idTokenSigningAlg != null) {
      if (!(ID_TOKEN_ALGS as readonly string[]).includes(o.idTokenSigningAlg))
        throw badInput('oidc.idTokenSigningAlg', `One of ${ID_TOKEN_ALGS.join(', ')}`);
      p.oidcIdTokenAlg = o.idTokenSigningAlg;
    }
  }

  private applySaml(p: IdentityProvider, s: SamlSettingsInput, creating: boolean): void {
    const insecure = this.rt.config.allowInsecureHttp;
    const entityId = s.idpEntityId.trim();
    if (!entityId || entityId.length > 2048)
      throw badInput('saml.idpEntityId', '1 to 2048 characters');
    p.samlIdpEntityId = entityId;
    p.samlSsoUrl = validateHttpUrl(s.ssoUrl, 'saml.ssoUrl', insecure);
    p.samlIdpCertificates = validateCertificates(s.idpCertificates, 'saml.idpCertificates');
    if (s.allowIdpInitiated != null) p.samlAllowIdpInitiated = s.allowIdpInitiated;
    if (s.spPrivateKey != null || s.spCertificate != null || creating) {
      if (Boolean(s.spPrivateKey) !== Boolean(s.spCertificate))
        throw badInput(
          'saml.spCertificate',
          'Give the SP private key and its certificate together',
        );
      if (s.spPrivateKey && s.spCertificate) {
        let cert: X509Certificate;
        try {
          createPrivateKey(s.spPrivateKey);
        } catch {
          throw badInput('saml.spPrivateKey', 'Not a PEM private key');
        }
        try {
          cert = new X509Certificate(s.spCertificate);
        } catch {
          throw badInput('saml.spCertificate', 'Not a PEM X.509 certificate');
        }
        if (!cert.checkPrivateKey(createPrivateKey(s.spPrivateKey)))
          throw badInput('saml.spCertificate', 'The certificate is not of this private key');
        p.samlSpPrivateKeySealed = this.rt.box.encrypt(s.spPrivateKey, p.id);
        p.samlSpCertificate = cert.toString();
      } else {
        p.samlSpPrivateKeySealed = null;
        p.samlSpCertificate = null;
      }
    }
  }

  /**
   * Mapped teams must be teams of the account, and mapping a group to a team hands out what the
   * team grants: the caller must hold all of it (hand-out.ts).
   */
  private async validateMappings(
    em: EntityManager,
    accountId: string,
    mappings: GroupMappingInput[],
  ): Promise<GroupMapping[]> {
    if (mappings.length > MAX_MAPPINGS)
      throw badInput('groupMappings', `At most ${MAX_MAPPINGS} mappings`);
    const out: GroupMapping[] = [];
    const seen = new Set<string>();
    for (const m of mappings) {
      const group = m.group.trim();
      if (!group || group.length > 255)
        throw badInput('groupMappings', 'A group is 1 to 255 characters');
      if (!isUuid(m.teamId)) throw badInput('groupMappings', 'Not a valid team id');
      const key = `${group}\n${m.teamId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ group, teamId: m.teamId });
    }
    const teamIds = [...new Set(out.map((m) => m.teamId))];
    if (!teamIds.length) return out;
    const found = await em.count(Team, { id: { $in: teamIds }, accountId });
    if (found !== teamIds.length)
      throw badInput('groupMappings', 'No team with this id in the account');
    // Mapped groups put people in these teams: the caller must hold what they grant.
    await assertHoldsTeamGrants(this.ctx, em, accountId, teamIds, {
      action: 'update',
      subject: 'SsoConfig',
    });
    return out;
  }

  private async load(
    em: EntityManager,
    id: string,
    action: 'update' | 'delete',
  ): Promise<IdentityProvider> {
    const p = isUuid(id) ? await em.findOne(IdentityProvider, { id }) : null;
    if (!p) throw notFound('Identity provider');
    authorize(this.ctx, action, 'SsoConfig', { accountId: p.accountId }, 'Identity provider');
    return p;
  }
}

/** The OIDC settings of a provider with its secret unsealed (access only, never returned). */
export function oidcSettingsOf(rt: SsoRuntime, p: IdentityProvider) {
  return {
    id: p.id,
    issuer: p.oidcIssuer!,
    clientId: p.oidcClientId!,
    clientSecret: p.oidcClientSecretSealed ? rt.box.decrypt(p.oidcClientSecretSealed, p.id) : null,
    idTokenAlg: p.oidcIdTokenAlg,
    version: p.updatedAt.toISOString(),
  };
}

export { ssoRuntimeOf };
