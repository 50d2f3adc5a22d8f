import type { EntityManager } from '@mikro-orm/core';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { conflictOnDuplicate, isUuid } from '../../../../lib/db.js';
import { badInput, conflict, notFound } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  ACCOUNT_ROLES,
  PERMISSION_BY_NAME,
  WORKSPACE_ROLE_PERMISSIONS,
  WORKSPACE_ROLES,
  builtInRolePermissions,
  customRolePermissions,
} from '../../../../lib/permissions.js';
import type { AccountRoleName, WorkspaceRoleName } from '../../../../lib/principal.js';
import { validateName, validateOptionalText } from '../../../../lib/validation.js';
import { AccountRoleBinding } from '../account-access/account-role-binding.entity.js';
import type { AccessContext } from '../context.js';
import { assertHoldsInAccount, assertHoldsInWorkspace } from '../permissions/hand-out.js';
import { PermissionLevel } from '../permissions/permission.types.js';
import { WorkspaceRoleBinding } from '../workspace-access/workspace-role-binding.entity.js';
import { CustomRole } from './custom-role.entity.js';
import type { CreateRoleInput, UpdateRoleInput } from './role.inputs.js';
import type { Role } from './role.types.js';

const ACCOUNT_ROLE_DESCRIPTIONS: Record<AccountRoleName, string> = {
  OWNER: 'Everything in the account, including deleting it and bypassing enforced SSO.',
  ADMIN:
    'Administers members, settings, service accounts, workspaces and the audit log; owns every workspace.',
  MEMBER: 'Sees the account; works in the workspaces it is given.',
};

const WORKSPACE_ROLE_DESCRIPTIONS: Record<WorkspaceRoleName, string> = {
  OWNER: 'Developer plus members, roles and settings of the workspace.',
  DEVELOPER: 'Creates and edits flows, deployments, work pools, blocks, variables and automations.',
  RUNNER: 'Viewer plus running deployments.',
  VIEWER: 'Sees everything but secret block values.',
  WORKER: 'What a worker needs: poll pools, claim runs, report states, write logs.',
};

const NAME_TAKEN = 'A role with this name exists in the account';
const MAX_DESCRIPTION = 500;

/** The built-in roles, as `roles(accountId)` lists them (account roles first). */
export function builtInRoles(): Role[] {
  const builtIn = (
    level: PermissionLevel,
    name: string,
    description: string,
    permissions: string[],
  ) => ({
    id: null,
    name,
    description,
    level,
    builtIn: true,
    permissions,
    ownPermissions: permissions,
    inheritsFrom: null,
    createdAt: null,
    updatedAt: null,
  });
  return [
    ...ACCOUNT_ROLES.map((n) =>
      builtIn(
        PermissionLevel.ACCOUNT,
        n,
        ACCOUNT_ROLE_DESCRIPTIONS[n],
        ACCOUNT_ROLE_PERMISSIONS[n],
      ),
    ),
    ...WORKSPACE_ROLES.map((n) =>
      builtIn(
        PermissionLevel.WORKSPACE,
        n,
        WORKSPACE_ROLE_DESCRIPTIONS[n],
        WORKSPACE_ROLE_PERMISSIONS[n],
      ),
    ),
  ];
}

/** A custom role as clients see it, with its permissions as of now (inherited ones included). */
export function toRole(r: CustomRole): Role {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    builtIn: false,
    permissions: customRolePermissions(r),
    ownPermissions: [...r.permissions],
    inheritsFrom: r.inheritsFrom,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Catalogue names of the role's level, de-duplicated and sorted (BAD_USER_INPUT otherwise). */
function validatePermissions(level: PermissionLevel, names: string[]): string[] {
  if (names.length > PERMISSION_BY_NAME.size) throw badInput('permissions', 'Too many permissions');
  for (const n of names) {
    const def = PERMISSION_BY_NAME.get(n);
    if (!def) throw badInput('permissions', `Unknown permission "${String(n).slice(0, 64)}"`);
    if (def.level !== level) {
      throw badInput(
        'permissions',
        `${n} is a ${def.level.toLowerCase()} permission, not a ${level.toLowerCase()} one`,
      );
    }
  }
  return [...new Set(names)].sort();
}

function validateInherits(level: PermissionLevel, name: string | null | undefined): string | null {
  if (name == null || name === '') return null;
  if (!builtInRolePermissions(level, name)) {
    throw badInput(
      'inheritsFrom',
      `${String(name).slice(0, 32)} is not a built-in ${level.toLowerCase()} role`,
    );
  }
  return name;
}

function validateRoleName(value: string): string {
  const name = validateName(value);
  const builtIn: readonly string[] = [...ACCOUNT_ROLES, ...WORKSPACE_ROLES];
  if (builtIn.includes(name.toUpperCase())) throw conflict('name', 'A built-in role has this name');
  return name;
}

/** Built-in and custom roles of an account; custom roles are created, changed and deleted here. */
export class RoleService {
  constructor(private readonly ctx: AccessContext) {}

  async list(accountId: string): Promise<Role[]> {
    authorize(this.ctx, 'read', 'Role', { accountId }, 'Account');
    const visible = accessibleFilter(this.ctx.ability, 'read', 'Role');
    const custom = visible
      ? await this.ctx.em.find(
          CustomRole,
          { $and: [visible, { accountId }] },
          { orderBy: { level: 'asc', name: 'asc' } },
        )
      : [];
    return [...builtInRoles(), ...custom.map(toRole)];
  }

  async create(input: CreateRoleInput): Promise<Role> {
    authorize(this.ctx, 'create', 'Role', { accountId: input.accountId }, 'Account');
    const name = validateRoleName(input.name);
    const description =
      validateOptionalText(input.description, 'description', MAX_DESCRIPTION) ?? '';
    const permissions = validatePermissions(input.level, input.permissions ?? []);
    const inheritsFrom = validateInherits(input.level, input.inheritsFrom);
    if (!permissions.length && !inheritsFrom) {
      throw badInput('permissions', 'A role needs a permission or a built-in role to inherit from');
    }
    const effective = customRolePermissions({ level: input.level, inheritsFrom, permissions });
    if (input.level === PermissionLevel.ACCOUNT) {
      // A custom account role is given with manage:member; its author must hold what it grants.
      assertHoldsInAccount(this.ctx, input.accountId, effective, {
        action: 'create',
        subject: 'Role',
      });
    }
    return conflictOnDuplicate('name', NAME_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(CustomRole, { accountId: input.accountId, name })) {
          throw conflict('name', NAME_TAKEN);
        }
        const role = em.create(CustomRole, {
          accountId: input.accountId,
          name,
          description,
          level: input.level,
          permissions,
          inheritsFrom,
          createdById: this.ctx.principal.id,
        } as CustomRole);
        recordEvent(em, 'role.created', {
          roleId: role.id,
          accountId: role.accountId,
          name,
          level: role.level,
          permissions,
          inheritsFrom,
        });
        return toRole(role);
      }),
    );
  }

  async update(input: UpdateRoleInput): Promise<Role> {
    return conflictOnDuplicate('name', NAME_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        const role = await this.load(em, input.id);
        authorize(this.ctx, 'update', 'Role', { accountId: role.accountId }, 'Role');
        const before = {
          name: role.name,
          description: role.description,
          permissions: role.permissions,
          inheritsFrom: role.inheritsFrom,
        };
        const changes: Partial<CustomRole> = {};
        if (input.name != null) changes.name = validateRoleName(input.name);
        if (input.description != null) {
          changes.description =
            validateOptionalText(input.description, 'description', MAX_DESCRIPTION) ?? '';
        }
        if (input.permissions != null)
          changes.permissions = validatePermissions(role.level, input.permissions);
        if (input.inheritsFrom !== undefined)
          changes.inheritsFrom = validateInherits(role.level, input.inheritsFrom);
        const next = { ...before, ...changes };
        if (!next.permissions.length && !next.inheritsFrom) {
          throw badInput(
            'permissions',
            'A role needs a permission or a built-in role to inherit from',
          );
        }
        if (
          changes.name !== undefined &&
          changes.name !== role.name &&
          (await em.count(CustomRole, { accountId: role.accountId, name: changes.name }))
        ) {
          throw conflict('name', NAME_TAKEN);
        }
        const oldEffective = new Set(customRolePermissions(role));
        const newEffective = customRolePermissions({ level: role.level, ...next });
        const added = newEffective.filter((p) => !oldEffective.has(p));
        const kept = new Set(newEffective);
        const changed = [...added, ...[...oldEffective].filter((p) => !kept.has(p))];
        if (changed.length) await this.assertMayChange(em, role, changed);
        const fields = (Object.keys(changes) as (keyof typeof before)[]).filter(
          (f) => JSON.stringify(before[f]) !== JSON.stringify(changes[f]),
        );
        if (!fields.length) return toRole(role);
        em.assign(role, changes);
        recordEvent(em, 'role.updated', {
          roleId: role.id,
          accountId: role.accountId,
          fields,
          before: Object.fromEntries(fields.map((f) => [f, before[f]])),
          after: Object.fromEntries(fields.map((f) => [f, role[f]])),
        });
        if (added.length || newEffective.length !== oldEffective.size) {
          recordEvent(em, 'grants.changed', { accountId: role.accountId });
        }
        return toRole(role);
      }),
    );
  }

  /**
   * Refuses to delete a role that is given to anyone (CONFLICT on `id`): taking access away is
   * done binding by binding, so that deleting a role never silently locks people out.
   */
  async delete(id: string): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const role = await this.load(em, id);
      authorize(this.ctx, 'delete', 'Role', { accountId: role.accountId }, 'Role');
      const inUse =
        (await em.count(WorkspaceRoleBinding, { roleId: role.id })) +
        (await em.count(AccountRoleBinding, { roleId: role.id }));
      if (inUse) {
        throw conflict('id', `The role is given ${inUse} time(s); take it away first`);
      }
      em.remove(role);
      recordEvent(em, 'role.deleted', {
        roleId: role.id,
        accountId: role.accountId,
        name: role.name,
        level: role.level,
      });
      return role.id;
    });
  }

  /**
   * Changing a role that is in use hands its new permissions to everyone who has it, and takes
   * the dropped ones away: the editor must hold both where it is given (the account, or each
   * workspace it is bound in).
   */
  private async assertMayChange(
    em: EntityManager,
    role: CustomRole,
    changed: string[],
  ): Promise<void> {
    const act = { action: 'update', subject: 'Role' };
    if (role.level === PermissionLevel.ACCOUNT) {
      if (await em.count(AccountRoleBinding, { roleId: role.id })) {
        assertHoldsInAccount(this.ctx, role.accountId, changed, act);
      }
      return;
    }
    const rows = await em.find(
      WorkspaceRoleBinding,
      { roleId: role.id },
      { fields: ['workspaceId'] },
    );
    for (const workspaceId of new Set(rows.map((r) => r.workspaceId))) {
      assertHoldsInWorkspace(this.ctx, role.accountId, workspaceId, changed, act);
    }
  }

  private async load(em: EntityManager, id: string): Promise<CustomRole> {
    const role = isUuid(id) ? await em.findOne(CustomRole, { id }) : null;
    if (!role) throw notFound('Role');
    return role;
  }
}
