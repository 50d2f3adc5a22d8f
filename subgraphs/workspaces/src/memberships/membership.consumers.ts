import type { EntityManager } from '@mikro-orm/core';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { AccountRole, ActorType } from '../../../../lib/graphql-enums.js';
import { Account } from '../accounts/account.entity.js';
import { freeHandle, provisionAccount } from '../accounts/account.service.js';
import type { WorkspacesContext } from '../context.js';
import { isUuid } from '../../../../lib/db.js';
import { AccountMembership } from './membership.entity.js';
import { recordGrantsChanged, recordMembershipEvent } from './membership.events.js';
import { addMember, membershipFacts } from './membership.service.js';
import { MEMBERSHIP_FACTS_CHANGED, type MembershipFactsChanged } from '../../../../lib/grants.js';
import type { Em } from '../../../../lib/orm.js';
import { fromSource, recordEvent, type ConsumerHandler } from '../../../../lib/outbox.js';
import { log } from '../../../../lib/log.js';

interface SignedUp {
  userId: string;
  accountId: string;
  handle: string;
  name?: string | null;
  email?: string;
}
interface ServiceAccountCreated {
  serviceAccountId: string;
  accountId: string;
  accountRole?: string;
}
interface GrantsChanged {
  principalIds?: unknown;
  accountId?: unknown;
}
interface ScimUserChanged {
  accountId: string;
  userId?: string | null;
  active?: boolean;
}
interface ServiceAccountDeleted {
  serviceAccountId: string;
  accountId: string;
}

function skip(type: string, reason: string): void {
  log.warn({ consumer: 'workspaces', type, reason }, 'event skipped');
}

/**
 * Domain events this subgraph applies (each once, in one transaction with its handled-event
 * row). A malformed payload is logged and skipped: throwing would make the bus redeliver it
 * forever.
 */
export function consumers(
  _sub: SubgraphRuntime<WorkspacesContext>,
): Record<string, ConsumerHandler> {
  return {
    /** Sign-up provisions the user's own account, with the id the users subgraph chose. */
    'user.signed-up': async (p: SignedUp, em) => {
      if (!isUuid(p.userId) || !isUuid(p.accountId)) return skip('user.signed-up', 'bad ids');
      if (await em.count(Account, { id: p.accountId })) return;
      const handle = await freeHandle(em, String(p.handle ?? ''));
      const name =
        String(p.name || p.handle || handle)
          .trim()
          .slice(0, 100) || handle;
      provisionAccount(em, {
        id: p.accountId,
        handle,
        name,
        ownerId: p.userId,
        ownerType: ActorType.USER,
      });
    },

    'service-account.created': async (p: ServiceAccountCreated, em) => {
      if (!isUuid(p.serviceAccountId) || !isUuid(p.accountId))
        return skip('service-account.created', 'bad ids');
      if (!(await em.count(Account, { id: p.accountId, deletedAt: null }))) {
        return skip('service-account.created', 'unknown account');
      }
      const role = Object.values(AccountRole).includes(p.accountRole as AccountRole)
        ? (p.accountRole as AccountRole)
        : AccountRole.MEMBER;
      await addMember(em, {
        accountId: p.accountId,
        principalId: p.serviceAccountId,
        principalType: ActorType.SERVICE_ACCOUNT,
        role,
      });
    },

    /**
     * After this subgraph's own grant changes: the membership facts of the service accounts
     * concerned, read afresh, for the users subgraph's copy (lib/grants.ts). People are left
     * out (a principal with a user membership); ids without any membership left are included,
     * so a removed service account's facts become empty.
     */
    'grants.changed': fromSource('workspaces', async (p: GrantsChanged, em) => {
      let ids: string[] = [];
      if (Array.isArray(p.principalIds)) {
        const given = p.principalIds.filter((id): id is string => isUuid(id as string));
        const people = await em.find(
          AccountMembership,
          { principalId: { $in: given }, principalType: ActorType.USER },
          { fields: ['principalId'] },
        );
        const isPerson = new Set(people.map((m) => m.principalId));
        ids = given.filter((id) => !isPerson.has(id));
      } else if (isUuid(p.accountId as string)) {
        const rows = await em.find(
          AccountMembership,
          { accountId: p.accountId as string, principalType: ActorType.SERVICE_ACCOUNT },
          { fields: ['principalId'] },
        );
        ids = rows.map((m) => m.principalId);
      }
      if (!ids.length) return;
      const facts = await membershipFacts(em as Em, ids);
      const changed: MembershipFactsChanged = {
        computedAt: new Date().toISOString(),
        principals: ids.map((id) => ({ principalId: id, memberships: facts.get(id) ?? [] })),
      };
      recordEvent(em, MEMBERSHIP_FACTS_CHANGED, { ...changed });
    }),
    // SCIM deprovisioning (access subgraph): a SCIM user set inactive or deleted deactivates the
    // membership of the user it provisioned; set active again, reactivates it. The account's
    // last active owner stays (the log shows the refusal).
    'scim.user-deactivated': (p: ScimUserChanged, em) => setActiveFromScim(em, p, false),
    'scim.user-deleted': (p: ScimUserChanged, em) => setActiveFromScim(em, p, false),
    'scim.user-updated': async (p: ScimUserChanged, em) => {
      if (p.active === true) await setActiveFromScim(em, p, true);
    },

    // SSO enforcement turned on: the access subgraph is told every membership of the account at
    // once (who holds bypass:sso as an Owner), whatever it saw of them before.
    'sso-settings.updated': async (
      p: { accountId: string; fields?: string[]; after?: { enforced?: boolean } },
      em,
    ) => {
      if (!isUuid(p.accountId) || !p.fields?.includes('enforced') || !p.after?.enforced) return;
      const members = await em.find(AccountMembership, { accountId: p.accountId });
      recordEvent(em, 'account-members.snapshot', {
        accountId: p.accountId,
        members: members.map((m) => ({
          principalId: m.principalId,
          principalType: m.principalType,
          role: m.role,
          active: m.active,
        })),
      });
    },

    'service-account.deleted': async (p: ServiceAccountDeleted, em) => {
      if (!isUuid(p.serviceAccountId) || !isUuid(p.accountId))
        return skip('service-account.deleted', 'bad ids');
      const m = await em.findOne(AccountMembership, {
        accountId: p.accountId,
        principalId: p.serviceAccountId,
      });
      if (!m) return;
      em.remove(m);
      recordMembershipEvent(em, 'account-membership.removed', m);
      recordGrantsChanged(em, { principalIds: [m.principalId] });
    },
  };
}

async function setActiveFromScim(
  em: EntityManager,
  p: ScimUserChanged,
  active: boolean,
): Promise<void> {
  if (!isUuid(p.accountId) || !isUuid(p.userId ?? undefined)) return;
  const m = await em.findOne(AccountMembership, { accountId: p.accountId, principalId: p.userId! });
  if (!m || m.active === active) return;
  if (!active && m.role === AccountRole.OWNER) {
    const owners = await em.count(AccountMembership, {
      accountId: p.accountId,
      role: AccountRole.OWNER,
      active: true,
      principalType: ActorType.USER,
      id: { $ne: m.id },
    });
    if (!owners) return skip('scim.user-deactivated', 'the last active owner stays');
  }
  m.active = active;
  recordMembershipEvent(em, 'account-membership.updated', m);
  recordGrantsChanged(em, { principalIds: [m.principalId] });
}
