import type { WorkspaceRole } from '../../../../lib/graphql-enums.js';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import { WORKSPACE_ROLES } from '../../../../lib/permissions.js';
import { removeAccountBindings } from '../account-access/account-access.service.js';
import { PrincipalType } from '../principals.js';
import { TeamMember } from '../teams/team.entity.js';
import { removeBindings, upsertBinding } from './workspace-access.service.js';

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
  'service-account.deleted': async (p: { serviceAccountId: string }, em) => {
    const where = { principalType: PrincipalType.SERVICE_ACCOUNT, principalId: p.serviceAccountId };
    const cause = { reason: 'service-account-deleted' };
    await removeBindings(em, where, cause);
    await removeAccountBindings(em, where, cause);
    await em.nativeDelete(TeamMember, where);
  },
};
