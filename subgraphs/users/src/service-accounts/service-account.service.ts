import { subject } from '@casl/ability';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { conflict, notFound } from '../../../../lib/errors.js';
import { accountRoleAuthority, assertMayHandOut } from '../../../../lib/hand-out.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { validateFuture, validateName, validateOptionalText } from '../../../../lib/validation.js';
import { ApiKey } from '../api-keys/api-key.entity.js';
import { mintKey } from '../api-keys/api-key.service.js';
import type { UsersContext } from '../context.js';
import type { CreatedServiceAccount, CreateServiceAccountInput } from './service-account.inputs.js';
import { assertHoldsServiceAccount, initialGrants } from './service-account-authority.js';
import { ServiceAccount } from './service-account.entity.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

/** Service accounts of an account. Their account membership lives in the workspaces subgraph. */
export class ServiceAccountService {
  constructor(private readonly ctx: UsersContext) {}

  async create(input: CreateServiceAccountInput): Promise<CreatedServiceAccount> {
    if (!isUuid(input.accountId)) throw notFound('Account');
    authorize(this.ctx, 'create', 'ServiceAccount', { accountId: input.accountId }, 'Account');
    // Nobody hands out more than they hold (lib/hand-out.ts): its role and the key that carries it.
    assertMayHandOut(this.ctx, accountRoleAuthority(input.accountId, input.accountRole), {
      action: 'create',
      subject: 'ServiceAccount',
    });
    const name = validateName(input.name);
    const description = validateOptionalText(input.description, 'description', 500);
    const expiresAt = validateFuture(input.keyExpiresAt, 'keyExpiresAt');
    return this.ctx.transaction(async (em) => {
      if (await em.count(ServiceAccount, { accountId: input.accountId, name, deletedAt: null })) {
        throw conflict('name', 'A service account with this name exists in the account');
      }
      const sa = em.create(ServiceAccount, {
        accountId: input.accountId,
        name,
        description,
        createdById: this.ctx.principal.id,
      } as ServiceAccount);
      initialGrants(em, sa, input.accountRole);
      recordEvent(em, 'service-account.created', {
        serviceAccountId: sa.id,
        accountId: sa.accountId,
        name,
        accountRole: input.accountRole,
      });
      const { key, apiKey } = mintKey(
        em,
        { type: ActorType.SERVICE_ACCOUNT, serviceAccountId: sa.id, accountId: sa.accountId },
        `${name} key`,
        expiresAt,
      );
      return { serviceAccount: sa, key, apiKey };
    });
  }

  async listForAccount(accountId: string): Promise<ServiceAccount[]> {
    const filter = accessibleFilter(this.ctx.ability, 'read', 'ServiceAccount');
    if (!filter) return [];
    return this.ctx.em.find(
      ServiceAccount,
      { $and: [filter, { accountId, deletedAt: null }] },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  async keys(sa: ServiceAccount): Promise<ApiKey[]> {
    if (!this.ctx.ability.can('read', subject('ServiceAccount', { accountId: sa.accountId })))
      return [];
    return this.ctx.em.find(
      ApiKey,
      { serviceAccountId: sa.id },
      { orderBy: { createdAt: 'desc' } },
    );
  }

  async delete(id: string): Promise<string> {
    if (!isUuid(id)) throw notFound('Service account');
    return this.ctx.transaction(async (em) => {
      const sa = await em.findOne(ServiceAccount, { id, deletedAt: null });
      if (!sa) throw notFound('Service account');
      authorize(
        this.ctx,
        'delete',
        'ServiceAccount',
        { accountId: sa.accountId },
        'Service account',
      );
      // Deleting it takes its authority away (and its automation's keys): not from one who holds more.
      await assertHoldsServiceAccount(this.ctx, em, sa, 'delete');
      sa.deletedAt = new Date();
      const keys = await em.find(ApiKey, { serviceAccountId: sa.id, revokedAt: null });
      for (const k of keys) {
        k.revokedAt = sa.deletedAt;
        recordEvent(em, 'api-key.revoked', {
          apiKeyId: k.id,
          ownerType: k.ownerType,
          serviceAccountId: sa.id,
          accountId: sa.accountId,
          reason: 'service-account-deleted',
        });
      }
      recordEvent(em, 'service-account.deleted', {
        serviceAccountId: sa.id,
        accountId: sa.accountId,
      });
      return sa.id;
    });
  }
}
