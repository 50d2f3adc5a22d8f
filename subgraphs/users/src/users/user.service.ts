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

export function requireUser(ctx: UsersContext): string {
  if (ctx.principal.type !== 'user') throw unauthenticated('Sign in as a user to do this');
  return ctx.principal.id;
}

/** Sign-up, sign-in, sign-out and the profile. */
export class UserService {
  constructor(private readonly ctx: UsersContext) {}

  async signUp(input: SignUpInput, userAgent?: string): Promise<AuthPayload> {
    const email = normalizeEmail(input.email);
    const handle = validateHandle(input.handle);
    validatePassword(input.password, email);
    const name = input.name ? validateName(input.name) : handle;
    const timezone = input.timezone ? validateTimezone(input.timezone) : 'UTC';
    // SSO enforcement (sso/sso.service.ts): users of an enforced domain are provisioned by SSO.
    await assertPasswordSignUpAllowed(this.ctx.em, email);
    const passwordHash = await argon2.hash(input.password, HASH_OPTIONS);
    const token = newCredential(SESSION_PREFIX);
    try {
      return await this.ctx.transaction(async (em) => {
        if (await em.count(User, { email }))
          throw conflict('email', 'An account with this email exists');
        if (await em.count(User, { handle })) throw conflict('handle', 'This handle is taken');
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
      if (err instanceof UniqueConstraintViolationException) {
        throw conflict('handle', 'This handle or email is taken');
      }
      throw err;
    }
  }

  async signIn(input: SignInInput, userAgent?: string): Promise<AuthPayload> {
    const email = input.email.trim().toLowerCase();
    const user = await this.ctx.em.findOne(User, { email }, { populate: ['passwordHash'] });
    dummyHash ??= argon2.hash(randomUUID(), HASH_OPTIONS);
    const ok = await argon2.verify(user?.passwordHash ?? (await dummyHash), input.password);
    if (!user || !ok) throw invalidCredentials();
    // SSO enforcement (sso/sso.service.ts): only holders of bypass:sso keep password sign-in.
    const ssoRequired = await ssoRequiredFor(this.ctx.em, user.email, user.id);
    if (ssoRequired) await refusePasswordSignIn(this.ctx, user, ssoRequired);
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
