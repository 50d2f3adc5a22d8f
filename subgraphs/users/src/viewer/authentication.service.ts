import { requireSystem } from '../../../../lib/actor.js';
import { ApiKey } from '../api-keys/api-key.entity.js';
import type { UsersContext } from '../context.js';
import { ServiceAccount } from '../service-accounts/service-account.entity.js';
import { Session } from '../sessions/session.entity.js';
import { User } from '../users/user.entity.js';
import type { ResolvedPrincipal } from './viewer.types.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

/** lastUsedAt is written at most once a minute per credential. */
const TOUCH_EVERY_MS = 60_000;

/** Resolves a credential's SHA-256 to its principal, for the gateway only. */
export class AuthenticationService {
  constructor(private readonly ctx: UsersContext) {}

  async resolve(credentialHash: string): Promise<ResolvedPrincipal | null> {
    requireSystem(this.ctx.principal);
    const em = this.ctx.em;
    const now = new Date();
    const session = await em.findOne(Session, { tokenHash: credentialHash });
    if (session) {
      if (session.revokedAt || session.expiresAt <= now) return null;
      const user = await em.findOne(User, { id: session.userId });
      if (!user) return null;
      await this.touch(Session, session.id, session.lastUsedAt, now);
      return {
        type: 'user',
        id: user.id,
        sessionId: session.id,
        email: user.email,
        expiresAt: session.expiresAt,
      };
    }
    const key = await em.findOne(ApiKey, { hash: credentialHash });
    if (!key || !key.active) return null;
    if (key.ownerType === ActorType.SERVICE_ACCOUNT) {
      const sa = await em.findOne(ServiceAccount, { id: key.serviceAccountId!, deletedAt: null });
      if (!sa) return null;
      await this.touch(ApiKey, key.id, key.lastUsedAt, now);
      return {
        type: 'service_account',
        id: sa.id,
        accountId: sa.accountId,
        apiKeyId: key.id,
        expiresAt: key.expiresAt,
      };
    }
    const user = await em.findOne(User, { id: key.userId! });
    if (!user) return null;
    await this.touch(ApiKey, key.id, key.lastUsedAt, now);
    return {
      type: 'user',
      id: user.id,
      apiKeyId: key.id,
      email: user.email,
      expiresAt: key.expiresAt,
    };
  }

  private async touch(
    entity: typeof Session | typeof ApiKey,
    id: string,
    last: Date | null | undefined,
    now: Date,
  ): Promise<void> {
    if (last && now.getTime() - last.getTime() < TOUCH_EVERY_MS) return;
    await this.ctx.em.nativeUpdate(entity, { id }, { lastUsedAt: now });
  }
}
