import DataLoader from 'dataloader';
import { accessibleFilter } from '../../../lib/ability.js';
import type { BaseContext, SubgraphRuntime } from '../../../lib/module.js';
import { AccountRoleBinding } from './account-access/account-role-binding.entity.js';
import { CustomRole } from './roles/custom-role.entity.js';
import { Team, TeamMember } from './teams/team.entity.js';
import { WorkspaceRoleBinding } from './workspace-access/workspace-role-binding.entity.js';
import { ssoRuntimeOf, type SsoRuntime } from './sso/sso-runtime.js';

/** The access subgraph's request context: base context plus per-request loaders. */
export interface AccessContext extends BaseContext {
  /** SSO: sealed secrets, the OIDC relying party, the public URLs. */
  sso: SsoRuntime;
  loaders: {
    /** Bindings of each workspace the caller may see members of (SQL-filtered by the ability). */
    accessByWorkspaceId: DataLoader<string, WorkspaceRoleBinding[]>;
    /** Custom account roles given in each account the caller may see members of. */
    accountAccessByAccount: DataLoader<string, AccountRoleBinding[]>;
    /** Teams of each account the caller may see teams of, by name. */
    teamsByAccount: DataLoader<string, Team[]>;
    /** Members of each team the caller may see, oldest first. */
    membersByTeam: DataLoader<string, TeamMember[]>;
    /** Custom roles and teams by id, for fields of objects the caller already sees. */
    roleById: DataLoader<string, CustomRole | null>;
    teamById: DataLoader<string, Team | null>;
  };
}

function groupBy<K, V>(keys: readonly K[], rows: V[], key: (row: V) => K): V[][] {
  const map = new Map<K, V[]>();
  for (const r of rows) {
    const list = map.get(key(r)) ?? [];
    list.push(r);
    map.set(key(r), list);
  }
  return keys.map((k) => map.get(k) ?? []);
}

function byKey<K, V>(keys: readonly K[], rows: V[], key: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/** What the access module adds to every request context (built once at start). */
export function accessProvides(sub: SubgraphRuntime<AccessContext>) {
  return {
    get sso() {
      return ssoRuntimeOf(sub);
    },
  };
}

/** Per-request loaders. */
export function accessLoaders({ em, ability }: BaseContext): AccessContext['loaders'] {
  /** One SQL query per batch, restricted to what `action` on `subject` allows. */
  const visible = <T extends object>(
    entity: new () => T,
    subject: string,
    keyField: keyof T & string,
    orderBy: Record<string, 'asc' | 'desc'>,
  ) =>
    new DataLoader<string, T[]>(async (keys) => {
      const filter = accessibleFilter(ability, 'read', subject);
      if (!filter) return keys.map(() => []);
      const rows = await em.find(
        entity,
        { $and: [filter, { [keyField]: { $in: [...keys] } }] } as never,
        { orderBy: orderBy as never },
      );
      return groupBy(keys, rows, (r) => r[keyField] as string);
    });
  return {
    accessByWorkspaceId: visible(WorkspaceRoleBinding, 'WorkspaceAccess', 'workspaceId', {
      createdAt: 'asc',
      id: 'asc',
    }),
    accountAccessByAccount: visible(AccountRoleBinding, 'AccountAccess', 'accountId', {
      createdAt: 'asc',
      id: 'asc',
    }),
    teamsByAccount: visible(Team, 'Team', 'accountId', { name: 'asc' }),
    membersByTeam: visible(TeamMember, 'Team', 'teamId', { createdAt: 'asc', id: 'asc' }),
    roleById: new DataLoader(async (ids) =>
      byKey(ids, await em.find(CustomRole, { id: { $in: [...ids] } }), (r) => r.id),
    ),
    teamById: new DataLoader(async (ids) =>
      byKey(ids, await em.find(Team, { id: { $in: [...ids] } }), (r) => r.id),
    ),
  };
}
