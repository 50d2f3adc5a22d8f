import {
  UniqueConstraintViolationException,
  type EntityManager,
  type FilterQuery,
} from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, notFound, withDenial } from '../../../../lib/errors.js';
import type { WorkspaceRole } from '../../../../lib/graphql-enums.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { WORKSPACE_ROLE_PERMISSIONS, customRolePermissions } from '../../../../lib/permissions.js';
import type { AccessContext } from '../context.js';
import { bindingPermissions } from '../grants/principal-bindings.js';
import { assertHoldsInWorkspace } from '../permissions/hand-out.js';
import { PermissionLevel } from '../permissions/permission.types.js';
import { PrincipalType, targetOf, type BindingTarget } from '../common/principals.js';
import { CustomRole } from '../roles/custom-role.entity.js';
import { Team } from '../teams/team.entity.js';
import { affectedPrincipals } from './affected.js';
import type {
  RemoveWorkspaceAccessInput,
  SetWorkspaceRoleInput,
} from './workspace-access.inputs.js';
import { WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

/** Who gives and takes workspace roles, and who sees them. */
export class WorkspaceAccessService {
  constructor(private readonly ctx: AccessContext) {}

  async set(input: SetWorkspaceRoleInput): Promise<WorkspaceRoleBinding> {
    authorize(
      this.ctx,
      'create',
      'WorkspaceAccess',
      { workspaceId: input.workspaceId },
      'Workspace',
    );
    const target = targetOf(input);
    if (Boolean(input.role) === Boolean(input.roleId)) {
      throw badInput('role', 'Give either a built-in role or the roleId of a custom role');
    }
    if (input.roleId && !isUuid(input.roleId)) throw badInput('roleId', 'Not a valid id');
    const accountId = this.ctx.grants.workspaces[input.workspaceId]?.accountId;
    if (!accountId) throw notFound('Workspace');
    const write = () =>
      this.ctx.transaction(async (em) => {
        let permissions = input.role ? WORKSPACE_ROLE_PERMISSIONS[input.role] : [];
        if (input.roleId) {
          const custom = await em.findOne(CustomRole, {
            id: input.roleId,
            accountId,
            level: PermissionLevel.WORKSPACE,
          });
          if (!custom)
            throw badInput('roleId', 'No custom workspace role with this id in the account');
          permissions = customRolePermissions(custom);
        }
        if (
          target.principalType === PrincipalType.TEAM &&
          !(await em.count(Team, { id: target.principalId, accountId }))
        ) {
          throw withDenial(badInput('teamId', 'No team with this id in the account'), {
            reason: 'NOT_A_MEMBER',
            action: 'create',
            subject: 'WorkspaceAccess',
            permission: 'team of the account',
            accountId,
            workspaceId: input.workspaceId,
          });
        }
        const act = { action: 'create', subject: 'WorkspaceAccess' };
        assertHoldsInWorkspace(this.ctx, accountId, input.workspaceId, permissions, act);
        // Replacing a role takes the old one away: only from someone who holds no more than you.
        const existing = await em.findOne(WorkspaceRoleBinding, {
          workspaceId: input.workspaceId,
          principalId: target.principalId,
        });
        if (existing)
          assertHoldsInWorkspace(
            this.ctx,
            accountId,
            input.workspaceId,
            await this.permissionsOf(em, existing),
            act,
          );
        return upsertBinding(em, {
          ...target,
          accountId,
          workspaceId: input.workspaceId,
          role: input.role ?? null,
          roleId: input.roleId ?? null,
          actorId: this.ctx.principal.id,
        });
      });
    try {
      return await write();
    } catch (err) {
      // A concurrent call created the same binding first: now it exists, so this one updates it.
      if (err instanceof UniqueConstraintViolationException) return write();
      throw err;
    }
  }

  async remove(input: RemoveWorkspaceAccessInput): Promise<string> {
    authorize(
      this.ctx,
      'delete',
      'WorkspaceAccess',
      { workspaceId: input.workspaceId },
      'Workspace',
    );
    const target = targetOf(input);
    return this.ctx.transaction(async (em) => {
      const where = { workspaceId: input.workspaceId, principalId: target.principalId };
      const existing = await em.findOne(WorkspaceRoleBinding, where);
      if (!existing) throw notFound('Workspace access');
      assertHoldsInWorkspace(
        this.ctx,
        existing.accountId,
        input.workspaceId,
        await this.permissionsOf(em, existing),
        { action: 'delete', subject: 'WorkspaceAccess' },
      );
      const [removed] = await removeBindings(em, where, {
        reason: 'removed',
        actorId: this.ctx.principal.id,
      });
      return removed!.id;
    });
  }

  /** What a stored binding grants (its custom role as defined now). */
  private async permissionsOf(em: EntityManager, b: WorkspaceRoleBinding): Promise<string[]> {
    const custom = b.roleId ? await em.findOne(CustomRole, { id: b.roleId }) : null;
    return bindingPermissions(b, custom);
  }

  async listForWorkspace(workspaceId: string): Promise<WorkspaceRoleBinding[]> {
    authorize(this.ctx, 'read', 'WorkspaceAccess', { workspaceId }, 'Workspace');
    return this.ctx.loaders.accessByWorkspaceId.load(workspaceId);
  }

  /** The custom role of a binding, for its `customRole` and `permissions` fields. */
  async customRole(binding: WorkspaceRoleBinding): Promise<CustomRole | null> {
    return binding.roleId ? this.ctx.loaders.roleById.load(binding.roleId) : null;
  }

  team(binding: WorkspaceRoleBinding): Promise<Team | null> {
    if (binding.principalType !== PrincipalType.TEAM) return Promise.resolve(null);
    return this.ctx.loaders.teamById.load(binding.principalId);
  }
}

/**
 * Creates or changes one binding and records the events (also used by consumers). Giving the
 * role a principal already has changes nothing and records nothing.
 */
export async function upsertBinding(
  em: EntityManager,
  b: BindingTarget & {
    accountId: string;
    workspaceId: string;
    role: WorkspaceRole | null;
    roleId: string | null;
    actorId: string;
  },
): Promise<WorkspaceRoleBinding> {
  const existing = await em.findOne(WorkspaceRoleBinding, {
    workspaceId: b.workspaceId,
    principalId: b.principalId,
  });
  if (
    existing &&
    existing.role === b.role &&
    existing.roleId === b.roleId &&
    existing.principalType === b.principalType
  )
    return existing;
  const before = existing ? { role: existing.role, roleId: existing.roleId } : null;
  const binding =
    existing ??
    em.create(WorkspaceRoleBinding, {
      accountId: b.accountId,
      workspaceId: b.workspaceId,
      principalType: b.principalType,
      principalId: b.principalId,
      role: b.role,
      roleId: b.roleId,
      createdById: b.actorId,
    } as WorkspaceRoleBinding);
  if (existing) {
    existing.role = b.role;
    existing.roleId = b.roleId;
    existing.principalType = b.principalType;
  }
  recordEvent(em, existing ? 'workspace-access.updated' : 'workspace-access.created', {
    bindingId: binding.id,
    accountId: binding.accountId,
    workspaceId: binding.workspaceId,
    principalType: binding.principalType,
    principalId: binding.principalId,
    role: binding.role,
    roleId: binding.roleId,
    before,
    actorId: b.actorId,
  });
  recordEvent(em, 'grants.changed', { principalIds: await affectedPrincipals(em, [binding]) });
  return binding;
}

/** Deletes the matching bindings, records one event each and one `grants.changed`. */
export async function removeBindings(
  em: EntityManager,
  where: FilterQuery<WorkspaceRoleBinding>,
  cause: { reason: string; actorId?: string },
): Promise<WorkspaceRoleBinding[]> {
  const rows = await em.find(WorkspaceRoleBinding, where);
  if (!rows.length) return rows;
  for (const r of rows) {
    em.remove(r);
    recordEvent(em, 'workspace-access.deleted', {
      bindingId: r.id,
      accountId: r.accountId,
      workspaceId: r.workspaceId,
      principalType: r.principalType,
      principalId: r.principalId,
      role: r.role,
      roleId: r.roleId,
      reason: cause.reason,
      actorId: cause.actorId ?? null,
    });
  }
  recordEvent(em, 'grants.changed', { principalIds: await affectedPrincipals(em, rows) });
  return rows;
}
