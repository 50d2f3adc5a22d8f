import { randomBytes } from 'node:crypto';
import { requireSystem } from '../../../../lib/actor.js';
import argon2 from 'argon2';
import type { EntityManager } from '@mikro-orm/core';
import { isUuid } from '../../../../lib/db.js';
import { badInput, forbidden, unauthenticated } from '../../../../lib/errors.js';
import { recordEvent, type ConsumerHandler } from '../../../../lib/outbox.js';
import { newCredential, sha256 } from '../../../../lib/secrets.js';
import type { UsersContext } from '../context.js';
import { Session } from '../sessions/session.entity.js';
import { User } from '../users/user.entity.js';
import type { AuthPayload } from '../users/user.inputs.js';
import { SsoBypass, SsoEnforcedDomain, SsoLoginCode } from './sso.entity.js';

export const SSO_CODE_PREFIX = 'fpssoc_';
const CODE_TTL_MS = 60_000;

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/**
 * The account that requires single sign-on of this email's domain, unless the user holds
 * bypass:sso there (the users subgraph's copy of access's `sso.policy-changed`).
 */
export async function ssoRequiredFor(
  em: EntityManager,
  email: string,
  userId: string | null,
): Promise<SsoEnforcedDomain | null> {
  const enforced = await em.findOne(SsoEnforcedDomain, { domain: domainOf(email) });
  if (!enforced) return null;
  if (userId && (await em.count(SsoBypass, { accountId: enforced.accountId, userId }))) return null;
  return enforced;
}

/** Password sign-in refused for a user whose domain enforces SSO (audited, then thrown). */
export async function refusePasswordSignIn(
  ctx: UsersContext,
  user: User,
  enforced: SsoEnforcedDomain,
): Promise<never> {
  await ctx.transaction(async (em) => {
    recordEvent(em, 'user.login-refused', {
      userId: user.id,
      accountId: enforced.accountId,
      method: 'password',
      reason: 'sso-required',
    });
  });
  const err = forbidden(
    'bypass:sso',
    `Single sign-on is required for ${enforced.domain}: sign in through your organisation's identity provider`,
  );
  Object.assign(err.extensions, { field: 'email', ssoRequired: true });
  throw err;
}

/** Sign-up with a password is refused for an enforced domain (SSO provisions those users). */
export async function assertPasswordSignUpAllowed(em: EntityManager, email: string): Promise<void> {
  const enforced = await ssoRequiredFor(em, email, null);
  if (enforced)
    throw badInput(
      'email',
      `Single sign-on is required for ${enforced.domain}: your user is created on your first sign-in through your organisation's identity provider`,
    );
}

async function freeUserHandle(em: EntityManager, email: string): Promise<string> {
  const stem =
    email
      .slice(0, email.indexOf('@'))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 30)
      .replace(/-+$/, '') || 'user';
  const base = stem.length >= 2 ? stem : `${stem}-user`;
  if (!(await em.count(User, { handle: base }))) return base;
  for (;;) {
    const candidate = `${base}-${randomBytes(4).toString('hex')}`;
    if (!(await em.count(User, { handle: candidate }))) return candidate;
  }
}

/** SSO logins: users found or provisioned by email, one-time codes, sessions. */
export class SsoSignInService {
  constructor(private readonly ctx: UsersContext) {}

  /** The user with this (verified) email; created when `create` and unknown. */
  async user(input: {
    email: string;
    name?: string | null;
    create: boolean;
    accountId: string;
  }): Promise<{ userId: string; created: boolean } | null> {
    requireSystem(this.ctx.principal);
    const email = input.email.trim().toLowerCase();
    const found = await this.ctx.em.findOne(User, { email });
    if (found) return { userId: found.id, created: false };
    if (!input.create || !isUuid(input.accountId)) return null;
    // No password: a random one nobody knows (sign-in works through the IdP only).
    const passwordHash = await argon2.hash(randomBytes(32).toString('base64url'), {
      type: argon2.argon2id,
    });
    return this.ctx.transaction(async (em) => {
      const again = await em.findOne(User, { email });
      if (again) return { userId: again.id, created: false };
      const handle = await freeUserHandle(em, email);
      const name = (input.name ?? '').trim().slice(0, 100) || handle;
      const user = em.create(User, { handle, name, email, passwordHash } as never) as User;
      recordEvent(em, 'user.provisioned', {
        userId: user.id,
        accountId: input.accountId,
        email,
        handle,
        via: 'sso',
      });
      return { userId: user.id, created: true };
    });
  }

  async issueCode(input: {
    userId: string;
    accountId: string;
    identityProviderId: string;
  }): Promise<string> {
    requireSystem(this.ctx.principal);
    const code = newCredential(SSO_CODE_PREFIX);
    await this.ctx.transaction(async (em) => {
      em.create(SsoLoginCode, {
        codeHash: sha256(code),
        userId: input.userId,
        accountId: input.accountId,
        identityProviderId: input.identityProviderId,
        expiresAt: new Date(Date.now() + CODE_TTL_MS),
      } as SsoLoginCode);
    });
    return code;
  }

  /** Trades a one-time code for a session token (once, within a minute of the login). */
  async exchange(code: string, userAgent?: string): Promise<AuthPayload> {
    const invalid = () => unauthenticated('Invalid, used or expired sign-in code');
    if (!code.startsWith(SSO_CODE_PREFIX) || code.length > 100) throw invalid();
    const codeHash = sha256(code);
    const taken = await this.ctx.em.nativeUpdate(
      SsoLoginCode,
      { codeHash, consumedAt: null, expiresAt: { $gt: new Date() } },
      { consumedAt: new Date() },
    );
    if (!taken) throw invalid();
    const row = await this.ctx.em.findOneOrFail(SsoLoginCode, { codeHash });
    const user = await this.ctx.em.findOne(User, { id: row.userId });
    if (!user) throw invalid();
    const token = newCredential('fpsess_');
    return this.ctx.transaction(async (em) => {
      const s = new Session();
      s.userId = user.id;
      s.tokenHash = sha256(token);
      s.userAgent = userAgent?.slice(0, 300) ?? null;
      s.method = 'SSO';
      s.ssoAccountId = row.accountId;
      s.expiresAt = new Date(Date.now() + this.ctx.settings.sessionTtlHours * 3600_000);
      em.persist(s);
      recordEvent(em, 'user.logged-in', {
        userId: user.id,
        sessionId: s.id,
        method: 'sso',
        accountId: row.accountId,
        identityProviderId: row.identityProviderId,
      });
      return { token, expiresAt: s.expiresAt, user };
    });
  }
}

async function revoke(em: EntityManager, sessions: Session[], reason: string): Promise<void> {
  const now = new Date();
  for (const s of sessions) {
    s.revokedAt = now;
    recordEvent(em, 'session.revoked', { userId: s.userId, sessionId: s.id, reason });
  }
}

interface PolicyChanged {
  accountId: string;
  domains: string[];
  bypassUserIds: string[];
}

/**
 * The users subgraph's side of SSO: the enforced domains and bypass holders of each account
 * (refusing password sign-in), ending the password sessions that enforcement makes invalid, and
 * the SSO sessions of a member the account deactivates or removes (SCIM deprovisioning).
 */
export const ssoConsumers: Record<string, ConsumerHandler> = {
  'sso.policy-changed': async (p: PolicyChanged, em) => {
    if (!isUuid(p.accountId) || !Array.isArray(p.domains)) return;
    await em.nativeDelete(SsoEnforcedDomain, { accountId: p.accountId });
    await em.nativeDelete(SsoBypass, { accountId: p.accountId });
    const bypass = new Set((p.bypassUserIds ?? []).filter(isUuid));
    for (const userId of bypass) em.create(SsoBypass, { accountId: p.accountId, userId });
    const domains: string[] = [];
    for (const domain of p.domains) {
      if (typeof domain !== 'string' || !/^[a-z0-9.-]{1,253}$/.test(domain)) continue;
      if (await em.count(SsoEnforcedDomain, { domain })) continue;
      em.create(SsoEnforcedDomain, { domain, accountId: p.accountId });
      domains.push(domain);
    }
    for (const domain of domains) {
      const users = await em.find(User, { email: { $like: `%@${domain}` } }, { fields: ['id'] });
      const affected = users.map((u) => u.id).filter((id) => !bypass.has(id));
      if (!affected.length) continue;
      const sessions = await em.find(Session, {
        userId: { $in: affected },
        method: 'PASSWORD',
        revokedAt: null,
        expiresAt: { $gt: new Date() },
      });
      await revoke(em, sessions, 'sso-enforced');
    }
  },
  'account-membership.updated': async (
    p: { accountId: string; principalId: string; active: boolean },
    em,
  ) => {
    if (p.active || !isUuid(p.accountId) || !isUuid(p.principalId)) return;
    await revokeSsoSessions(em, p.accountId, p.principalId);
  },
  'account-membership.removed': async (p: { accountId: string; principalId: string }, em) => {
    if (!isUuid(p.accountId) || !isUuid(p.principalId)) return;
    await revokeSsoSessions(em, p.accountId, p.principalId);
  },
};

async function revokeSsoSessions(em: EntityManager, accountId: string, userId: string) {
  const sessions = await em.find(Session, { userId, ssoAccountId: accountId, revokedAt: null });
  await revoke(em, sessions, 'deprovisioned');
}
