import type { ConsumerHandler } from '../../../lib/outbox.js';
import type { Subgraph } from '../../../lib/subgraph.js';
import { AccountRole } from '../../../lib/graphql-enums.js';
import { Account } from './accounts/account.entity.js';
import { freeHandle, provisionAccount } from './accounts/account.service.js';
import type { WorkspacesContext } from './context.js';
import { isUuid } from '../../../lib/db.js';
import { AccountMembership, PrincipalKind } from './memberships/membership.entity.js';
import { recordGrantsChanged, recordMembershipEvent } from './memberships/membership.events.js';
import { addMember } from './memberships/membership.service.js';
import { log } from '../../../lib/log.js';

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
export function consumers(_sub: Subgraph<WorkspacesContext>): Record<string, ConsumerHandler> {
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
        ownerType: PrincipalKind.USER,
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
        principalType: PrincipalKind.SERVICE_ACCOUNT,
        role,
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
