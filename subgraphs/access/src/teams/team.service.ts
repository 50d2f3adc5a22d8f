import type { EntityManager } from '@mikro-orm/core';
import { authorize } from '../../../../lib/ability.js';
import { conflictOnDuplicate, isUuid } from '../../../../lib/db.js';
import { badInput, conflict, notFound } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { validateName, validateOptionalText } from '../../../../lib/validation.js';
import { removeAccountBindings } from '../account-access/account-access.service.js';
import { AccountRoleBinding } from '../account-access/account-role-binding.entity.js';
import type { AccessContext } from '../context.js';
import { bindingPermissions } from '../grants/principal-bindings.js';
import { assertHoldsInAccount, assertHoldsInWorkspace } from '../permissions/hand-out.js';
import type { HandOutAct } from '../../../../lib/hand-out.js';
import { PrincipalType } from '../common/principals.js';
import { CustomRole } from '../roles/custom-role.entity.js';
import { customRolePermissions } from '../../../../lib/permissions.js';
import { removeBindings } from '../workspace-access/workspace-access.service.js';
import { WorkspaceRoleBinding } from '../workspace-access/workspace-role-binding.entity.js';
import type { CreateTeamInput, SetTeamMembersInput, UpdateTeamInput } from './team.inputs.js';
import { Team, TeamMember } from './team.entity.js';

const NAME_TAKEN = 'A team with this name exists in the account';
const MAX_DESCRIPTION = 500;
const MAX_MEMBERS = 1000;

function validateIds(ids: string[], field: string): string[] {
  for (const id of ids) if (!isUuid(id)) throw badInput(field, 'Not a valid id');
  return [...new Set(ids)];
}

/** Teams of an account and their members. */
export class TeamService {
  constructor(private readonly ctx: AccessContext) {}

  listForAccount(accountId: string): Promise<Team[]> {
    authorize(this.ctx, 'read', 'Team', { accountId }, 'Account');
    return this.ctx.loaders.teamsByAccount.load(accountId);
  }

  members(team: Team): Promise<TeamMember[]> {
    return this.ctx.loaders.membersByTeam.load(team.id);
  }

  async create(input: CreateTeamInput): Promise<Team> {
    authorize(this.ctx, 'create', 'Team', { accountId: input.accountId }, 'Account');
    const name = validateName(input.name);
    const description =
      validateOptionalText(input.description, 'description', MAX_DESCRIPTION) ?? '';
    return conflictOnDuplicate('name', NAME_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(Team, { accountId: input.accountId, name })) {
          throw conflict('name', NAME_TAKEN);
        }
        const team = em.create(Team, {
          accountId: input.accountId,
          name,
          description,
          createdById: this.ctx.principal.id,
        } as Team);
        recordEvent(em, 'team.created', {
          teamId: team.id,
          accountId: team.accountId,
          name,
        });
        return team;
      }),
    );
  }

  async update(input: UpdateTeamInput): Promise<Team> {
    return conflictOnDuplicate('name', NAME_TAKEN, () =>
      this.ctx.transaction(async (em) => {
        const team = await this.load(em, input.id);
        authorize(this.ctx, 'update', 'Team', { accountId: team.accountId }, 'Team');
        const changes: Partial<Pick<Team, 'name' | 'description'>> = {};
        if (input.name != null) changes.name = validateName(input.name);
        if (input.description != null) {
          changes.description =
            validateOptionalText(input.description, 'description', MAX_DESCRIPTION) ?? '';
        }
        const fields = (Object.keys(changes) as (keyof typeof changes)[]).filter(
          (f) => team[f] !== changes[f],
        );
        if (!fields.length) return team;
        if (
          fields.includes('name') &&
          (await em.count(Team, { accountId: team.accountId, name: changes.name! }))
        ) {
          throw conflict('name', NAME_TAKEN);
        }
        const before = Object.fromEntries(fields.map((f) => [f, team[f]]));
        em.assign(team, changes);
        recordEvent(em, 'team.updated', {
          teamId: team.id,
          accountId: team.accountId,
          fields,
          before,
          after: Object.fromEntries(fields.map((f) => [f, team[f]])),
        });
        return team;
      }),
    );
  }

  /** Deletes a team with its members and every role given to it. Returns its id. */
  async delete(id: string): Promise<string> {
    return this.ctx.transaction(async (em) => {
      const team = await this.load(em, id);
      authorize(this.ctx, 'delete', 'Team', { accountId: team.accountId }, 'Team');
      const cause = { reason: 'team-deleted', actorId: this.ctx.principal.id };
      // Bindings first: their grants.changed names the members, who are still in the team.
      await removeBindings(em, { principalId: team.id }, cause);
      await removeAccountBindings(em, { principalId: team.id }, cause);
      // Members' grants carry their team ids (access lists match them): theirs change too.
      const members = await em.find(TeamMember, { teamId: team.id }, { fields: ['principalId'] });
      if (members.length)
        recordEvent(em, 'grants.changed', { principalIds: members.map((m) => m.principalId) });
      await em.nativeDelete(TeamMember, { teamId: team.id });
      em.remove(team);
      recordEvent(em, 'team.deleted', {
        teamId: team.id,
        accountId: team.accountId,
        name: team.name,
      });
      return team.id;
    });
  }

  async setMembers(input: SetTeamMembersInput): Promise<Team> {
    const userIds = validateIds(input.userIds ?? [], 'userIds');
    const serviceAccountIds = validateIds(input.serviceAccountIds ?? [], 'serviceAccountIds');
    if (userIds.length + serviceAccountIds.length > MAX_MEMBERS) {
      throw badInput('userIds', `A team has at most ${MAX_MEMBERS} members`);
    }
    const wanted = new Map<string, PrincipalType>([
      ...userIds.map((id) => [id, PrincipalType.USER] as const),
      ...serviceAccountIds.map((id) => [id, PrincipalType.SERVICE_ACCOUNT] as const),
    ]);
    return conflictOnDuplicate('teamId', 'The team changed at the same time; try again', () =>
      this.ctx.transaction(async (em) => {
        const team = await this.load(em, input.teamId);
        authorize(this.ctx, 'update', 'Team', { accountId: team.accountId }, 'Team');
        const current = await em.find(TeamMember, { teamId: team.id });
        const removed = current.filter((m) => wanted.get(m.principalId) !== m.principalType);
        const kept = new Set(current.filter((m) => !removed.includes(m)).map((m) => m.principalId));
        const added = [...wanted].filter(([id]) => !kept.has(id));
        if (!removed.length && !added.length) return team;
        // Joining a team hands its grants out; leaving takes them away.
        await assertHoldsTeamGrants(this.ctx, em, team.accountId, [team.id], {
          action: 'update',
          subject: 'Team',
        });
        for (const m of removed) em.remove(m);
        // Removals reach the database before the inserts (a member may change type).
        if (removed.length) await em.flush();
        for (const [principalId, principalType] of added) {
          em.create(TeamMember, {
            teamId: team.id,
            accountId: team.accountId,
            principalType,
            principalId,
          } as TeamMember);
        }
        const changed = [...removed.map((m) => m.principalId), ...added.map(([id]) => id)];
        recordEvent(em, 'team.members-changed', {
          teamId: team.id,
          accountId: team.accountId,
          added: added.map(([id, type]) => ({ principalId: id, principalType: type })),
          removed: removed.map((m) => ({
            principalId: m.principalId,
            principalType: m.principalType,
          })),
        });
        recordEvent(em, 'grants.changed', { principalIds: [...new Set(changed)] });
        return team;
      }),
    );
  }

  private async load(em: EntityManager, id: string): Promise<Team> {
    const team = isUuid(id) ? await em.findOne(Team, { id }) : null;
    if (!team) throw notFound('Team');
    return team;
  }
}

/**
 * Adding or removing a member of teams hands out or takes everything the teams have (their
 * workspace and account roles): the caller must hold all of it (lib/hand-out.ts).
 */
export async function assertHoldsTeamGrants(
  ctx: Pick<AccessContext, 'principal' | 'grants'>,
  em: EntityManager,
  accountId: string,
  teamIds: string[],
  act: HandOutAct,
): Promise<void> {
  const workspace = await em.find(WorkspaceRoleBinding, { principalId: { $in: teamIds } });
  const account = await em.find(AccountRoleBinding, { principalId: { $in: teamIds } });
  const roleIds = [
    ...workspace.flatMap((b) => (b.roleId ? [b.roleId] : [])),
    ...account.map((b) => b.roleId),
  ];
  const roles = roleIds.length ? await em.find(CustomRole, { id: { $in: roleIds } }) : [];
  const roleById = new Map(roles.map((r) => [r.id, r]));
  for (const b of workspace) {
    assertHoldsInWorkspace(
      ctx,
      accountId,
      b.workspaceId,
      bindingPermissions(b, roleById.get(b.roleId ?? '')),
      act,
    );
  }
  for (const b of account) {
    const role = roleById.get(b.roleId);
    if (role) assertHoldsInAccount(ctx, accountId, customRolePermissions(role), act);
  }
}
