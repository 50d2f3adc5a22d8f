import { randomBytes, timingSafeEqual } from 'node:crypto';
import { requireSystem } from '../../../../lib/actor.js';
import type { EntityManager } from '@mikro-orm/core';
import * as oidcClient from 'openid-client';
import { isUuid } from '../../../../lib/db.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { sha256 } from '../../../../lib/secrets.js';
import { Team, TeamMember } from '../teams/team.entity.js';
import { PrincipalType } from '../common/principals.js';
import type { AccessContext } from '../context.js';
import { IdentityProvider, IdentityProviderKind } from './identity-provider.entity.js';
import { describeOidcError } from './oidc.js';
import { samlProviderOf, validateSamlResponse, SamlCheckError } from './saml.js';
import { SsoDomain } from './sso-domain.entity.js';
import { SsoLoginAttempt, SsoUsedAssertion } from './sso-login.entity.js';
import { defaultSettings, oidcSettingsOf } from './sso.service.js';
import { SsoSettings } from './sso-settings.entity.js';
import type {
  SsoBeginInput,
  SsoBeginResult,
  SsoCompleteInput,
  SsoLoginOutcome,
  SsoSyncTeamsInput,
} from './sso-login.types.js';

const ATTEMPT_TTL_MS = 10 * 60_000;

/** A refusal of a login, with the reason that is shown and audited. */
class LoginRefused extends Error {}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The protocol half of SSO logins, for the gateway's /auth/sso routes only (system principal):
 * begins a login (state, nonce, PKCE verifier or the SAML request id kept here, bound to the
 * browser), completes it (every check, once), and syncs mapped teams. Every refusal is audited
 * as `sso.login-failed` with its reason; the reason the browser sees never names settings.
 */
export class SsoLoginService {
  constructor(private readonly ctx: AccessContext) {
    requireSystem(ctx.principal);
  }

  async begin(input: SsoBeginInput): Promise<SsoBeginResult | null> {
    const em = this.ctx.em;
    if (!isUuid(input.accountId)) return null;
    const providers = await em.find(
      IdentityProvider,
      { accountId: input.accountId, enabled: true },
      { orderBy: { createdAt: 'asc' } },
    );
    const p = input.providerId ? providers.find((x) => x.id === input.providerId) : providers[0];
    if (!p) return null;
    const state = randomBytes(32).toString('base64url');
    const attempt = new SsoLoginAttempt();
    attempt.accountId = p.accountId;
    attempt.providerId = p.id;
    attempt.stateHash = sha256(state);
    attempt.browserHash = input.browserHash;
    attempt.returnTo = input.returnTo ?? null;
    attempt.expiresAt = new Date(Date.now() + ATTEMPT_TTL_MS);
    let redirectUrl: string;
    if (p.kind === IdentityProviderKind.OIDC) {
      const verifier = oidcClient.randomPKCECodeVerifier();
      attempt.nonce = oidcClient.randomNonce();
      attempt.codeVerifierSealed = this.ctx.sso.box.encrypt(verifier, attempt.id);
      redirectUrl = await this.ctx.sso.oidc.authorizationUrl(oidcSettingsOf(this.ctx.sso, p), {
        redirectUri: this.ctx.sso.redirectUrl(p.id),
        scope: p.oidcScopes,
        state,
        nonce: attempt.nonce,
        verifier,
      });
    } else {
      const sp = await samlProviderOf(this.ctx.sso, p);
      attempt.samlRequestId = sp.newRequestId();
      redirectUrl = await sp
        .saml({ expectedRequestId: attempt.samlRequestId })
        .getAuthorizeUrlAsync(state, undefined, {});
    }
    await this.ctx.transaction(async (tx) => {
      await tx.nativeDelete(SsoLoginAttempt, {
        expiresAt: { $lt: new Date(Date.now() - 3600_000) },
      });
      await tx.nativeDelete(SsoUsedAssertion, { expiresAt: { $lt: new Date() } });
      tx.persist(attempt);
    });
    return { redirectUrl, providerId: p.id, kind: p.kind };
  }

  async complete(input: SsoCompleteInput): Promise<SsoLoginOutcome> {
    const p = isUuid(input.providerId)
      ? await this.ctx.em.findOne(IdentityProvider, { id: input.providerId })
      : null;
    if (!p || !p.enabled) {
      const reason = 'Unknown or disabled identity provider';
      if (p) await this.failed(p.accountId, p.id, reason);
      return { ok: false, reason };
    }
    try {
      const identity =
        p.kind === IdentityProviderKind.OIDC
          ? await this.completeOidc(p, input)
          : await this.completeSaml(p, input);
      const settings =
        (await this.ctx.em.findOne(SsoSettings, { accountId: p.accountId })) ??
        defaultSettings(p.accountId);
      const email = (identity.email ?? '').trim().toLowerCase();
      if (!/^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/.test(email) || email.length > 254)
        throw new LoginRefused('the identity provider sent no usable email address');
      const domain = email.slice(email.lastIndexOf('@') + 1);
      const verified = await this.ctx.em.count(SsoDomain, {
        accountId: p.accountId,
        domain,
        verifiedAt: { $ne: null },
      });
      if (!verified) throw new LoginRefused(`${domain} is not a verified domain of this account`);
      return {
        ok: true,
        reason: null,
        accountId: p.accountId,
        providerId: p.id,
        email,
        name: identity.name,
        groups: identity.groups.slice(0, 500).map((g) => g.slice(0, 255)),
        returnTo: identity.returnTo,
        jitProvisioning: settings.jitProvisioning,
        jitAccountRole: settings.jitAccountRole,
      };
    } catch (err) {
      const reason =
        err instanceof LoginRefused || err instanceof SamlCheckError
          ? err.message
          : describeOidcError(err);
      await this.failed(p.accountId, p.id, reason);
      return { ok: false, reason, accountId: p.accountId, providerId: p.id };
    }
  }

  /** Records a refusal found by the gateway in a later step (membership, user). */
  async failed(
    accountId: string,
    providerId: string | null,
    reason: string,
    email?: string,
  ): Promise<boolean> {
    if (!isUuid(accountId)) return false;
    await this.ctx.transaction(async (em) => {
      recordEvent(em, 'sso.login-failed', {
        accountId,
        identityProviderId: providerId && isUuid(providerId) ? providerId : null,
        reason: reason.slice(0, 300),
        ...(email ? { email: email.slice(0, 254) } : {}),
      });
    });
    return true;
  }

  /**
   * Puts the user in the mapped teams of the groups the IdP sent and takes them out of the
   * mapped teams of groups it did not send (later logins keep the teams in step).
   */
  async syncTeams(input: SsoSyncTeamsInput): Promise<string[]> {
    if (!isUuid(input.providerId) || !isUuid(input.userId)) return [];
    return this.ctx.transaction(async (em) => {
      const p = await em.findOne(IdentityProvider, { id: input.providerId });
      if (!p) return [];
      const groups = new Set(input.groups);
      const managed = [...new Set(p.groupMappings.map((m) => m.teamId))];
      if (!managed.length) return [];
      const teams = await em.find(Team, { id: { $in: managed }, accountId: p.accountId });
      const wanted = new Set(
        p.groupMappings.filter((m) => groups.has(m.group)).map((m) => m.teamId),
      );
      const current = await em.find(TeamMember, {
        teamId: { $in: teams.map((t) => t.id) },
        principalId: input.userId,
      });
      const inTeam = new Set(current.map((m) => m.teamId));
      const changed: string[] = [];
      for (const t of teams) {
        if (wanted.has(t.id) && !inTeam.has(t.id)) {
          em.create(TeamMember, {
            teamId: t.id,
            accountId: p.accountId,
            principalType: PrincipalType.USER,
            principalId: input.userId,
          } as TeamMember);
          this.teamEvent(em, t, input.userId, 'added');
          changed.push(t.id);
        } else if (!wanted.has(t.id) && inTeam.has(t.id)) {
          em.remove(current.find((m) => m.teamId === t.id)!);
          this.teamEvent(em, t, input.userId, 'removed');
          changed.push(t.id);
        }
      }
      if (changed.length) recordEvent(em, 'grants.changed', { principalIds: [input.userId] });
      return [...wanted].filter((id) => teams.some((t) => t.id === id));
    });
  }

  private teamEvent(em: EntityManager, t: Team, userId: string, how: 'added' | 'removed'): void {
    const member = [{ principalId: userId, principalType: PrincipalType.USER }];
    recordEvent(em, 'team.members-changed', {
      teamId: t.id,
      accountId: t.accountId,
      added: how === 'added' ? member : [],
      removed: how === 'removed' ? member : [],
      via: 'sso',
    });
  }

  /** Finds the login by its state, takes it once, and checks it was started by this browser. */
  private async takeAttempt(
    p: IdentityProvider,
    state: string | null,
    browserHash: string,
  ): Promise<SsoLoginAttempt> {
    if (!state) throw new LoginRefused('state mismatch: the response carries no state');
    const attempt = await this.ctx.em.findOne(SsoLoginAttempt, {
      stateHash: sha256(state),
      providerId: p.id,
    });
    if (!attempt)
      throw new LoginRefused('state mismatch: no login of this provider has this state');
    const taken = await this.ctx.em.nativeUpdate(
      SsoLoginAttempt,
      { id: attempt.id, consumedAt: null },
      { consumedAt: new Date() },
    );
    if (!taken) throw new LoginRefused('this login was already completed (replayed response)');
    if (attempt.expiresAt.getTime() <= Date.now()) throw new LoginRefused('the login expired');
    if (!sameHash(attempt.browserHash, browserHash))
      throw new LoginRefused('state mismatch: the login was started in another browser');
    return attempt;
  }

  private async completeOidc(p: IdentityProvider, input: SsoCompleteInput) {
    const url = new URL(input.callbackUrl ?? '');
    const attempt = await this.takeAttempt(p, url.searchParams.get('state'), input.browserHash);
    const error = url.searchParams.get('error');
    if (error) throw new LoginRefused(`the identity provider answered ${error.slice(0, 100)}`);
    if (!attempt.codeVerifierSealed || !attempt.nonce)
      throw new LoginRefused('the login has no PKCE verifier');
    const verifier = this.ctx.sso.box.decrypt(attempt.codeVerifierSealed, attempt.id);
    if (!verifier) throw new LoginRefused('the login has no PKCE verifier');
    const claims = await this.ctx.sso.oidc.complete(oidcSettingsOf(this.ctx.sso, p), {
      callbackUrl: url.href,
      state: url.searchParams.get('state')!,
      nonce: attempt.nonce,
      verifier,
    });
    if (claims.emailVerified === false)
      throw new LoginRefused('the identity provider has not verified the email address');
    const raw = claims.claims[p.groupsClaim];
    const groups = (Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []).filter(
      (g): g is string => typeof g === 'string',
    );
    return { email: claims.email, name: claims.name, groups, returnTo: attempt.returnTo ?? null };
  }

  private async completeSaml(p: IdentityProvider, input: SsoCompleteInput) {
    if (!input.samlResponse) throw new LoginRefused('no SAMLResponse was posted');
    let attempt: SsoLoginAttempt | null = null;
    if (input.relayState) {
      attempt = await this.takeAttempt(p, input.relayState, input.browserHash);
    } else if (!p.samlAllowIdpInitiated) {
      throw new LoginRefused('unsolicited SAML response: IdP-initiated login is off');
    }
    const sp = await samlProviderOf(this.ctx.sso, p);
    const identity = await validateSamlResponse(
      sp,
      { expectedRequestId: attempt?.samlRequestId ?? null, requestedAt: attempt?.createdAt },
      this.ctx.sso,
      p.id,
      input.samlResponse,
      p.groupsClaim,
    );
    // One use per assertion id: a second post of the same assertion is a replay.
    const key = `${p.id}:${identity.assertionId}`.slice(0, 300);
    const fresh = await this.ctx.em
      .createQueryBuilder(SsoUsedAssertion)
      .insert({ key, expiresAt: identity.expiresAt })
      .onConflict('key')
      .ignore()
      .execute('run');
    if (!(fresh as { affectedRows?: number }).affectedRows)
      throw new LoginRefused('this SAML assertion was already used (replay)');
    return {
      email: identity.email,
      name: identity.name,
      groups: identity.groups,
      returnTo: attempt?.returnTo ?? null,
    };
  }
}
