import type { EntityManager } from '@mikro-orm/core';
import { recordEvent } from '../../../../lib/outbox.js';
import type { AccountMembership } from './membership.entity.js';

export type MembershipEventType =
  'account-membership.created' | 'account-membership.updated' | 'account-membership.removed';

/** Records a membership change in the outbox (inside the caller's transaction). */
export function recordMembershipEvent(
  em: EntityManager,
  type: MembershipEventType,
  m: AccountMembership,
): void {
  recordEvent(em, type, {
    accountId: m.accountId,
    principalId: m.principalId,
    principalType: m.principalType,
    role: m.role,
    active: m.active,
  });
}

/**
 * Tells the gateway to drop cached grants: of some principals, or of everyone in an account
 * (workspaces created or deleted, default roles changed).
 */
export function recordGrantsChanged(
  em: EntityManager,
  scope: { principalIds: string[] } | { accountId: string },
): void {
  recordEvent(em, 'grants.changed', { ...scope });
}
