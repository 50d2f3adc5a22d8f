import {
  UniqueConstraintViolationException,
  type EntityManager,
  type FilterQuery,
} from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, notFound, withDenial } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { customRolePermissions } from '../../../../lib/permissions.js';
import type { AccessContext } from '../context.js';
import { assertHoldsInAccount } from '../permissions/hand-out.js';
import { PermissionLevel } from '../permissions/permission.types.js';
import { PrincipalType, targetOf } from '../common/principals.js';
import { CustomRole } from '../roles/custom-role.entity.js';
import { Team } from '../teams/team.entity.js';
import { affectedPrincipals } from '../workspace-access/affected.js';
import type {
  RemoveAccountCustomRoleInput,
  SetAccountCustomRoleInput,
} from './account-access.inputs.js';
import { AccountRoleBinding } from './account-role-binding.entity.js';

/** Custom account roles given to members and teams: they add to the built-in account role. */
export class AccountAccessService {
  constructor(private readonly ctx: AccessContext) {}

  async set(input: SetAccountCustomRoleInput): Promise<AccountRoleBinding> {
    const { accountId } = input;
    authorize(this.ctx, 'create', 'AccountAccess', { accountId }, 'Account');
    const target = targetOf(input);
    if (!isUuid(input.roleId)) throw badInput('roleId', 'Not a valid id');
    const write = () =>
      this.ctx.transaction(async (em) => {
        const role = await em.findOne(CustomRole, {
          id: input.roleId,
          accountId,
          level: PermissionLevel.ACCOUNT,
        });
        if (!role) throw badInput('roleId', 'No custom account role with this id in the account');
        if (
          target.principalType === PrincipalType.TEAM &&
          !(await em.count(Team, { id: target.principalId, accountId }))
        ) {
          throw withDenial(badInput('teamId', 'No team with this id in the account'), {
            reason: 'NOT_A_MEMBER',
            action: 'create',
            subject: 'AccountAccess',
            permission: 'team of the account',
            accountId,
            workspaceId: null,
          });
        }
        const act = { action: 'create', subject: 'AccountAccess' };
        assertHoldsInAccount(this.ctx, accountId, customRolePermissions(role), act);
        const existing = await em.findOne(AccountRoleBinding, {
          accountId,
          principalId: target.principalId,
        });
        // Replacing a custom role takes the old one away: only from someone who holds no more.
        if (existing && existing.roleId !== role.id)
          assertHoldsInAccount(this.ctx, accountId, await this.permissionsOf(em, existing), act);
        if (
          existing &&
          existing.roleId === role.id &&
          existing.principalType === target.principalType
        ) {
          return existing;
        }
        const before = existing?.roleId ?? null;
        const binding =
          existing ??
          em.create(AccountRoleBinding, {
            accountId,
            ...target,
            roleId: role.id,
            createdById: this.ctx.principal.id,
          } as AccountRoleBinding);
        if (existing) {
          existing.roleId = role.id;
          existing.principalType = target.principalType;
        }
        recordEvent(em, existing ? 'account-access.updated' : 'account-access.created', {
          bindingId: binding.id,
          accountId,
          principalType: binding.principalType,
          principalId: binding.principalId,
          roleId: role.id,
          before,
        });
        recordEvent(em, 'grants.changed', {
          principalIds: await affectedPrincipals(em, [binding]),
        });
        return binding;
      });
    try {
      return await write();
    } catch (err) {
      // A concurrent call created the binding first: now it exists, so this one updates it.
      if (err instanceof UniqueConstraintViolationException) return write();
      throw err;
    }
  }

  async remove(input: RemoveAccountCustomRoleInput): Promise<string> {
    authorize(this.ctx, 'delete', 'AccountAccess', { accountId: input.accountId }, 'Account');
    const target = targetOf(input);
    return this.ctx.transaction(async (em) => {
      const where = { accountId: input.accountId, principalId: target.principalId };
      const existing = await em.findOne(AccountRoleBinding, where);
      if (!existing) throw notFound('Account access');
      assertHoldsInAccount(this.ctx, input.accountId, await this.permissionsOf(em, existing), {
        action: 'delete',
        subject: 'AccountAccess',
      });
      const [removed] = await removeAccountBindings(em, where, {
        reason: 'removed',
        actorId: this.ctx.principal.id,
      });
      return removed!.id;
    });
  }

  /** What a stored binding grants (its custom role as defined now). */
  private async permissionsOf(em: EntityManager, b: AccountRoleBinding): Promise<string[]> {
    const role = await em.findOne(CustomRole, { id: b.roleId });
    return role ? customRolePermissions(role) : [];
  }

  list(accountId: string): Promise<AccountRoleBinding[]> {
    authorize(this.ctx, 'read', 'AccountAccess', { accountId }, 'Account');
    return this.ctx.loaders.accountAccessByAccount.load(accountId);
  }

  async role(binding: AccountRoleBinding): Promise<CustomRole> {
    const role = await this.ctx.loaders.roleById.load(binding.roleId);
    if (!role) throw notFound('Role');
    return role;
  }

  team(binding: AccountRoleBinding): Promise<Team | null> {
    if (binding.principalType !== PrincipalType.TEAM) return Promise.resolve(null);
    return this.ctx.loaders.teamById.load(binding.principalId);
  }
}

/** Deletes the matching account bindings, records one event each and one `grants.changed`. */
export async function removeAccountBindings(
  em: EntityManager,
  where: FilterQuery<AccountRoleBinding>,
  cause: { reason: string; actorId?: string },
): Promise<AccountRoleBinding[]> {
  const rows = await em.find(AccountRoleBinding, where);
  if (!rows.length) return rows;
  for (const r of rows) {
    em.remove(r);
    recordEvent(em, 'account-access.deleted', {
      bindingId: r.id,
      accountId: r.accountId,
      principalType: r.principalType,
      principalId: r.principalId,
      roleId: r.roleId,
      reason: cause.reason,
      actorId: cause.actorId ?? null,
    });
  }
  recordEvent(em, 'grants.changed', { principalIds: await affectedPrincipals(em, rows) });
  return rows;
}
