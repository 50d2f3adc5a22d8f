import {
  UniqueConstraintViolationException,
  type EntityManager,
  type FilterQuery,
} from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { badInput, notFound, unauthenticated } from '../../../../lib/errors.js';
import type { WorkspaceRole } from '../../../../lib/graphql-enums.js';
import { recordEvent } from '../../../../lib/outbox.js';
import type { AccessContext } from '../context.js';
import type {
  InternalBinding,
  RemoveWorkspaceAccessInput,
  SetWorkspaceRoleInput,
} from './workspace-access.inputs.js';
import { PrincipalType, WorkspaceRoleBinding } from './workspace-role-binding.entity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface BindingTarget {
  principalType: PrincipalType;
  principalId: string;
}

/** Reads "exactly one of userId and serviceAccountId" from an input. */
function targetOf(input: {
  userId?: string | null;
  serviceAccountId?: string | null;
}): BindingTarget {
  const { userId, serviceAccountId } = input;
  if (userId && serviceAccountId) {
    throw badInput('serviceAccountId', 'Give either userId or serviceAccountId, not both');
  }
  if (!userId && !serviceAccountId) throw badInput('userId', 'Give userId or serviceAccountId');
  if (userId && !UUID.test(userId)) throw badInput('userId', 'Not a valid id');
  if (serviceAccountId && !UUID.test(serviceAccountId))
    throw badInput('serviceAccountId', 'Not a valid id');
  return userId
    ? { principalType: PrincipalType.USER, principalId: userId }
    : { principalType: PrincipalType.SERVICE_ACCOUNT, principalId: serviceAccountId! };
}

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
    const accountId = this.ctx.grants.workspaces[input.workspaceId]?.accountId;
    if (!accountId) throw notFound('Workspace');
    const write = () =>
      this.ctx.transaction((em) =>
        upsertBinding(em, {
          ...target,
          accountId,
          workspaceId: input.workspaceId,
          role: input.role,
          actorId: this.ctx.principal.id,
        }),
      );
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
      const [removed] = await removeBindings(
        em,
        { workspaceId: input.workspaceId, ...target },
        { reason: 'removed', actorId: this.ctx.principal.id },
      );
      if (!removed) throw notFound('Workspace access');
      return removed.id;
    });
  }

  async listForWorkspace(workspaceId: string): Promise<WorkspaceRoleBinding[]> {
    authorize(this.ctx, 'read', 'WorkspaceAccess', { workspaceId }, 'Workspace');
    return this.ctx.loaders.accessByWorkspaceId.load(workspaceId);
  }

  /** For the gateway: every binding of a principal, in one query. */
  async internalBindings(principalId: string): Promise<InternalBinding[]> {
    if (this.ctx.principal.type !== 'system') throw unauthenticated('Internal operation');
    if (!UUID.test(principalId)) return [];
    const rows = await this.ctx.em.find(
      WorkspaceRoleBinding,
      { principalId },
      { fields: ['workspaceId', 'accountId', 'role'], orderBy: { workspaceId: 'asc' } },
    );
    return rows.map((r) => ({
      workspaceId: r.workspaceId,
      accountId: r.accountId,
      role: r.role,
      permissions: [],
    }));
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
    role: WorkspaceRole;
    actorId: string;
  },
): Promise<WorkspaceRoleBinding> {
  const existing = await em.findOne(WorkspaceRoleBinding, {
    workspaceId: b.workspaceId,
    principalId: b.principalId,
  });
  if (existing && existing.role === b.role && existing.principalType === b.principalType)
    return existing;
  const before = existing?.role ?? null;
  const binding =
    existing ??
    em.create(WorkspaceRoleBinding, {
      accountId: b.accountId,
      workspaceId: b.workspaceId,
      principalType: b.principalType,
      principalId: b.principalId,
      role: b.role,
      createdById: b.actorId,
    } as WorkspaceRoleBinding);
  if (existing) {
    existing.role = b.role;
    existing.principalType = b.principalType;
  }
  recordEvent(em, existing ? 'workspace-access.updated' : 'workspace-access.created', {
    bindingId: binding.id,
    accountId: binding.accountId,
    workspaceId: binding.workspaceId,
    principalType: binding.principalType,
    principalId: binding.principalId,
    role: binding.role,
    before,
    actorId: b.actorId,
  });
  recordEvent(em, 'grants.changed', { principalIds: [binding.principalId] });
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
      reason: cause.reason,
      actorId: cause.actorId ?? null,
    });
  }
  recordEvent(em, 'grants.changed', { principalIds: [...new Set(rows.map((r) => r.principalId))] });
  return rows;
}
