import type { EntityManager } from '@mikro-orm/core';
import { customRolePermissions } from '../../../../lib/permissions.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { AccountRoleBinding } from '../account-access/account-role-binding.entity.js';
import { PrincipalType } from '../common/principals.js';
import { CustomRole } from '../roles/custom-role.entity.js';
import { TeamMember } from '../teams/team.entity.js';
import { SsoDomain } from './sso-domain.entity.js';
import { SsoMember } from './sso-login.entity.js';
import { SsoSettings } from './sso-settings.entity.js';

/**
 * Users of the account who hold bypass:sso: active Owners (their built-in role), and active
 * members given a custom account role with it, directly or through a team.
 */
export async function bypassHolders(em: EntityManager, accountId: string): Promise<string[]> {
  const members = await em.find(SsoMember, {
    accountId,
    active: true,
    principalType: PrincipalType.USER,
  });
  const active = new Set(members.map((m) => m.principalId));
  const holders = new Set(members.filter((m) => m.role === 'OWNER').map((m) => m.principalId));
  const bindings = await em.find(AccountRoleBinding, { accountId });
  if (bindings.length) {
    const roles = await em.find(CustomRole, { id: { $in: bindings.map((b) => b.roleId) } });
    const bypassRoles = new Set(
      roles.filter((r) => customRolePermissions(r).includes('bypass:sso')).map((r) => r.id),
    );
    const granted = bindings.filter((b) => bypassRoles.has(b.roleId));
    const teamIds = granted
      .filter((b) => b.principalType === PrincipalType.TEAM)
      .map((b) => b.principalId);
    const viaTeams = teamIds.length
      ? await em.find(TeamMember, { teamId: { $in: teamIds }, principalType: PrincipalType.USER })
      : [];
    for (const id of [
      ...granted.filter((b) => b.principalType === PrincipalType.USER).map((b) => b.principalId),
      ...viaTeams.map((m) => m.principalId),
    ])
      holders.add(id);
  }
  return [...holders].filter((id) => active.has(id)).sort();
}

/**
 * Tells the users subgraph (`sso.policy-changed`) which domains of the account are enforced and
 * who may still use a password there, when that changed since the last announcement. Called in
 * the transaction of every change that can move it (settings, domains, memberships, grants).
 */
export async function publishPolicy(em: EntityManager, accountId: string): Promise<void> {
  const settings = await em.findOne(SsoSettings, { accountId });
  if (!settings) return;
  const domains = settings.enforced
    ? (await em.find(SsoDomain, { accountId, verifiedAt: { $ne: null } }))
        .map((d) => d.domain)
        .sort()
    : [];
  const bypass = domains.length ? await bypassHolders(em, accountId) : [];
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (same(domains, settings.publishedDomains) && same(bypass, settings.publishedBypass)) return;
  settings.publishedDomains = domains;
  settings.publishedBypass = bypass;
  recordEvent(em, 'sso.policy-changed', {
    accountId,
    enforced: domains.length > 0,
    domains,
    bypassUserIds: bypass,
  });
}
