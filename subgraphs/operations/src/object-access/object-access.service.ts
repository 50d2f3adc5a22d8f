import { isUuid } from '../../../../lib/db.js';
import { requireActor } from '../../../../lib/actor.js';
import { badInput, notFound, withDenial } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { accountOf } from '../common/caller.js';
import { AccountTeam } from './account-team.entity.js';
import type { OperationsContext } from '../context.js';
import {
  abilitiesWithAcl,
  authorizeObject,
  bypassesAcl,
  levelOf,
} from './object-access.ability.js';
import {
  AccessLevel,
  AccessObjectType,
  ObjectAccess,
  type StoredAccessEntry,
} from './object-access.entity.js';
import type {
  ObjectAccessEntry,
  RemoveObjectAccessInput,
  SetObjectAccessInput,
} from './object-access.inputs.js';

const MAX_ENTRIES = 200;

/**
 * Where each object type lives and which CASL subject guards it. Another type joins by adding
 * a line here and calling `abilitiesWithAcl` in its service.
 */
const OBJECTS: Record<
  AccessObjectType,
  {
    load: (em: Em, id: string) => Promise<{ id: string; workspaceId: string } | null>;
    subject: string;
  }
> = {
  [AccessObjectType.BLOCK_DOCUMENT]: {
    load: (em, id) => em.findOne(BlockDocument, { id }),
    subject: 'BlockDocument',
  },
  [AccessObjectType.DEPLOYMENT]: {
    load: (em, id) => em.findOne(Deployment, { id }),
    subject: 'Deployment',
  },
  [AccessObjectType.WORK_POOL]: {
    load: (em, id) => em.findOne(WorkPool, { id }),
    subject: 'WorkPool',
  },
};

/** Access lists of objects: replace, remove, read. */
export class ObjectAccessService {
  constructor(private readonly ctx: OperationsContext) {}

  async set(input: SetObjectAccessInput): Promise<ObjectAccess> {
    requireActor(this.ctx.principal);
    const entries = this.validateEntries(input.entries);
    return this.ctx.transaction(async (em) => {
      const obj = await this.authorizeManage(em, input.objectType, input.objectId);
      await this.requireOwnTeams(em, obj.workspaceId, entries);
      // Saving a list that leaves the caller without MANAGE would lock them out at once.
      if (
        !bypassesAcl(this.ctx.principal, this.ctx.grants, obj.workspaceId) &&
        levelOf(this.ctx.principal, this.ctx.grants, obj.workspaceId, entries) !==
          AccessLevel.MANAGE
      )
        throw badInput(
          'entries',
          'The list must give you MANAGE, or you would lose access to the object',
        );
      const acl =
        (await em.findOne(ObjectAccess, { objectType: input.objectType, objectId: obj.id })) ??
        em.create(ObjectAccess, {
          workspaceId: obj.workspaceId,
          objectType: input.objectType,
          objectId: obj.id,
        } as ObjectAccess);
      acl.entries = entries;
      acl.updatedAt = new Date();
      recordEvent(em, 'object-access.set', {
        ...this.eventBase(obj.workspaceId),
        objectType: input.objectType,
        objectId: obj.id,
        entries,
      });
      return acl;
    });
  }

  async remove(input: RemoveObjectAccessInput): Promise<string> {
    requireActor(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const obj = await this.authorizeManage(em, input.objectType, input.objectId);
      const deleted = await em.nativeDelete(ObjectAccess, {
        objectType: input.objectType,
        objectId: obj.id,
      });
      if (deleted)
        recordEvent(em, 'object-access.removed', {
          ...this.eventBase(obj.workspaceId),
          objectType: input.objectType,
          objectId: obj.id,
        });
      return obj.id;
    });
  }

  /** The list of an object the caller was already allowed to read; null without one. */
  listOf(objectType: AccessObjectType, objectId: string): Promise<ObjectAccess | null> {
    return this.ctx.loaders.objectAccessByObject.load(`${objectType}:${objectId}`);
  }

  present(acl: ObjectAccess): ObjectAccessEntry[] {
    return acl.entries.map((e) => ({
      level: e.level,
      user: e.actorType === 'USER' ? { id: e.actorId } : null,
      serviceAccount: e.actorType === 'SERVICE_ACCOUNT' ? { id: e.actorId } : null,
      teamId: e.actorType === 'TEAM' ? e.actorId : null,
    }));
  }

  /** Changing a list takes what changing the object takes (role and current list). */
  private async authorizeManage(em: Em, type: AccessObjectType, id: string) {
    const kind = OBJECTS[type];
    if (!kind) throw badInput('objectType', 'Unsupported object type');
    const obj = isUuid(id) ? await kind.load(em, id) : null;
    if (!obj) throw notFound('Object');
    const [ability] = await abilitiesWithAcl(this.ctx, em, type, kind.subject, [obj.workspaceId]);
    authorizeObject(
      this.ctx,
      ability!,
      'update',
      kind.subject,
      { workspaceId: obj.workspaceId, id: obj.id },
      'Object',
    );
    return obj;
  }

  /**
   * Teams on a list must be teams of the object's account (BAD_USER_INPUT naming the entry, and
   * audited as a denied request: another account's team id is a probe across tenants).
   */
  private async requireOwnTeams(
    em: Em,
    workspaceId: string,
    entries: StoredAccessEntry[],
  ): Promise<void> {
    const teamIds = entries.filter((e) => e.actorType === 'TEAM').map((e) => e.actorId);
    if (!teamIds.length) return;
    const accountId = accountOf(this.ctx.grants, workspaceId);
    const known = new Set(
      accountId
        ? (await em.find(AccountTeam, { id: { $in: teamIds }, accountId }, { fields: ['id'] })).map(
            (t) => t.id,
          )
        : [],
    );
    const i = entries.findIndex((e) => e.actorType === 'TEAM' && !known.has(e.actorId));
    if (i < 0) return;
    throw withDenial(badInput(`entries.${i}.teamId`, 'No team with this id in the account'), {
      reason: 'NOT_A_MEMBER',
      action: 'update',
      subject: 'ObjectAccess',
      permission: 'team of the account',
      accountId,
      workspaceId,
    });
  }

  private validateEntries(input: SetObjectAccessInput['entries']): StoredAccessEntry[] {
    if (input.length > MAX_ENTRIES) throw badInput('entries', `At most ${MAX_ENTRIES} entries`);
    const seen = new Set<string>();
    return input.map((e, i) => {
      const field = `entries.${i}`;
      const actors = [
        ['USER', e.userId],
        ['SERVICE_ACCOUNT', e.serviceAccountId],
        ['TEAM', e.teamId],
      ].filter(([, v]) => v != null) as [StoredAccessEntry['actorType'], string][];
      if (actors.length !== 1)
        throw badInput(field, 'Give exactly one of userId, serviceAccountId, teamId');
      const [actorType, actorId] = actors[0]!;
      if (!isUuid(actorId)) throw badInput(field, 'Not an id (UUID)');
      if (!Object.values(AccessLevel).includes(e.level))
        throw badInput(`${field}.level`, 'Unknown level');
      const key = `${actorType}:${actorId.toLowerCase()}`;
      if (seen.has(key)) throw badInput(field, 'This actor is already on the list');
      seen.add(key);
      return { level: e.level, actorType, actorId: actorId.toLowerCase() };
    });
  }

  private eventBase(workspaceId: string) {
    return {
      workspaceId,
      accountId: accountOf(this.ctx.grants, workspaceId),
      actorType: this.ctx.principal.type,
      actorId: this.ctx.principal.id,
    };
  }
}
