import { Entity, PrimaryKey, Property, type EntityManager } from '@mikro-orm/core';
import { isUuid } from '../../../../lib/db.js';
import {
  ACCESS_FACTS_CHANGED,
  computeGrants,
  MEMBERSHIP_FACTS_CHANGED,
  type AccessFactsChanged,
  type MembershipFact,
  type MembershipFactsChanged,
  type PrincipalGrantsFact,
} from '../../../../lib/grants.js';
import {
  accountRoleAuthority,
  assertMayHandOut,
  authorityOf,
  type Authority,
} from '../../../../lib/hand-out.js';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import type { AccountRoleName } from '../../../../lib/principal.js';
import type { UsersContext } from '../context.js';
import { ServiceAccount } from './service-account.entity.js';

const NO_ACCESS: PrincipalGrantsFact = { workspaceBindings: [], accountPermissions: [], teams: [] };
const NEVER = new Date(0);

/**
 * This subgraph's copy of a service account's grant facts: its memberships (from the workspaces
 * subgraph) and its bindings, custom account roles and teams (from the access subgraph), each
 * replaced by the newest announcement (lib/grants.ts). From them, `computeGrants` gives what the
 * gateway gives the service account's keys, so issuing a key can be checked against the issuer's
 * own grants without reading other subgraphs' tables.
 */
@Entity({ tableName: 'service_account_grants' })
export class ServiceAccountGrants {
  @PrimaryKey({ type: 'uuid' })
  serviceAccountId!: string;

  @Property({ type: 'json' })
  memberships!: MembershipFact[];

  /** When the memberships were read by the workspaces subgraph (epoch: as created here). */
  @Property({ type: 'Date' })
  membershipsAt!: Date;

  @Property({ type: 'json' })
  access!: PrincipalGrantsFact;

  @Property({ type: 'Date' })
  accessAt!: Date;
}

/** A copy that knows nothing yet (any announcement replaces its parts). */
const blank = (serviceAccountId: string): ServiceAccountGrants =>
  Object.assign(new ServiceAccountGrants(), {
    serviceAccountId,
    memberships: [],
    membershipsAt: NEVER,
    access: NO_ACCESS,
    accessAt: NEVER,
  });

/** The copy a new service account starts with: its account role, until the facts arrive. */
export function initialGrants(
  em: EntityManager,
  sa: { id: string; accountId: string },
  role: AccountRoleName,
): void {
  em.persist(
    Object.assign(blank(sa.id), {
      memberships: [{ accountId: sa.accountId, role, workspaces: [] }],
    }),
  );
}

/**
 * Everything a service account holds in its account, as its keys would get it; a service
 * account without a copy (created before copies were kept) counts as holding everything an
 * Owner holds, so that only an Owner acts on it.
 */
export async function serviceAccountAuthority(
  em: EntityManager,
  sa: { id: string; accountId: string },
): Promise<Authority> {
  const row = await em.findOne(ServiceAccountGrants, { serviceAccountId: sa.id });
  if (!row) return accountRoleAuthority(sa.accountId, 'OWNER');
  return authorityOf(computeGrants(row.memberships, row.access), sa.accountId);
}

/**
 * Issuing a key for a service account, revoking one or deleting it acts with or on its whole
 * authority: the caller must hold all of it (lib/hand-out.ts). FORBIDDEN, audited, otherwise.
 */
export async function assertHoldsServiceAccount(
  ctx: Pick<UsersContext, 'principal' | 'grants'>,
  em: EntityManager,
  sa: { id: string; accountId: string },
  action: string,
): Promise<void> {
  if (ctx.principal.type === 'system') return;
  assertMayHandOut(ctx, await serviceAccountAuthority(em, sa), {
    action,
    subject: 'ServiceAccount',
  });
}

async function rowsFor(
  em: EntityManager,
  ids: string[],
): Promise<Map<string, ServiceAccountGrants>> {
  const known = await em.find(
    ServiceAccount,
    { id: { $in: ids.filter((id) => isUuid(id)) } },
    { fields: ['id'] },
  );
  const rows = await em.find(ServiceAccountGrants, {
    serviceAccountId: { $in: known.map((s) => s.id) },
  });
  const byId = new Map(rows.map((r) => [r.serviceAccountId, r]));
  for (const s of known) {
    if (byId.has(s.id)) continue;
    const row = blank(s.id);
    em.persist(row);
    byId.set(s.id, row);
  }
  return byId;
}

const when = (iso: unknown): Date | null => {
  const d = typeof iso === 'string' ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
};

/** Applies the announcements to the copies of this subgraph's service accounts (others are people). */
export const serviceAccountGrantsConsumers: Record<string, ConsumerHandler> = {
  [MEMBERSHIP_FACTS_CHANGED]: async (p: MembershipFactsChanged, em) => {
    const at = when(p?.computedAt);
    if (!at || !Array.isArray(p.principals)) return;
    const rows = await rowsFor(
      em,
      p.principals.map((x) => x.principalId),
    );
    for (const { principalId, memberships } of p.principals) {
      const row = rows.get(principalId);
      if (!row || row.membershipsAt > at) continue;
      row.memberships = memberships;
      row.membershipsAt = at;
    }
  },
  [ACCESS_FACTS_CHANGED]: async (p: AccessFactsChanged, em) => {
    const at = when(p?.computedAt);
    if (!at || !Array.isArray(p.principals)) return;
    const rows = await rowsFor(
      em,
      p.principals.map((x) => x.principalId),
    );
    for (const { principalId, facts } of p.principals) {
      const row = rows.get(principalId);
      if (!row || row.accessAt > at) continue;
      row.access = facts;
      row.accessAt = at;
    }
  },
};
