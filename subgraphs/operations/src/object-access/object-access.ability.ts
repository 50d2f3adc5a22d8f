import { createMongoAbility, subject as asSubject, type RawRuleOf } from '@casl/ability';
import { authorize, type AppAbility } from '../../../../lib/ability.js';
import { notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import type { Grants, Principal } from '../../../../lib/principal.js';
import { Deployment } from '../deployments/deployment.entity.js';
import {
  AccessObjectType,
  LEVEL_RANK,
  ObjectAccess,
  type AccessLevel,
  type StoredAccessEntry,
} from './object-access.entity.js';

/** Which CASL actions each access level allows on an object (its role must allow them too). */
const ACTIONS_BY_LEVEL: Record<AccessLevel, string[]> = {
  VIEW: ['read', 'readSecret'],
  RUN: ['read', 'readSecret', 'run'],
  MANAGE: ['read', 'readSecret', 'run', 'update', 'delete', 'writeSecret'],
};
const ALL_ACTIONS = ACTIONS_BY_LEVEL.MANAGE;

/**
 * Who an access list must name for the principal, and its teams (teams are the access
 * subgraph's: the grants carry the caller's team ids per account). An automation is listed as
 * whom it acts for.
 */
function listedAs(
  principal: Principal,
  grants: Grants,
  workspaceId: string,
): { type: string; id: string; teams: Set<string> } {
  if (principal.type === 'automation') {
    const a = principal.actsFor;
    return { type: a?.type ?? 'automation', id: a?.id ?? '', teams: new Set(a?.teamIds ?? []) };
  }
  const accountId = grants.workspaces[workspaceId]?.accountId;
  const teams = accountId ? (grants.accounts[accountId]?.teamIds ?? []) : [];
  return { type: principal.type, id: principal.id, teams: new Set(teams) };
}

/** The highest level the principal holds on a list, directly or through a team. */
export function levelOf(
  principal: Principal,
  grants: Grants,
  workspaceId: string,
  entries: StoredAccessEntry[],
): AccessLevel | null {
  const who = listedAs(principal, grants, workspaceId);
  let best: AccessLevel | null = null;
  for (const e of entries) {
    const mine =
      (e.actorType === 'USER' && who.type === 'user' && e.actorId === who.id) ||
      (e.actorType === 'SERVICE_ACCOUNT' &&
        who.type === 'service_account' &&
        e.actorId === who.id) ||
      (e.actorType === 'TEAM' && who.teams.has(e.actorId));
    if (mine && (!best || LEVEL_RANK[e.level] > LEVEL_RANK[best])) best = e.level;
  }
  return best;
}

/** Workspace Owners are never locked out of an object by its access list. */
export const bypassesAcl = (principal: Principal, grants: Grants, workspaceId: string) =>
  principal.type === 'system' || grants.workspaces[workspaceId]?.role === 'OWNER';

/**
 * The request's ability narrowed by the access lists of `objectType` in each workspace: the
 * role's rules on `subject` there are re-issued as `id $nin [objects the caller may not …]`, so
 * both single checks and list queries (accessibleFilter → SQL `id not in …`) honour the lists.
 * One query per batch of workspaces.
 */
export async function abilitiesWithAcl(
  ctx: { ability: AppAbility; principal: Principal; grants: Grants },
  em: Em,
  objectType: AccessObjectType,
  subject: string,
  workspaceIds: readonly string[],
): Promise<AppAbility[]> {
  const restricted = [
    ...new Set(workspaceIds.filter((w) => !bypassesAcl(ctx.principal, ctx.grants, w))),
  ];
  const lists: Pick<ObjectAccess, 'workspaceId' | 'objectId' | 'entries' | 'objectType'>[] =
    restricted.length
      ? await em.find(ObjectAccess, {
          objectType:
            objectType === AccessObjectType.DEPLOYMENT
              ? { $in: [AccessObjectType.DEPLOYMENT, AccessObjectType.WORK_POOL] }
              : objectType,
          workspaceId: { $in: restricted },
        })
      : [];
  if (objectType === AccessObjectType.DEPLOYMENT) await inheritPoolLists(em, lists);
  return workspaceIds.map((workspaceId) => {
    const acls = lists.filter((l) => l.workspaceId === workspaceId);
    if (!acls.length) return ctx.ability;
    const denied = new Map<string, string[]>(ALL_ACTIONS.map((a) => [a, []]));
    for (const acl of acls) {
      const level = levelOf(ctx.principal, ctx.grants, workspaceId, acl.entries);
      const allowed = new Set(level ? ACTIONS_BY_LEVEL[level] : []);
      for (const a of ALL_ACTIONS) if (!allowed.has(a)) denied.get(a)!.push(acl.objectId);
    }
    const rules: RawRuleOf<AppAbility>[] = [];
    for (const rule of ctx.ability.rules as RawRuleOf<AppAbility>[]) {
      const cond = rule.conditions as { workspaceId?: unknown } | undefined;
      const ours = rule.subject === subject && !rule.inverted && cond?.workspaceId === workspaceId;
      if (!ours) {
        rules.push(rule);
        continue;
      }
      for (const a of ([] as string[]).concat(rule.action as string | string[])) {
        const ids = denied.get(a);
        rules.push(
          ids?.length
            ? { ...rule, action: a, conditions: { ...cond, id: { $nin: ids } } }
            : { ...rule, action: a },
        );
      }
    }
    return createMongoAbility(rules);
  });
}

/**
 * A deployment without its own list follows its work pool's: the pool lists loaded with the
 * deployment lists are replaced, in place, by one list per deployment of those pools that has
 * none of its own (one query, only when some pool of the workspaces has a list).
 */
async function inheritPoolLists(
  em: Em,
  lists: Pick<ObjectAccess, 'workspaceId' | 'objectId' | 'entries' | 'objectType'>[],
): Promise<void> {
  const pools = lists.filter((l) => l.objectType === AccessObjectType.WORK_POOL);
  if (!pools.length) return;
  const own = lists.filter((l) => l.objectType === AccessObjectType.DEPLOYMENT);
  const inheriting = await em.find(Deployment, {
    workPoolId: { $in: pools.map((p) => p.objectId) },
    ...(own.length ? { id: { $nin: own.map((l) => l.objectId) } } : {}),
  });
  const byPool = new Map(pools.map((p) => [p.objectId, p]));
  lists.splice(0, lists.length, ...own);
  for (const d of inheriting)
    lists.push({
      objectType: AccessObjectType.DEPLOYMENT,
      workspaceId: d.workspaceId,
      objectId: d.id,
      entries: byPool.get(d.workPoolId!)!.entries,
    });
}

/**
 * The level the caller holds on one object's effective list: 'ALL' when no list applies (or
 * the caller bypasses lists), null when a list applies and does not name the caller.
 */
export async function levelOnObject(
  ctx: { principal: Principal; grants: Grants },
  em: Em,
  objectType: AccessObjectType,
  obj: { id: string; workspaceId: string; workPoolId?: string | null },
): Promise<AccessLevel | 'ALL' | null> {
  if (bypassesAcl(ctx.principal, ctx.grants, obj.workspaceId)) return 'ALL';
  let acl = await em.findOne(ObjectAccess, { objectType, objectId: obj.id });
  if (!acl && objectType === AccessObjectType.DEPLOYMENT && obj.workPoolId)
    acl = await em.findOne(ObjectAccess, {
      objectType: AccessObjectType.WORK_POOL,
      objectId: obj.workPoolId,
    });
  return acl ? levelOf(ctx.principal, ctx.grants, obj.workspaceId, acl.entries) : 'ALL';
}

/**
 * `authorize` with an ability narrowed by access lists. An object its list hides is NOT_FOUND,
 * like any object the caller cannot see; a member whose role lacks the permission still gets
 * FORBIDDEN naming it (the list only matters where the role would allow).
 */
export function authorizeObject(
  ctx: { ability: AppAbility; principal: Principal; grants: Grants },
  narrowed: AppAbility,
  action: string,
  subjectType: string,
  target: { workspaceId: string; id: string },
  what: string = subjectType,
): void {
  const t = asSubject(subjectType, { ...target });
  if (ctx.ability.can('read', t) && !narrowed.can('read', t)) throw notFound(what);
  authorize({ ...ctx, ability: narrowed }, action, subjectType, target, what);
}
