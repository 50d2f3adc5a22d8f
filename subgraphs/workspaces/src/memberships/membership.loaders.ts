import DataLoader from 'dataloader';
import type { BaseContext } from '../../../../lib/module.js';
import { byKey } from '../context.js';
import { AccountMembership } from './membership.entity.js';

/** Per-request loaders of the memberships module. */
export function membershipLoaders({ em, principal }: BaseContext) {
  return {
    /** The caller's own membership in an account (active or not). */
    myMembershipByAccount: new DataLoader<string, AccountMembership | null>(async (accountIds) => {
      const { type } = principal;
      if (type !== 'user' && type !== 'service_account') return accountIds.map(() => null);
      const rows = await em.find(AccountMembership, {
        accountId: { $in: [...accountIds] },
        principalId: principal.id,
      });
      return byKey(accountIds, rows, (r) => r.accountId);
    }),
  };
}

type MembershipLoaders = ReturnType<typeof membershipLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WorkspacesLoaders extends MembershipLoaders {}
}
