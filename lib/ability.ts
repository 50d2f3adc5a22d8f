import {
  AbilityBuilder,
  createMongoAbility,
  ForbiddenError,
  subject as asSubject,
  type MongoAbility,
} from '@casl/ability';
import { rulesToCondition } from '@casl/ability/extra';
import { forbiddenDenial, IP_ALLOW_LIST, notFoundDenial } from './errors.js';
import { isUuid } from './db.js';
import { isRestricted } from './ip-allow-list.js';
import { Lru } from './lru.js';
import type { Grants, Principal, RunScope } from './principal.js';
import { PERMISSION_BY_NAME } from './permissions.js';

export type AppAbility = MongoAbility;

/** Subjects that are the tenant themselves match on `id`; everything else on the tenant key. */
const SELF_KEYED: Record<string, 'Account' | 'Workspace'> = {
  Account: 'Account',
  Workspace: 'Workspace',
};

/**
 * Builds the CASL ability of one request from the grants in the internal token
 * (ARCHITECTURE.md "Identity and permissions"): one rule per granted permission, scoped to the
 * account or workspace it was granted in.
 */
export function defineAbilityFor(principal: Principal, grants: Grants): AppAbility {
  const { can, build } = new AbilityBuilder(createMongoAbility);
  if (principal.type === 'system') {
    can('manage', 'all');
    return build();
  }
  for (const [accountId, grant] of Object.entries(grants.accounts)) {
    for (const p of grant.permissions) {
      for (const [action, subject] of PERMISSION_BY_NAME.get(p)?.rules ?? []) {
        can(
          action,
          subject,
          (SELF_KEYED[subject] === 'Account' ? { id: accountId } : { accountId }) as any,
        );
      }
    }
  }
  for (const [workspaceId, grant] of Object.entries(grants.workspaces)) {
    if (grant.flowRun) {
      for (const [action, subject, conditions] of runScopedRules(grant.flowRun))
        can(
          action,
          subject,
          (SELF_KEYED[subject] === 'Workspace'
            ? { id: workspaceId }
            : { workspaceId, ...conditions }) as any,
        );
    }
    for (const p of grant.permissions) {
      for (const [action, subject] of PERMISSION_BY_NAME.get(p)?.rules ?? []) {
        can(
          action,
          subject,
          (SELF_KEYED[subject] === 'Workspace' ? { id: workspaceId } : { workspaceId }) as any,
        );
      }
    }
  }
  return build();
}

/**
 * What a run-scoped credential may do (each rule also conditioned on the workspace): read and
 * report on its one flow run (states, logs, artifacts, events, its task runs), and read the flow
 * and deployment the run belongs to, which the process starting it loads, and the workspace
 * itself (the run names it; Prefect's REST answers check it). Services pass the run
 * id on the subjects they check (`id` of a FlowRun, `flowRunId` of the rest): a check without
 * it, such as listing a workspace's runs, matches none of these rules and is refused.
 */
export function runScopedRules(
  run: RunScope,
): [action: string, subject: string, conditions: Record<string, unknown>][] {
  const own = { flowRunId: run.id };
  const rules: [string, string, Record<string, unknown>][] = [
    ['read', 'FlowRun', { id: run.id }],
    ['read', 'TaskRun', own],
    ['write', 'TaskRun', own],
    ['read', 'Log', own],
    ['create', 'Log', own],
    ['read', 'Artifact', own],
    ['create', 'Artifact', own],
    ['create', 'Event', own],
    ['read', 'Flow', { id: run.flowId }],
    ['read', 'Workspace', {}],
  ];
  if (run.deploymentId) rules.push(['read', 'Deployment', { id: run.deploymentId }]);
  // An ended run's credential only delivers what the run still reports (logs, events).
  if (!run.ended) rules.push(['write', 'FlowRun', { id: run.id }]);
  return rules;
}

const abilities = new Lru<string, AppAbility>(1000);

/**
 * The ability of a request's principal and grants, shared by requests with equal ones (a CASL
 * ability is immutable once built, and it indexes its rules lazily, so a shared one also gets
 * faster). Building one cost about 4 % of a subgraph's CPU per request. Least recently used
 * abilities beyond 1,000 are dropped.
 */
export function abilityFor(principal: Principal, grants: Grants): AppAbility {
  if (principal.type === 'system')
    return abilities.getOrCreate('system', () => defineAbilityFor(principal, grants));
  // The gateway's cached grants reach an in-process subgraph as the same object request after
  // request: found by identity, without serialising them again.
  let ability = bySameGrants.get(grants);
  if (!ability) {
    ability = abilities.getOrCreate(JSON.stringify(grants), () =>
      defineAbilityFor(principal, grants),
    );
    bySameGrants.set(grants, ability);
  }
  return ability;
}

/** Abilities by grants object (grants are never changed once made). */
const bySameGrants = new WeakMap<Grants, AppAbility>();

/** Which permission grants `action` on `subject`, for error messages. */
export function permissionFor(
  action: string,
  subject: string,
  level?: 'ACCOUNT' | 'WORKSPACE',
): string {
  for (const def of PERMISSION_BY_NAME.values()) {
    if (level && def.level !== level) continue;
    if (def.rules.some(([a, s]) => a === action && s === subject)) return def.name;
  }
  return `${action}:${subject}`;
}

interface Scope {
  accountId?: string;
  workspaceId?: string;
}

/**
 * Throws NOT_FOUND when the caller has no grant at all in the object's tenant (existence is
 * not disclosed), FORBIDDEN naming the missing permission when it is a member without it.
 */
export function authorize(
  ctx: { ability: AppAbility; grants: Grants; principal: Principal },
  action: string,
  subjectType: string,
  object: Record<string, unknown> & Scope,
  what: string = subjectType,
): void {
  if (ctx.principal.type === 'system') return;
  const workspaceId =
    subjectType === 'Workspace' ? (object.id as string | undefined) : object.workspaceId;
  const accountId =
    subjectType === 'Account' ? (object.id as string | undefined) : object.accountId;
  const member = workspaceId
    ? Boolean(ctx.grants.workspaces[workspaceId])
    : accountId
      ? Boolean(ctx.grants.accounts[accountId])
      : false;
  if (!member) {
    // A member whose grants in this tenant were withheld for the request's address.
    if (isRestricted(ctx.grants, { workspaceId, accountId })) {
      throw forbiddenDenial({
        reason: 'IP_NOT_ALLOWED',
        action,
        subject: subjectType,
        permission: IP_ALLOW_LIST,
        accountId: accountId ?? null,
        workspaceId: workspaceId ?? null,
      });
    }
    // The tenant exists or not; either way the answer is NOT_FOUND. Its owners see the probe.
    const scoped = workspaceId ? isUuid(workspaceId) : isUuid(accountId);
    throw notFoundDenial(what, {
      reason: 'NOT_A_MEMBER',
      action,
      subject: subjectType,
      permission: permissionFor(action, subjectType, workspaceId ? 'WORKSPACE' : 'ACCOUNT'),
      accountId: !workspaceId && scoped ? (accountId ?? null) : null,
      workspaceId: workspaceId && scoped ? workspaceId : null,
    });
  }
  const target = asSubject(subjectType, { ...object });
  if (!ctx.ability.can(action, target)) {
    const level = workspaceId ? 'WORKSPACE' : 'ACCOUNT';
    // Only the tenant is kept for the audit entry, never the ids or arguments asked for.
    throw forbiddenDenial({
      reason: 'MISSING_PERMISSION',
      action,
      subject: subjectType,
      permission: permissionFor(action, subjectType, level),
      accountId: workspaceId
        ? (ctx.grants.workspaces[workspaceId]?.accountId ?? null)
        : (accountId ?? null),
      workspaceId: workspaceId ?? null,
    });
  }
}

type Filter = Record<string, unknown>;

/**
 * Turns the ability into a MikroORM filter for `action` on `subjectType`, so list queries load
 * only rows the caller may see (never load-then-filter). Returns null when nothing is allowed.
 */
export function accessibleFilter(
  ability: AppAbility,
  action: string,
  subjectType: string,
): Filter | null {
  const rules = ability.rulesFor(action, subjectType);
  const result = rulesToCondition<AppAbility, Filter, Filter>(
    rules,
    (rule) => {
      const cond = (rule.conditions ?? {}) as Filter;
      return rule.inverted ? { $not: cond } : cond;
    },
    {
      and: (conds) => (conds.length === 1 ? conds[0]! : { $and: conds }),
      or: (conds) => (conds.length === 1 ? conds[0]! : { $or: conds }),
      empty: () => ({}),
    },
  );
  return result ?? null;
}

export { ForbiddenError };
