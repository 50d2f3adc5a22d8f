import type { WorkspaceRole } from '../../../../lib/graphql-enums.js';
import { isUuid } from '../../../../lib/db.js';
import { ACCESS_FACTS_CHANGED, type AccessFactsChanged } from '../../../../lib/grants.js';
import { fromSource, recordEvent, type ConsumerHandler } from '../../../../lib/outbox.js';
import { WORKSPACE_ROLES } from '../../../../lib/permissions.js';
import { removeAccountBindings } from '../account-access/account-access.service.js';
import { AccountRoleBinding } from '../account-access/account-role-binding.entity.js';
import { principalGrantsFacts } from '../grants/grants.service.js';
import { PrincipalType } from '../common/principals.js';
import { TeamMember } from '../teams/team.entity.js';
import { removeBindings, upsertBinding } from './workspace-access.service.js';
import { WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

interface GrantsChanged {
  principalIds?: unknown;
  accountId?: unknown;
}
interface InvitationAccepted {
  invitationId: string;
  accountId: string;
  userId: string;
  workspaceId?: string | null;
  workspaceRole?: string | null;
  invitedById?: string | null;
}

/**
 * Keeps bindings in step with the tenancy changes of other subgraphs. Each runs in the consumer's
 * transaction next to its handled-event row (lib/outbox.ts), so a redelivery changes nothing.
 */
export const workspaceAccessConsumers: Record<string, ConsumerHandler> = {
  'invitation.accepted': async (p: InvitationAccepted, em) => {
    if (!p.workspaceId || !p.workspaceRole) return;
    if (!WORKSPACE_ROLES.includes(p.workspaceRole as WorkspaceRole)) {
      throw new Error(`invitation.accepted: unknown workspace role ${p.workspaceRole}`);
    }
    await upsertBinding(em, {
      principalType: PrincipalType.USER,
      principalId: p.userId,
      accountId: p.accountId,
      workspaceId: p.workspaceId,
      role: p.workspaceRole as WorkspaceRole,
      roleId: null,
      actorId: p.invitedById ?? p.userId,
    });
  },
  'workspace.deleted': async (p: { workspaceId: string }, em) => {
    await removeBindings(em, { workspaceId: p.workspaceId }, { reason: 'workspace-deleted' });
  },
  'account-membership.removed': async (p: { accountId: string; principalId: string }, em) => {
    const where = { accountId: p.accountId, principalId: p.principalId };
    const cause = { reason: 'membership-removed' };
    await removeBindings(em, where, cause);
    await removeAccountBindings(em, where, cause);
    await em.nativeDelete(TeamMember, where);
  },
  /**
   * After this subgraph's own grant changes: the access facts (bindings, custom account roles,
   * teams) of the principals concerned, read afresh, for the users subgraph's copy of each
   * service account's grants (lib/grants.ts). A change of a role in use concerns the service
   * accounts given it, directly or through a team.
   */
  'grants.changed': fromSource('access', async (p: GrantsChanged, em) => {
    let ids: string[] = [];
    if (Array.isArray(p.principalIds)) {
      const given = p.principalIds.filter((id): id is string => isUuid(id as string));
      const where = { principalId: { $in: given }, principalType: PrincipalType.USER };
      const people = new Set(
        [
          ...(await em.find(TeamMember, where, { fields: ['principalId'] })),
          ...(await em.find(WorkspaceRoleBinding, where, { fields: ['principalId'] })),
          ...(await em.find(AccountRoleBinding, where, { fields: ['principalId'] })),
        ].map((r) => r.principalId),
      );
      ids = given.filter((id) => !people.has(id));
    } else if (isUuid(p.accountId as string)) {
      const where = {
        accountId: p.accountId as string,
        principalType: PrincipalType.SERVICE_ACCOUNT,
      };
      ids = [
        ...new Set(
          [
            ...(await em.find(TeamMember, where, { fields: ['principalId'] })),
            ...(await em.find(WorkspaceRoleBinding, where, { fields: ['principalId'] })),
            ...(await em.find(AccountRoleBinding, where, { fields: ['principalId'] })),
          ].map((r) => r.principalId),
        ),
      ];
    }
    if (!ids.length) return;
    const changed: AccessFactsChanged = { computedAt: new Date().toISOString(), principals: [] };
    for (const id of ids)
      changed.principals.push({ principalId: id, facts: await principalGrantsFacts(em, id) });
    recordEvent(em, ACCESS_FACTS_CHANGED, { ...changed });
  }),
  'service-account.deleted': async (p: { serviceAccountId: string }, em) => {
    const where = { principalType: PrincipalType.SERVICE_ACCOUNT, principalId: p.serviceAccountId };
    const cause = { reason: 'service-account-deleted' };
    await removeBindings(em, where, cause);
    await removeAccountBindings(em, where, cause);
    await em.nativeDelete(TeamMember, where);
  },
};
