import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { isUuid } from '../../../../lib/db.js';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { badInput, conflict, notFound, unauthenticated } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { newCredential, sha256, SESSION_PREFIX } from '../../../../lib/secrets.js';
import {
  normalizeEmail,
  validateHandle,
  validateName,
  validatePassword,
  validateTimezone,
  validateUrl,
} from '../../../../lib/validation.js';
import type { UsersContext } from '../context.js';
import { Session } from '../sessions/session.entity.js';
import { SignInThrottle, type AttemptTally } from './sign-in-throttle.js';
import { User } from './user.entity.js';
import type { AuthPayload, SignInInput, SignUpInput, UpdateProfileInput } from './user.inputs.js';
import {
  assertPasswordSignUpAllowed,
  refusePasswordSignIn,
  ssoRequiredFor,
} from '../sso/sso.service.js';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;
/** Verified against when the email is unknown, so both answers take as long. */
let dummyHash: Promise<string> | undefined;
const dummyPasswordHash = () => (dummyHash ??= argon2.hash(randomUUID(), HASH_OPTIONS));

export function requireUser(ctx: UsersContext): string {
  if (ctx.principal.type !== 'user') throw unauthenticated('Sign in as a user to do this');
  return ctx.principal.id;
}

/** Sign-up, sign-in, sign-out and the profile. */
export class UserService {
  constructor(private readonly ctx: UsersContext) {}

  /**
   * Creates a user and signs them in. Whether an email is registered is not said: the owner
   * signing up again (their password) is signed in, as a sign-up would be; anyone else gets the
   * answer of a wrong password, counted by the sign-in throttle and audited in the owner's
   * accounts. A taken handle (public anyway) is answered first, alike for both.
   */
  async signUp(input: SignUpInput, userAgent?: string): Promise<AuthPayload> {
    const email = normalizeEmail(input.email);
    const handle = validateHandle(input.handle);
    validatePassword(input.password, email);
    const name = input.name ? validateName(input.name) : handle;
    const timezone = input.timezone ? validateTimezone(input.timezone) : 'UTC';
    // SSO enforcement (sso/sso.service.ts): users of an enforced domain are provisioned by SSO.
    await assertPasswordSignUpAllowed(this.ctx.em, email);
    const guard = this.guard(email);
    await guard.check();
    const existing = await this.ctx.em.findOne(User, { email }, { populate: ['passwordHash'] });
    // Verified in both cases, so both answers take as long.
    const owner = await argon2.verify(
      existing?.passwordHash ?? (await dummyPasswordHash()),
      input.password,
    );
    if (existing && owner) return this.startSession(existing, userAgent);
    if (await this.ctx.em.count(User, { handle })) throw conflict('handle', 'This handle is taken');
    if (existing) return guard.fail(existing.id, 'sign-up');
    const passwordHash = await argon2.hash(input.password, HASH_OPTIONS);
    const token = newCredential(SESSION_PREFIX);
    try {
      return await this.ctx.transaction(async (em) => {
        const user = em.create(User, { handle, name, email, timezone, passwordHash } as never);
        const session = this.newSession(user.id, token, userAgent);
        em.persist(session);
        // The account is provisioned by the workspaces subgraph from this event; its id is
        // fixed here so that a replayed event can only ever create this one account.
        recordEvent(em, 'user.signed-up', {
          userId: user.id,
          accountId: randomUUID(),
          handle,
          name,
          email,
        });
        recordEvent(em, 'user.logged-in', {
          userId: user.id,
          sessionId: session.id,
          method: 'password',
        });
        return { token, expiresAt: session.expiresAt, user };
      });
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      // Someone took the handle or the email a moment ago: answered as above.
      if (await this.ctx.em.fork().count(User, { email })) throw invalidCredentials();
      throw conflict('handle', 'This handle is taken');
    }
  }

  /** Email and password; throttled per email and address (RATE_LIMITED with Retry-After). */
  async signIn(input: SignInInput, userAgent?: string): Promise<AuthPayload> {
    const email = input.email.trim().toLowerCase();
    const guard = this.guard(email);
    await guard.check();
    const user = await this.ctx.em.findOne(User, { email }, { populate: ['passwordHash'] });
    const ok = await argon2.verify(
      user?.passwordHash ?? (await dummyPasswordHash()),
      input.password,
    );
    if (!user || !ok) return guard.fail(user?.id ?? null, 'sign-in');
    // SSO enforcement (sso/sso.service.ts): only holders of bypass:sso keep password sign-in.
    const ssoRequired = await ssoRequiredFor(this.ctx.em, user.email, user.id);
    if (ssoRequired) await refusePasswordSignIn(this.ctx, user, ssoRequired);
    return this.startSession(user, userAgent);
  }

  /**
   * The throttle for one email from the caller's address, with its audit: failures and refused
   * attempts are counted, and `user.sign-in-failed` is recorded for a registered email at the
   * 1st, 10th, 100th … attempt from one address in a window (with the count), so guessing
   * cannot flood the log.
   */
  private guard(email: string) {
    const throttle = new SignInThrottle(this.ctx.counters, this.ctx.settings.signIn);
    // Emails as keys, hashed: bounded length, and no address list in Redis.
    const key = sha256(email).slice(0, 32);
    const ip = this.ctx.client.ip ?? 'unknown';
    const record = async (userId: string | null, tally: AttemptTally, via: string) => {
      if (!tally.record) return;
      const id = userId ?? (await this.ctx.em.findOne(User, { email }, { fields: ['id'] }))?.id;
      if (!id) return;
      await this.ctx.transaction(async (em) => {
        recordEvent(em, 'user.sign-in-failed', {
          userId: id,
          via,
          count: tally.count,
          windowStart: tally.windowStart.toISOString(),
          windowSeconds: tally.windowSeconds,
          throttled: via === 'throttled',
        });
      });
    };
    return {
      check: async (): Promise<void> => {
        try {
          await throttle.check(key, ip);
        } catch (err) {
          await record(null, await throttle.refused(key, ip), 'throttled');
          throw err;
        }
      },
      fail: async (userId: string | null, via: string): Promise<never> => {
        await record(userId, await throttle.failed(key, ip), via);
        throw invalidCredentials();
      },
    };
  }

  private async startSession(user: User, userAgent?: string): Promise<AuthPayload> {
    const token = newCredential(SESSION_PREFIX);
    const session = this.newSession(user.id, token, userAgent);
    await this.ctx.transaction(async (em) => {
      em.persist(session);
      recordEvent(em, 'user.logged-in', {
        userId: user.id,
        sessionId: session.id,
        method: 'password',
      });
    });
    return { token, expiresAt: session.expiresAt, user };
  }

  async signOut(): Promise<boolean> {
    const userId = requireUser(this.ctx);
    const sessionId = this.ctx.principal.sessionId;
    if (!sessionId)
      throw badInput('authorization', 'Sign out ends a session; this request used an API key');
    await this.ctx.transaction(async (em) => {
      const session = await em.findOne(Session, { id: sessionId, userId });
      if (session && !session.revokedAt) session.revokedAt = new Date();
      recordEvent(em, 'session.revoked', { userId, sessionId, reason: 'signed-out' });
      recordEvent(em, 'user.logged-out', { userId, sessionId });
    });
    return true;
  }

  /**
   * A user's profile, for the user themself and for whoever shares an account with them (a
   * member or service account of one of the user's accounts), resolved in SQL from the
   * membership projection; NOT_FOUND for anyone else, anonymous callers included.
   */
  async get(id: string): Promise<User> {
    if (!isUuid(id)) throw notFound('User');
    const p = this.ctx.principal;
    if (p.type === 'system' || (p.type === 'user' && p.id === id)) {
      const user = await this.ctx.loaders.userById.load(id);
      if (!user) throw notFound('User');
      return user;
    }
    const accounts = [
      ...new Set([
        ...Object.keys(this.ctx.grants.accounts),
        ...Object.values(this.ctx.grants.workspaces).map((g) => g.accountId),
      ]),
    ].filter(isUuid);
    if (!accounts.length) throw notFound('User');
    const shared = this.ctx.em
      .getKnex()('user_membership as um')
      .select('um.user_id')
      .where('um.user_id', id)
      .whereIn('um.account_id', accounts);
    const user = await this.ctx.em.findOne(User, { id: { $in: shared as never } });
    if (!user) throw notFound('User');
    return user;
  }

  async me(): Promise<User> {
    const userId = requireUser(this.ctx);
    const user = await this.ctx.loaders.userById.load(userId);
    if (!user) throw unauthenticated('The signed-in user no longer exists');
    return user;
  }

  async updateProfile(input: UpdateProfileInput): Promise<User> {
    const userId = requireUser(this.ctx);
    const changes: Partial<User> = {};
    if (input.handle != null) changes.handle = validateHandle(input.handle);
    if (input.name != null) changes.name = validateName(input.name);
    if (input.imageUrl != null)
      changes.imageUrl = input.imageUrl === '' ? null : validateUrl(input.imageUrl, 'imageUrl');
    if (input.timezone != null) changes.timezone = validateTimezone(input.timezone);
    if (input.colorMode != null) changes.colorMode = input.colorMode;
    try {
      return await this.ctx.transaction(async (em) => {
        const user = await em.findOne(User, { id: userId });
        if (!user) throw notFound('User');
        if (
          changes.handle &&
          changes.handle !== user.handle &&
          (await em.count(User, { handle: changes.handle }))
        ) {
          throw conflict('handle', 'This handle is taken');
        }
        const before = {
          handle: user.handle,
          name: user.name,
          timezone: user.timezone,
          colorMode: user.colorMode,
        };
        em.assign(user, changes);
        recordEvent(em, 'user.updated', { userId, fields: Object.keys(changes), before });
        return user;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException)
        throw conflict('handle', 'This handle is taken');
      throw err;
    }
  }

  async sessions(): Promise<Session[]> {
    const userId = requireUser(this.ctx);
    const rows = await this.ctx.em.find(
      Session,
      { userId, revokedAt: null, expiresAt: { $gt: new Date() } },
      { orderBy: { createdAt: 'desc' } },
    );
    for (const s of rows) s.current = s.id === this.ctx.principal.sessionId;
    return rows;
  }

  async revokeSession(id: string): Promise<Session> {
    const userId = requireUser(this.ctx);
    if (!isUuid(id)) throw notFound('Session');
    return this.ctx.transaction(async (em) => {
      const session = await em.findOne(Session, { id, userId });
      if (!session) throw notFound('Session');
      if (!session.revokedAt) {
        session.revokedAt = new Date();
        recordEvent(em, 'session.revoked', { userId, sessionId: id, reason: 'revoked' });
      }
      return session;
    });
  }

  private newSession(userId: string, token: string, userAgent?: string): Session {
    const s = new Session();
    s.userId = userId;
    s.tokenHash = sha256(token);
    s.userAgent = userAgent?.slice(0, 300) ?? null;
    s.expiresAt = new Date(Date.now() + this.ctx.settings.sessionTtlHours * 3600_000);
    return s;
  }
}

function invalidCredentials() {
  const err = unauthenticated('Invalid email or password');
  (err.extensions as Record<string, unknown>).field = 'password';
  return err;
}
