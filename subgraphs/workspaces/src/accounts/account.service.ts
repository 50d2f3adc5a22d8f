import { randomBytes } from 'node:crypto';
import { subject } from '@casl/ability';
import type { EntityManager } from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { AccountRole, ActorType } from '../../../../lib/graphql-enums.js';
import { badInput, conflict, notFound, unauthenticated } from '../../../../lib/errors.js';
import { addressAllowed, MAX_IP_RULES, parseIpRule } from '../../../../lib/ip-allow-list.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { validateHandle, validateName } from '../../../../lib/validation.js';
import type { WorkspacesContext } from '../context.js';
import { conflictOnDuplicate, isUuid } from '../../../../lib/db.js';
import { AccountMembership } from '../memberships/membership.entity.js';
import { recordGrantsChanged, recordMembershipEvent } from '../memberships/membership.events.js';

import { Account } from './account.entity.js';
import type { CreateAccountInput, UpdateAccountSettingsInput } from './account.inputs.js';

const HANDLE_TAKEN = 'This handle is taken';
const MAX_SSO_DOMAINS = 50;
const MAX_RETENTION_DAYS = 3650;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The user a write is done for; accounts are created and invitations answered by people only. */
export function requireUser(ctx: WorkspacesContext): string {
  if (ctx.principal.type !== 'user') throw unauthenticated('Sign in as a user to do this');
  return ctx.principal.id;
}

/**
 * Creates an account with its first owner, and the events that announce both. Shared by
 * createAccount and the sign-up consumer, so both produce the same rows and events.
 */
export function provisionAccount(
  em: EntityManager,
  data: { id?: string; handle: string; name: string; ownerId: string; ownerType: ActorType },
): Account {
  const account = em.create(Account, {
    ...(data.id ? { id: data.id } : {}),
    handle: data.handle,
    name: data.name,
  } as Account);
  const membership = em.create(AccountMembership, {
    accountId: account.id,
    principalType: data.ownerType,
    principalId: data.ownerId,
    role: AccountRole.OWNER,
    active: true,
  } as AccountMembership);
  recordEvent(em, 'account.created', {
    accountId: account.id,
    handle: account.handle,
    name: account.name,
    createdById: data.ownerId,
    // The audit log (access subgraph) purges by it.
    auditRetentionDays: account.auditRetentionDays,
  });
  recordMembershipEvent(em, 'account-membership.created', membership);
  recordGrantsChanged(em, { principalIds: [data.ownerId] });
  return account;
}

function isValidHandle(value: string): boolean {
  try {
    validateHandle(value);
    return true;
  } catch {
    return false;
  }
}

/** `wanted` if it is a free handle, else `wanted-xxxx`: for accounts provisioned from events. */
export async function freeHandle(em: EntityManager, wanted: string): Promise<string> {
  const base = wanted
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  if (isValidHandle(base) && !(await em.count(Account, { handle: base }))) return base;
  const stem = base.slice(0, 35).replace(/-+$/, '') || 'account';
  for (let attempt = 0; ; attempt++) {
    const suffix = randomBytes(6)
      .readUIntBE(0, 6)
      .toString(36)
      .slice(-(attempt < 5 ? 4 : 8));
    const candidate = `${stem.slice(0, 39 - suffix.length)}-${suffix}`;
    if (!(await em.count(Account, { handle: candidate }))) return candidate;
  }
}

function validateDomains(values: string[]): string[] {
  if (values.length > MAX_SSO_DOMAINS) {
    throw badInput('allowedSsoDomains', `At most ${MAX_SSO_DOMAINS} domains`);
  }
  const out = values.map((v) => v.trim().toLowerCase());
  for (const d of out) {
    if (!DOMAIN.test(d))
      throw badInput('allowedSsoDomains', `"${d.slice(0, 64)}" is not a domain name`);
  }
  return [...new Set(out)];
}

/**
 * Validates an IP allow-list. A non-empty list must hold the caller's own address (as the
 * gateway saw it, see TRUST_PROXY): saving one that does not would lock the caller out at once.
 */
function validateIpRules(values: string[], callerIp: string | null): string[] {
  if (values.length > MAX_IP_RULES)
    throw badInput('ipAllowList', `At most ${MAX_IP_RULES} entries`);
  const out = values.map((value) => {
    const rule = parseIpRule(value);
    if (!rule) {
      throw badInput(
        'ipAllowList',
        `"${value.trim().slice(0, 64)}" is not an IP address or CIDR range`,
      );
    }
    return rule;
  });
  const rules = [...new Set(out)];
  if (!addressAllowed(callerIp, rules)) {
    throw badInput(
      'ipAllowList',
      callerIp
        ? `The list does not include your own address ${callerIp}: saving it would lock you out`
        : 'Your address is unknown, so a list that is sure to include it cannot be saved',
    );
  }
  return rules;
}

/** Accounts: lookups, creation and settings. */
export class AccountService {
  constructor(private readonly ctx: WorkspacesContext) {}

  /** By id or by handle; NOT_FOUND unless the caller is a member (never discloses existence). */
  async find(id?: string | null, handle?: string | null): Promise<Account> {
    if (id != null) {
      authorize(this.ctx, 'read', 'Account', { id }, 'Account');
      const account = isUuid(id) ? await this.ctx.loaders.accountById.load(id) : null;
      if (!account || (handle != null && account.handle !== handle)) throw notFound('Account');
      return account;
    }
    if (handle == null) throw badInput('id', 'Give the id or the handle of the account');
    const account = await this.ctx.em.findOne(Account, { handle, deletedAt: null });
    if (!account) throw notFound('Account');
    authorize(this.ctx, 'read', 'Account', { id: account.id }, 'Account');
    return account;
  }

  /** A federation reference: the account, or null when the caller may not see it. */
  async reference(id: string): Promise<Account | null> {
    if (!this.ctx.ability.can('read', subject('Account', { id }))) return null;
    return this.ctx.loaders.accountById.load(id);
  }

  /** For fields of objects the caller already may see (a workspace's or membership's account). */
  async byId(id: string): Promise<Account> {
    const account = await this.ctx.loaders.accountById.load(id);
    if (!account) throw notFound('Account');
    return account;
  }

  async create(input: CreateAccountInput): Promise<Account> {
    const userId = requireUser(this.ctx);
    const handle = validateHandle(input.handle);
    const name = validateName(input.name);
    return conflictOnDuplicate('handle', HANDLE_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(Account, { handle })) throw conflict('handle', HANDLE_TAKEN);
        return provisionAccount(em, {
          handle,
          name,
          ownerId: userId,
          ownerType: ActorType.USER,
        });
      }),
    );
  }

  async updateSettings(input: UpdateAccountSettingsInput): Promise<Account> {
    authorize(this.ctx, 'update', 'Account', { id: input.accountId }, 'Account');
    const changes: Partial<Account> = {};
    if (input.handle != null) changes.handle = validateHandle(input.handle);
    if (input.name != null) changes.name = validateName(input.name);
    if (input.aiErrorSummaries != null) changes.aiErrorSummaries = input.aiErrorSummaries;
    if (input.allowedSsoDomains != null)
      changes.allowedSsoDomains = validateDomains(input.allowedSsoDomains);
    if (input.ipAllowList != null)
      changes.ipAllowList = validateIpRules(input.ipAllowList, this.ctx.client.ip);
    if (input.auditRetentionDays != null) {
      const days = input.auditRetentionDays;
      if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
        throw badInput('auditRetentionDays', `Must be 1 to ${MAX_RETENTION_DAYS} days`);
      }
      changes.auditRetentionDays = days;
    }
    return conflictOnDuplicate('handle', HANDLE_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        const account = isUuid(input.accountId)
          ? await em.findOne(Account, { id: input.accountId, deletedAt: null })
          : null;
        if (!account) throw notFound('Account');
        if (
          changes.handle &&
          changes.handle !== account.handle &&
          (await em.count(Account, { handle: changes.handle }))
        ) {
          throw conflict('handle', HANDLE_TAKEN);
        }
        const fields = Object.keys(changes) as (keyof Account)[];
        const before = Object.fromEntries(fields.map((f) => [f, account[f]]));
        const listChanged =
          changes.ipAllowList !== undefined &&
          JSON.stringify(changes.ipAllowList) !== JSON.stringify(account.ipAllowList);
        em.assign(account, changes);
        recordEvent(em, 'account.updated', {
          accountId: account.id,
          fields,
          before,
          after: { ...changes },
        });
        // The gateway carries each account's allow-list with the members' grants: they are
        // looked up afresh, and open sockets of the account are checked against the new list.
        if (listChanged) recordGrantsChanged(em, { accountId: account.id });
        return account;
      }),
    );
  }

  /** The caller's role in the account, from its membership (null when not an active member). */
  async myRole(account: Account): Promise<AccountRole | null> {
    const m = await this.ctx.loaders.myMembershipByAccount.load(account.id);
    return m?.active ? m.role : null;
  }
}
