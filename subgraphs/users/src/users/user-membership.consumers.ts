import type { EntityManager } from '@mikro-orm/core';
import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import { UserMembership } from './user-membership.entity.js';

interface MembershipChanged {
  accountId?: string;
  principalId?: string;
  principalType?: string;
}

const userMembership = (p: MembershipChanged) =>
  p.principalType === 'USER' && isUuid(p.principalId) && isUuid(p.accountId)
    ? { userId: p.principalId, accountId: p.accountId }
    : null;

async function add(p: MembershipChanged, em: EntityManager): Promise<void> {
  const row = userMembership(p);
  if (!row) return;
  await (em as Em)
    .createQueryBuilder(UserMembership)
    .insert(row)
    .onConflict(['userId', 'accountId'])
    .ignore()
    .execute();
}

/** The users subgraph's projection of account memberships (idempotent: upsert and delete). */
export const userMembershipConsumers: Record<string, ConsumerHandler> = {
  'account-membership.created': add,
  'account-membership.updated': add,
  'account-membership.removed': async (p: MembershipChanged, em) => {
    const row = userMembership(p);
    if (row) await em.nativeDelete(UserMembership, row);
  },
};
