import { raw, type EntityManager } from '@mikro-orm/core';
import { requireSystem } from '../../../../lib/actor.js';
import { authorize } from '../../../../lib/ability.js';
import { conflict, notFound } from '../../../../lib/errors.js';
import { accountRoleAuthority, assertMayHandOut } from '../../../../lib/hand-out.js';
import { AccountRole, ActorType } from '../../../../lib/graphql-enums.js';
import type { MembershipFact } from '../../../../lib/grants.js';
import type { Em } from '../../../../lib/orm.js';
import { paginate, type Connection, type ConnectionArgs } from '../../../../lib/pagination.js';
import { Account } from '../accounts/account.entity.js';
import type { WorkspacesContext } from '../context.js';
import { forUpdate, isUuid } from '../../../../lib/db.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { AccountMembership } from './membership.entity.js';
import { recordGrantsChanged, recordMembershipEvent } from './membership.events.js';
import type {
  RemoveMemberInput,
  SetAccountRoleInput,
  SetMembershipActiveInput,
} from './membership.inputs.js';

const ROLE_RANK: Record<AccountRole, number> = { OWNER: 3, ADMIN: 2, MEMBER: 1 };

/** The higher of two account roles (accepting an invitation never demotes). */
export function higherRole(a: AccountRole, b: AccountRole): AccountRole {
  return ROLE_RANK[b] > ROLE_RANK[a] ? b : a;
}

/**
 * Loads the (non-deleted) account inside the transaction and locks its row, so that membership
 * changes of one account are serialised (two owners demoting each other at once cannot both
 * succeed).
 */
export async function lockAccount(em: EntityManager, accountId: string): Promise<Account> {
  const account = isUuid(accountId)
    ? await em.findOne(Account, { id: accountId, deletedAt: null }, forUpdate(em))
    : null;
  if (!account) throw notFound('Account');
  return account;
}

/**
 * Refuses a change that would leave the account without an active user owner. Service accounts
 * do not count: they can be deleted from the users subgraph without asking this one.
 */
async function assertAnotherOwner(
  em: EntityManager,
  m: AccountMembership,
  field: string,
): Promise<void> {
  if (m.role !== AccountRole.OWNER || !m.active || m.principalType !== ActorType.USER) return;
  const others = await em.count(AccountMembership, {
    accountId: m.accountId,
    role: AccountRole.OWNER,
    active: true,
    principalType: ActorType.USER,
    id: { $ne: m.id },
  });
  if (!others) throw conflict(field, 'An account needs at least one active owner');
}

/** Adds an active membership (or reactivates one), with its events. Returns it. */
export async function addMember(
  em: EntityManager,
  data: { accountId: string; principalId: string; principalType: ActorType; role: AccountRole },
  keepHigherRole = false,
): Promise<AccountMembership> {
  const existing = await em.findOne(AccountMembership, {
    accountId: data.accountId,
    principalId: data.principalId,
  });
  if (!existing) {
    const m = em.create(AccountMembership, { ...data, active: true } as AccountMembership);
    recordMembershipEvent(em, 'account-membership.created', m);
    recordGrantsChanged(em, { principalIds: [m.principalId] });
    return m;
  }
  const role = keepHigherRole && existing.active ? higherRole(existing.role, data.role) : data.role;
  if (existing.active && existing.role === role) return existing;
  existing.active = true;
  existing.role = role;
  recordMembershipEvent(em, 'account-membership.updated', existing);
  recordGrantsChanged(em, { principalIds: [existing.principalId] });
  return existing;
}

/**
 * The grant facts of principals (what the gateway computes grants from): each one's active
 * memberships in live accounts with every workspace of those accounts. Two queries for any
 * number of principals.
 */
export async function membershipFacts(
  em: Em,
  principalIds: string[],
): Promise<Map<string, MembershipFact[]>> {
  const out = new Map<string, MembershipFact[]>();
  const ids = principalIds.filter((id) => isUuid(id));
  if (!ids.length) return out;
  const liveAccounts = em
    .createQueryBuilder(Account, 'a')
    .select('a.id')
    .where({ deletedAt: null });
  const rows: { principalId: string; accountId: string; role: AccountRole; allow_list: unknown }[] =
    await em
      .createQueryBuilder(AccountMembership, 'm')
      .select([
        'm.principalId',
        'm.accountId',
        'm.role',
        // The account's IP allow-list, in the same statement.
        raw('(select a.ip_allow_list from account a where a.id = m.account_id) as allow_list'),
      ])
      .where({
        principalId: { $in: ids },
        active: true,
        accountId: { $in: liveAccounts.getKnexQuery() },
      })
      .orderBy({ accountId: 'asc' })
      .execute('all');
  if (!rows.length) return out;
  const workspaces: { id: string; accountId: string; defaultRole: Workspace['defaultRole'] }[] =
    await em
      .createQueryBuilder(Workspace, 'w')
      .select(['w.id', 'w.accountId', 'w.defaultRole'])
      .where({ accountId: { $in: [...new Set(rows.map((r) => r.accountId))] } })
      .orderBy({ createdAt: 'asc', id: 'asc' })
      .execute('all');
  for (const r of rows) {
    const list = out.get(r.principalId) ?? [];
    list.push({
      accountId: r.accountId,
      role: r.role,
      ipAllowList: parseJsonList(r.allow_list),
      workspaces: workspaces
        .filter((w) => w.accountId === r.accountId)
        .map((w) => ({ id: w.id, defaultRole: w.defaultRole ?? null })),
    });
    out.set(r.principalId, list);
  }
  return out;
}

/** Account memberships: listing, activation, roles, removal, and the gateway's grant facts. */
export class MembershipService {
  constructor(private readonly ctx: WorkspacesContext) {}

  list(accountId: string, args: ConnectionArgs): Promise<Connection<AccountMembership>> {
    authorize(this.ctx, 'read', 'AccountMembership', { accountId }, 'Account');
    return paginate(this.ctx.em, AccountMembership, { accountId }, args);
  }

  async setActive(input: SetMembershipActiveInput): Promise<AccountMembership> {
    authorize(this.ctx, 'update', 'AccountMembership', { accountId: input.accountId }, 'Account');
    return this.change(input.accountId, input.principalId, async (em, m) => {
      if (m.active === input.active) return false;
      // Deactivating takes the member's role away, reactivating gives it back.
      this.assertHoldsRole(m.accountId, m.role);
      if (!input.active) await assertAnotherOwner(em, m, 'active');
      m.active = input.active;
      return true;
    });
  }

  async setRole(input: SetAccountRoleInput): Promise<AccountMembership> {
    authorize(this.ctx, 'update', 'AccountMembership', { accountId: input.accountId }, 'Account');
    return this.change(input.accountId, input.principalId, async (em, m) => {
      if (m.role === input.role) return false;
      // The new role is handed out and the old one taken away: the caller must hold both.
      this.assertHoldsRole(m.accountId, input.role);
      this.assertHoldsRole(m.accountId, m.role);
      await assertAnotherOwner(em, m, 'role');
      m.role = input.role;
      return true;
    });
  }

  /** Removes a member; anyone may remove themselves (leave the account). Returns the membership id. */
  async remove(input: RemoveMemberInput): Promise<string> {
    const self = input.principalId === this.ctx.principal.id;
    if (self) authorize(this.ctx, 'read', 'Account', { id: input.accountId }, 'Account');
    else
      authorize(this.ctx, 'delete', 'AccountMembership', { accountId: input.accountId }, 'Account');
    return this.ctx.transaction(async (em) => {
      const m = await this.load(em, input.accountId, input.principalId);
      if (!self) this.assertHoldsRole(m.accountId, m.role);
      await assertAnotherOwner(em, m, 'principalId');
      em.remove(m);
      recordMembershipEvent(em, 'account-membership.removed', m);
      recordGrantsChanged(em, { principalIds: [m.principalId] });
      return m.id;
    });
  }

  /** The caller's active accounts (Viewer.accounts); other viewers' accounts are never listed. */
  async viewerAccounts(viewerId: string): Promise<Account[]> {
    const { principal } = this.ctx;
    if (
      viewerId !== principal.id ||
      (principal.type !== 'user' && principal.type !== 'service_account')
    )
      return [];
    const memberships = await this.ctx.em.find(
      AccountMembership,
      { principalId: principal.id, active: true },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    const accounts = await this.ctx.loaders.accountById.loadMany(
      memberships.map((m) => m.accountId),
    );
    return accounts.filter((a): a is Account => a instanceof Account);
  }

  /**
   * Internal (gateway): the principal's active memberships in live accounts, each with the
   * account's IP allow-list and every workspace of the account, in two queries whatever their
   * number.
   */
  async principalMemberships(principalId: string): Promise<MembershipFact[]> {
    requireSystem(this.ctx.principal);
    if (!isUuid(principalId)) return [];
    return (await membershipFacts(this.ctx.em, [principalId])).get(principalId) ?? [];
  }

  private async load(
    em: EntityManager,
    accountId: string,
    principalId: string,
  ): Promise<AccountMembership> {
    await lockAccount(em, accountId);
    const m = isUuid(principalId)
      ? await em.findOne(AccountMembership, { accountId, principalId })
      : null;
    if (!m) throw notFound('Member');
    return m;
  }

  /** Applies `apply` in one transaction; records the update and grant change when it changed something. */
  private change(
    accountId: string,
    principalId: string,
    apply: (em: EntityManager, m: AccountMembership) => Promise<boolean>,
  ): Promise<AccountMembership> {
    return this.ctx.transaction(async (em) => {
      const m = await this.load(em, accountId, principalId);
      if (await apply(em, m)) {
        recordMembershipEvent(em, 'account-membership.updated', m);
        recordGrantsChanged(em, { principalIds: [m.principalId] });
      }
      return m;
    });
  }

  /**
   * Nobody hands out, or takes away, more than they hold (lib/hand-out.ts): giving, changing,
   * deactivating or removing an account role needs everything it carries (an Admin manages
   * Admins and Members; only an Owner manages Owners; a custom role with manage:member only
   * members whose role it covers).
   */
  private assertHoldsRole(accountId: string, role: AccountRole): void {
    assertMayHandOut(this.ctx, accountRoleAuthority(accountId, role), {
      action: 'update',
      subject: 'AccountMembership',
    });
  }
}

/** A JSON column as a raw query returns it: parsed on PostgreSQL, text on SQLite. */
function parseJsonList(value: unknown): string[] {
  const list = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
}
