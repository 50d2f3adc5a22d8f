import type { EntityManager } from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, notFound } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import {
  newCredential,
  SERVICE_KEY_PREFIX,
  sha256,
  USER_KEY_PREFIX,
} from '../../../../lib/secrets.js';
import { validateFuture, validateName } from '../../../../lib/validation.js';
import type { UsersContext } from '../context.js';
import { assertHoldsServiceAccount } from '../service-accounts/service-account-authority.js';
import { ServiceAccount } from '../service-accounts/service-account.entity.js';
import { requireUser } from '../users/user.service.js';
import { ApiKey } from './api-key.entity.js';
import type { CreateApiKeyInput, CreatedApiKey, RotateKeyInput } from './api-key.inputs.js';
import { ActorType, type ActorKind } from '../../../../lib/graphql-enums.js';

export const MAX_GRACE_HOURS = 48;

/** Mints a key row and its plaintext; the plaintext leaves this function only in the answer. */
export function mintKey(
  em: EntityManager,
  owner: { type: ActorKind; userId?: string; serviceAccountId?: string; accountId?: string },
  name: string,
  expiresAt: Date | null,
): CreatedApiKey {
  const prefix = owner.type === ActorType.USER ? USER_KEY_PREFIX : SERVICE_KEY_PREFIX;
  const key = newCredential(prefix);
  const apiKey = new ApiKey();
  apiKey.name = name;
  apiKey.ownerType = owner.type;
  apiKey.userId = owner.userId ?? null;
  apiKey.serviceAccountId = owner.serviceAccountId ?? null;
  apiKey.accountId = owner.accountId ?? null;
  apiKey.hash = sha256(key);
  apiKey.prefix = prefix;
  apiKey.last4 = key.slice(-4);
  apiKey.expiresAt = expiresAt;
  em.persist(apiKey);
  recordEvent(em, 'api-key.created', {
    apiKeyId: apiKey.id,
    ownerType: owner.type,
    userId: owner.userId ?? null,
    serviceAccountId: owner.serviceAccountId ?? null,
    accountId: owner.accountId ?? null,
    name,
  });
  return { key, apiKey };
}

/** Personal keys and service-account key rotation. */
export class ApiKeyService {
  constructor(private readonly ctx: UsersContext) {}

  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const userId = requireUser(this.ctx);
    const name = validateName(input.name, 'name');
    const expiresAt = validateFuture(input.expiresAt, 'expiresAt');
    return this.ctx.transaction(async (em) =>
      mintKey(em, { type: ActorType.USER, userId }, name, expiresAt),
    );
  }

  async listMine(): Promise<ApiKey[]> {
    const userId = requireUser(this.ctx);
    return this.ctx.em.find(ApiKey, { userId }, { orderBy: { createdAt: 'desc' } });
  }

  async revoke(id: string): Promise<ApiKey> {
    if (!isUuid(id)) throw notFound('API key');
    return this.ctx.transaction(async (em) => {
      const key = await em.findOne(ApiKey, { id });
      if (!key) throw notFound('API key');
      if (key.ownerType === ActorType.USER) {
        if (this.ctx.principal.type !== 'user' || key.userId !== this.ctx.principal.id)
          throw notFound('API key');
      } else {
        authorize(this.ctx, 'update', 'ServiceAccount', { accountId: key.accountId! }, 'API key');
        // Revoking a service account's key stops whatever it runs: not for one who holds less.
        await assertHoldsServiceAccount(
          this.ctx,
          em,
          { id: key.serviceAccountId!, accountId: key.accountId! },
          'update',
        );
      }
      if (!key.revokedAt) {
        key.revokedAt = new Date();
        recordEvent(em, 'api-key.revoked', {
          apiKeyId: key.id,
          ownerType: key.ownerType,
          userId: key.userId,
          serviceAccountId: key.serviceAccountId,
          accountId: key.accountId,
        });
      }
      return key;
    });
  }

  /** New key for a service account; earlier active keys expire after the grace period (≤ 48 h). */
  async rotate(input: RotateKeyInput): Promise<CreatedApiKey> {
    const grace = input.gracePeriodHours ?? 24;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_HOURS) {
      throw badInput('gracePeriodHours', `The grace period is 0 to ${MAX_GRACE_HOURS} hours`);
    }
    const expiresAt = validateFuture(input.expiresAt, 'expiresAt');
    if (!isUuid(input.serviceAccountId)) throw notFound('Service account');
    return this.ctx.transaction(async (em) => {
      const sa = await em.findOne(ServiceAccount, { id: input.serviceAccountId, deletedAt: null });
      if (!sa) throw notFound('Service account');
      authorize(
        this.ctx,
        'update',
        'ServiceAccount',
        { accountId: sa.accountId },
        'Service account',
      );
      // The new key carries the service account's whole authority: the caller must hold it.
      await assertHoldsServiceAccount(this.ctx, em, sa, 'update');
      const now = Date.now();
      const graceEnd = new Date(now + grace * 3600_000);
      const old = await em.find(ApiKey, { serviceAccountId: sa.id, revokedAt: null });
      for (const k of old) {
        if (k.expiresAt && k.expiresAt.getTime() <= now) continue;
        if (grace === 0) {
          k.revokedAt = new Date(now);
          recordEvent(em, 'api-key.revoked', {
            apiKeyId: k.id,
            ownerType: k.ownerType,
            serviceAccountId: sa.id,
            accountId: sa.accountId,
            reason: 'rotated',
          });
        } else if (!k.expiresAt || k.expiresAt > graceEnd) {
          k.expiresAt = graceEnd;
        }
      }
      const created = mintKey(
        em,
        { type: ActorType.SERVICE_ACCOUNT, serviceAccountId: sa.id, accountId: sa.accountId },
        `${sa.name} (rotated ${new Date(now).toISOString().slice(0, 10)})`,
        expiresAt,
      );
      recordEvent(em, 'service-account.key-rotated', {
        serviceAccountId: sa.id,
        accountId: sa.accountId,
        apiKeyId: created.apiKey.id,
        gracePeriodHours: grace,
      });
      return created;
    });
  }
}
