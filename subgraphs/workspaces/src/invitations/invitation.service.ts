import { subject } from '@casl/ability';
import type { EntityManager } from '@mikro-orm/core';
import { authorize, permissionFor } from '../../../../lib/ability.js';
import { badInput, conflict, forbidden, notFound, withDenial } from '../../../../lib/errors.js';
import {
  accountRoleAuthority,
  assertMayHandOut,
  workspaceAuthority,
} from '../../../../lib/hand-out.js';
import { WORKSPACE_ROLE_PERMISSIONS } from '../../../../lib/permissions.js';
import { AccountRole, type WorkspaceRole, ActorType } from '../../../../lib/graphql-enums.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { paginate, type Connection, type ConnectionArgs } from '../../../../lib/pagination.js';
import { newCredential, sha256 } from '../../../../lib/secrets.js';
import { normalizeEmail } from '../../../../lib/validation.js';
import type { Account } from '../accounts/account.entity.js';
import { requireUser } from '../accounts/account.service.js';
import type { WorkspacesContext } from '../context.js';
import { visibleWorkspacesLoader } from '../workspaces/workspace.loaders.js';
import { conflictOnDuplicate, forUpdate, isUuid } from '../../../../lib/db.js';
import { addMember, lockAccount } from '../memberships/membership.service.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { abilityFor } from '../../../../lib/ability.js';
import { computeGrants } from '../../../../lib/grants.js';
import type { Grants } from '../../../../lib/principal.js';
import { Invitation, InvitationDelivery, InvitationStatus } from './invitation.entity.js';
import type { InvitationCodeInput, InviteMemberInput } from './invitation.inputs.js';

export const INVITATION_CODE_PREFIX = 'fpinv_';
const MAX_EXPIRY_DAYS = 30;
const DAY_MS = 86_400_000;

/** The filter that matches invitations that read as `status` (EXPIRED is a pending one past expiry). */
function statusFilter(status: InvitationStatus, now: Date): Record<string, unknown> {
  if (status === InvitationStatus.PENDING)
    return { recordedStatus: status, expiresAt: { $gt: now } };
  if (status === InvitationStatus.EXPIRED) {
    return { recordedStatus: InvitationStatus.PENDING, expiresAt: { $lte: now } };
  }
  return { recordedStatus: status };
}

/** Invitations: sending, answering (by code, as the invited email) and revoking. */
export class InvitationService {
  constructor(private readonly ctx: WorkspacesContext) {}

  async invite(input: InviteMemberInput): Promise<Invitation> {
    authorize(this.ctx, 'create', 'Invitation', { accountId: input.accountId }, 'Account');
    const email = normalizeEmail(input.email);
    const accountRole = input.accountRole ?? AccountRole.MEMBER;
    // Nobody hands out more than they hold (lib/hand-out.ts), by invitation neither.
    assertMayHandOut(this.ctx, accountRoleAuthority(input.accountId, accountRole), {
      action: 'create',
      subject: 'Invitation',
    });
    const days = input.expiresInDays ?? 7;
    if (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS) {
      throw badInput('expiresInDays', `Must be 1 to ${MAX_EXPIRY_DAYS} days`);
    }
    const workspaceId = input.workspaceId ?? null;
    const workspaceRole = input.workspaceRole ?? null;
    if ((workspaceId === null) !== (workspaceRole === null)) {
      throw badInput(
        workspaceId === null ? 'workspaceId' : 'workspaceRole',
        'Give both a workspace and a workspace role, or neither',
      );
    }
    // Emailed invitations get their code when the mail goes out (invitation-mail.ts): until then
    // the stored hash is of a code nobody holds.
    const emailed = Boolean(this.ctx.mail);
    const code = newCredential(INVITATION_CODE_PREFIX);
    const invitation = await this.ctx.transaction(async (em) => {
      const account = await lockAccount(em, input.accountId);
      if (workspaceId !== null) {
        const ws = isUuid(workspaceId)
          ? await em.findOne(Workspace, { id: workspaceId, accountId: account.id })
          : null;
        if (!ws) throw badInput('workspaceId', 'No such workspace in this account');
        this.assertMayGiveWorkspaceRole(account.id, ws.id, workspaceRole!);
      }
      const now = new Date();
      const pending = await em.count(Invitation, {
        accountId: account.id,
        email,
        ...statusFilter(InvitationStatus.PENDING, now),
      });
      if (pending)
        throw conflict(
          'email',
          'A pending invitation for this email exists; revoke it to send another',
        );
      const inv = em.create(Invitation, {
        accountId: account.id,
        email,
        accountRole,
        workspaceId,
        workspaceRole,
        codeHash: sha256(code),
        expiresAt: new Date(now.getTime() + days * DAY_MS),
        invitedById: this.ctx.principal.id,
        delivery: emailed ? InvitationDelivery.EMAIL : InvitationDelivery.MANUAL,
        mailDueAt: emailed ? now : null,
      } as Invitation);
      recordEvent(em, 'invitation.created', {
        invitationId: inv.id,
        accountId: inv.accountId,
        email,
        accountRole,
        workspaceId,
        workspaceRole,
        expiresAt: inv.expiresAt.toISOString(),
        invitedById: inv.invitedById,
        delivery: inv.delivery,
      });
      return inv;
    });
    if (!emailed) invitation.code = code;
    return invitation;
  }

  /**
   * Inviting into a workspace gives a workspace role there, so it takes what giving one takes
   * (setWorkspaceRole): the right to manage the workspace's members and every permission of the
   * role, in that workspace. A workspace the inviter cannot see reads as one that does not exist,
   * and the attempt is audited.
   */
  private assertMayGiveWorkspaceRole(
    accountId: string,
    workspaceId: string,
    role: WorkspaceRole,
  ): void {
    if (this.ctx.principal.type === 'system') return;
    if (!this.ctx.grants.workspaces[workspaceId]) {
      throw withDenial(badInput('workspaceId', 'No such workspace in this account'), {
        reason: 'NOT_A_MEMBER',
        action: 'create',
        subject: 'Invitation',
        permission: permissionFor('create', 'WorkspaceAccess', 'WORKSPACE'),
        accountId,
        workspaceId,
      });
    }
    authorize(this.ctx, 'create', 'WorkspaceAccess', { workspaceId }, 'Workspace');
    assertMayHandOut(
      this.ctx,
      workspaceAuthority(accountId, workspaceId, WORKSPACE_ROLE_PERMISSIONS[role]),
      { action: 'create', subject: 'Invitation' },
    );
  }

  /** Accepts as the signed-in user whose email is the invited one; returns the account joined. */
  async accept(input: InvitationCodeInput): Promise<Account> {
    const userId = requireUser(this.ctx);
    const joined = await conflictOnDuplicate(
      'code',
      'This invitation was answered at the same time',
      () =>
        this.ctx.transaction(async (em) => {
          const inv = await this.pendingForCaller(em, input.code);
          const account = await lockAccount(em, inv.accountId);
          await addMember(
            em,
            {
              accountId: inv.accountId,
              principalId: userId,
              principalType: ActorType.USER,
              role: inv.accountRole,
            },
            true,
          );
          inv.recordedStatus = InvitationStatus.ACCEPTED;
          inv.respondedAt = new Date();
          recordEvent(em, 'invitation.accepted', {
            invitationId: inv.id,
            accountId: inv.accountId,
            userId,
            accountRole: inv.accountRole,
            workspaceId: inv.workspaceId ?? null,
            workspaceRole: inv.workspaceRole ?? null,
          });
          return { account, inv };
        }),
    );
    await this.widenGrants(joined.inv);
    return joined.account;
  }

  /**
   * The caller's grants were read before they joined: the rest of this request (the fields
   * selected on the account just joined, its workspaces, `myRole`) sees the membership and the
   * workspace role the invitation gave, as the next request will.
   */
  private async widenGrants(inv: Invitation): Promise<void> {
    const workspaces = await this.ctx.em.find(
      Workspace,
      { accountId: inv.accountId },
      { fields: ['id', 'defaultRole'] },
    );
    const gained = computeGrants(
      [
        {
          accountId: inv.accountId,
          role: inv.accountRole,
          workspaces: workspaces.map((w) => ({ id: w.id, defaultRole: w.defaultRole ?? null })),
        },
      ],
      {
        workspaceBindings:
          inv.workspaceId && inv.workspaceRole
            ? [{ workspaceId: inv.workspaceId, accountId: inv.accountId, role: inv.workspaceRole }]
            : [],
        accountPermissions: [],
      },
    );
    const grants: Grants = {
      accounts: { ...this.ctx.grants.accounts, ...gained.accounts },
      workspaces: { ...this.ctx.grants.workspaces, ...gained.workspaces },
    };
    // Apollo hands resolvers a copy of the context: widen that copy, and rebuild the loader that
    // filters by the ability on it.
    this.ctx.grants = grants;
    this.ctx.ability = abilityFor(this.ctx.principal, grants);
    const ctx = this.ctx;
    this.ctx.loaders.visibleWorkspacesByAccount = visibleWorkspacesLoader(() => ctx);
  }

  /** The pending invitations sent to the caller's email address (a user's own inbox). */
  async forViewer(viewerId: string): Promise<Invitation[]> {
    const { principal } = this.ctx;
    const email = principal.email?.trim().toLowerCase();
    if (principal.type !== 'user' || viewerId !== principal.id || !email) return [];
    return this.ctx.em.find(
      Invitation,
      { email, ...statusFilter(InvitationStatus.PENDING, new Date()) },
      { orderBy: { createdAt: 'desc', id: 'asc' }, limit: 100 },
    );
  }

  async reject(input: InvitationCodeInput): Promise<Invitation> {
    const userId = requireUser(this.ctx);
    return this.ctx.transaction(async (em) => {
      const inv = await this.pendingForCaller(em, input.code);
      inv.recordedStatus = InvitationStatus.REJECTED;
      inv.respondedAt = new Date();
      recordEvent(em, 'invitation.rejected', {
        invitationId: inv.id,
        accountId: inv.accountId,
        userId,
      });
      return inv;
    });
  }

  async revoke(id: string): Promise<Invitation> {
    return this.ctx.transaction(async (em) => {
      const inv = isUuid(id) ? await em.findOne(Invitation, { id }, forUpdate(em)) : null;
      if (!inv) throw notFound('Invitation');
      authorize(this.ctx, 'update', 'Invitation', { accountId: inv.accountId }, 'Invitation');
      if (inv.status !== InvitationStatus.PENDING) {
        throw conflict('id', `The invitation is ${inv.status.toLowerCase()}, not pending`);
      }
      inv.recordedStatus = InvitationStatus.REVOKED;
      inv.respondedAt = new Date();
      recordEvent(em, 'invitation.revoked', {
        invitationId: inv.id,
        accountId: inv.accountId,
        revokedById: this.ctx.principal.id,
      });
      return inv;
    });
  }

  list(
    accountId: string,
    status: InvitationStatus | null | undefined,
    args: ConnectionArgs,
  ): Promise<Connection<Invitation>> {
    authorize(this.ctx, 'read', 'Invitation', { accountId }, 'Account');
    const where = { accountId, ...(status ? statusFilter(status, new Date()) : {}) };
    return paginate(this.ctx.em, Invitation, where, args);
  }

  /**
   * The workspace of an invitation, for its invitee and for callers who can see the workspace
   * (a member listing invitations does not learn of workspaces closed to them).
   */
  async workspace(inv: Invitation): Promise<Workspace | null> {
    if (!inv.workspaceId) return null;
    const invitee = this.ctx.principal.email?.trim().toLowerCase() === inv.email;
    if (!invitee && !this.ctx.ability.can('read', subject('Workspace', { id: inv.workspaceId })))
      return null;
    return this.ctx.loaders.workspaceById.load(inv.workspaceId);
  }

  /**
   * The pending invitation behind a code, for the user it was sent to. The code is a bearer
   * secret, so a wrong email is told apart from an unknown code.
   */
  private async pendingForCaller(em: EntityManager, code: string): Promise<Invitation> {
    if (!code.startsWith(INVITATION_CODE_PREFIX)) throw notFound('Invitation');
    const inv = await em.findOne(Invitation, { codeHash: sha256(code) }, forUpdate(em));
    if (!inv) throw notFound('Invitation');
    const email = this.ctx.principal.email?.trim().toLowerCase();
    if (!email || email !== inv.email) {
      throw forbidden('accept:invitation', 'This invitation was sent to a different email address');
    }
    if (inv.status !== InvitationStatus.PENDING) {
      throw conflict('code', `This invitation is ${inv.status.toLowerCase()}, not pending`);
    }
    return inv;
  }
}
