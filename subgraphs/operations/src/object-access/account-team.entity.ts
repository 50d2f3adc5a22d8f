import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import { isUuid } from '../../../../lib/db.js';

/**
 * The teams of each account, as the access subgraph announces them (`team.created`,
 * `team.deleted`): access lists may name only teams of the object's own account, and this
 * subgraph never reads the access subgraph's tables.
 */
@Entity({ tableName: 'account_team' })
export class AccountTeam {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid', index: true })
  accountId!: string;
}

/** Keeps `account_team` in step with the access subgraph's teams (idempotent). */
export const accountTeamConsumers: Record<string, ConsumerHandler> = {
  'team.created': async (p: { teamId?: string; accountId?: string }, em) => {
    if (!isUuid(p.teamId) || !isUuid(p.accountId)) return;
    if (await em.count(AccountTeam, { id: p.teamId })) return;
    em.persist(Object.assign(new AccountTeam(), { id: p.teamId, accountId: p.accountId }));
  },
  'team.deleted': async (p: { teamId?: string }, em) => {
    if (isUuid(p.teamId)) await em.nativeDelete(AccountTeam, { id: p.teamId });
  },
};
