import { subject } from '@casl/ability';
import { authorize } from '../../../../lib/ability.js';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';
import { badInput, conflict, notFound } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { validateHandle, validateName, validateOptionalText } from '../../../../lib/validation.js';
import { Account } from '../accounts/account.entity.js';
import type { WorkspacesContext } from '../context.js';
import { conflictOnDuplicate, isUuid } from '../../../../lib/db.js';
import { Invitation, InvitationStatus } from '../invitations/invitation.entity.js';
import { recordGrantsChanged } from '../memberships/membership.events.js';
import { assertMayHandOut, workspaceAuthority } from '../../../../lib/hand-out.js';
import { WORKSPACE_ROLE_PERMISSIONS } from '../../../../lib/permissions.js';

import { Workspace } from './workspace.entity.js';
import type { CreateWorkspaceInput, UpdateWorkspaceInput } from './workspace.inputs.js';

const HANDLE_TAKEN = 'A workspace with this handle exists in the account';
const MAX_DESCRIPTION = 2000;

/** Workspaces of an account: lookups, creation, settings and deletion. */
export class WorkspaceService {
  constructor(private readonly ctx: WorkspacesContext) {}

  /** By id, or by "account-handle/workspace-handle"; NOT_FOUND unless the caller may see it. */
  async find(id?: string | null, handle?: string | null): Promise<Workspace> {
    if (id != null) {
      authorize(this.ctx, 'read', 'Workspace', { id }, 'Workspace');
      const ws = isUuid(id) ? await this.ctx.loaders.liveWorkspaceById.load(id) : null;
      if (!ws) throw notFound('Workspace');
      return ws;
    }
    if (handle == null) throw badInput('id', 'Give the id or the handle of the workspace');
    const parts = handle.split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw badInput('handle', 'A workspace handle reads "account-handle/workspace-handle"');
    }
    const account = await this.ctx.em.findOne(Account, { handle: parts[0], deletedAt: null });
    const ws = account
      ? await this.ctx.em.findOne(Workspace, { accountId: account.id, handle: parts[1] })
      : null;
    if (!ws) throw notFound('Workspace');
    authorize(this.ctx, 'read', 'Workspace', { id: ws.id, accountId: ws.accountId }, 'Workspace');
    return ws;
  }

  /** A federation reference: the workspace, or null when the caller may not see it. */
  async reference(id: string): Promise<Workspace | null> {
    if (!this.ctx.ability.can('read', subject('Workspace', { id }))) return null;
    return this.ctx.loaders.workspaceById.load(id);
  }

  /** Workspaces of an account the caller may read (SQL-filtered from the ability, batched). */
  listVisible(accountId: string): Promise<Workspace[]> {
    return this.ctx.loaders.visibleWorkspacesByAccount.load(accountId);
  }

  async create(input: CreateWorkspaceInput): Promise<Workspace> {
    authorize(this.ctx, 'create', 'Workspace', { accountId: input.accountId }, 'Account');
    const handle = validateHandle(input.handle);
    const name = validateName(input.name);
    const description =
      validateOptionalText(input.description, 'description', MAX_DESCRIPTION) || null;
    const defaultRole = input.defaultRole === undefined ? WorkspaceRole.VIEWER : input.defaultRole;
    return conflictOnDuplicate('handle', HANDLE_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        const account = isUuid(input.accountId)
          ? await em.findOne(Account, { id: input.accountId, deletedAt: null })
          : null;
        if (!account) throw notFound('Account');
        if (await em.count(Workspace, { accountId: account.id, handle }))
          throw conflict('handle', HANDLE_TAKEN);
        const ws = em.create(Workspace, {
          accountId: account.id,
          handle,
          name,
          description,
          defaultRole,
        } as Workspace);
        recordEvent(em, 'workspace.created', {
          workspaceId: ws.id,
          accountId: ws.accountId,
          handle,
          name,
          defaultRole: ws.defaultRole ?? null,
          createdById: this.ctx.principal.id,
        });
        recordGrantsChanged(em, { accountId: ws.accountId });
        return ws;
      }),
    );
  }

  async update(input: UpdateWorkspaceInput): Promise<Workspace> {
    authorize(this.ctx, 'update', 'Workspace', { id: input.id }, 'Workspace');
    const changes: Partial<Workspace> = {};
    if (input.handle != null) changes.handle = validateHandle(input.handle);
    if (input.name != null) changes.name = validateName(input.name);
    if (input.description !== undefined) {
      changes.description =
        validateOptionalText(input.description, 'description', MAX_DESCRIPTION) || null;
    }
    if (input.defaultRole !== undefined) changes.defaultRole = input.defaultRole;
    return conflictOnDuplicate('handle', HANDLE_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        const ws = isUuid(input.id) ? await em.findOne(Workspace, { id: input.id }) : null;
        if (!ws) throw notFound('Workspace');
        if (
          changes.handle &&
          changes.handle !== ws.handle &&
          (await em.count(Workspace, { accountId: ws.accountId, handle: changes.handle }))
        ) {
          throw conflict('handle', HANDLE_TAKEN);
        }
        const fields = (Object.keys(changes) as (keyof Workspace)[]).filter(
          (f) => ws[f] !== changes[f],
        );
        if (!fields.length) return ws;
        const before = Object.fromEntries(fields.map((f) => [f, ws[f] ?? null]));
        const roleChanged = fields.includes('defaultRole');
        // The default role is given to every member without a role of their own, and the old
        // one taken away: the caller must hold both there (lib/hand-out.ts).
        if (roleChanged)
          assertMayHandOut(
            this.ctx,
            workspaceAuthority(ws.accountId, ws.id, [
              ...(changes.defaultRole ? WORKSPACE_ROLE_PERMISSIONS[changes.defaultRole] : []),
              ...(ws.defaultRole ? WORKSPACE_ROLE_PERMISSIONS[ws.defaultRole] : []),
            ]),
            { action: 'update', subject: 'Workspace' },
          );
        em.assign(ws, changes);
        recordEvent(em, 'workspace.updated', {
          workspaceId: ws.id,
          accountId: ws.accountId,
          fields,
          before,
          after: Object.fromEntries(fields.map((f) => [f, ws[f] ?? null])),
        });
        if (roleChanged) recordGrantsChanged(em, { accountId: ws.accountId });
        return ws;
      }),
    );
  }

  async delete(id: string): Promise<string> {
    authorize(this.ctx, 'delete', 'Workspace', { id }, 'Workspace');
    return this.ctx.transaction(async (em) => {
      const ws = isUuid(id) ? await em.findOne(Workspace, { id }) : null;
      if (!ws) throw notFound('Workspace');
      // Pending invitations keep their account part; the workspace part no longer exists.
      await em.nativeUpdate(
        Invitation,
        { workspaceId: ws.id, recordedStatus: InvitationStatus.PENDING },
        { workspaceId: null, workspaceRole: null },
      );
      em.remove(ws);
      recordEvent(em, 'workspace.deleted', {
        workspaceId: ws.id,
        accountId: ws.accountId,
        handle: ws.handle,
      });
      recordGrantsChanged(em, { accountId: ws.accountId });
      return ws.id;
    });
  }
}
