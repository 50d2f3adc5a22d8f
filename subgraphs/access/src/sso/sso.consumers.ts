import type { EntityManager } from '@mikro-orm/core';
import { isUuid } from '../../../../lib/db.js';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import { randomBytes } from 'node:crypto';
import { SsoDomain } from './sso-domain.entity.js';
import { SsoMember } from './sso-login.entity.js';
import { publishPolicy } from './sso-policy.js';
import { SsoSettings } from './sso-settings.entity.js';

interface MembershipEvent {
  accountId: string;
  principalId: string;
  principalType: string;
  role: string;
  active: boolean;
}

async function enforced(em: EntityManager, accountId: string): Promise<boolean> {
  return (await em.count(SsoSettings, { accountId, enforced: true })) > 0;
}

/** The account's claims follow its `allowedSsoDomains` setting (workspaces subgraph). */
async function reconcileDomains(
  em: EntityManager,
  accountId: string,
  wanted: unknown,
): Promise<void> {
  if (!isUuid(accountId) || !Array.isArray(wanted)) return;
  const want = new Set(wanted.filter((d): d is string => typeof d === 'string'));
  const current = await em.find(SsoDomain, { accountId });
  let removedVerified = false;
  for (const c of current) {
    if (want.has(c.domain)) want.delete(c.domain);
    else {
      removedVerified ||= Boolean(c.verifiedAt);
      em.remove(c);
    }
  }
  for (const domain of want)
    em.create(SsoDomain, {
      accountId,
      domain,
      token: randomBytes(16).toString('hex'),
    } as SsoDomain);
  if (removedVerified) {
    await em.flush();
    await publishPolicy(em, accountId);
  }
}

/**
 * What single sign-on takes from other subgraphs: the membership roles (who holds bypass:sso as
 * an Owner), grant changes (custom roles and teams move bypass:sso too) and the claimed domains.
 */
export const ssoConsumers: Record<string, ConsumerHandler> = {
  'account-membership.created': (p: MembershipEvent, em) => upsertMember(em, p),
  'account-membership.updated': (p: MembershipEvent, em) => upsertMember(em, p),
  'account-membership.removed': async (p: MembershipEvent, em) => {
    if (!isUuid(p.accountId) || !isUuid(p.principalId)) return;
    await em.nativeDelete(SsoMember, { accountId: p.accountId, principalId: p.principalId });
    if (await enforced(em, p.accountId)) await publishPolicy(em, p.accountId);
  },
  'grants.changed': async (p: { principalIds?: unknown; accountId?: unknown }, em) => {
    const accounts = (await em.find(SsoSettings, { enforced: true })).map((s) => s.accountId);
    if (!accounts.length) return;
    let touched = accounts;
    if (typeof p.accountId === 'string') touched = accounts.filter((a) => a === p.accountId);
    else if (Array.isArray(p.principalIds)) {
      const ids = p.principalIds.filter(isUuid);
      if (!ids.length) return;
      const rows = await em.find(SsoMember, {
        accountId: { $in: accounts },
        principalId: { $in: ids },
      });
      touched = [...new Set(rows.map((r) => r.accountId))];
    }
    for (const a of touched) await publishPolicy(em, a);
  },
  'account-members.snapshot': async (p: { accountId: string; members?: MembershipEvent[] }, em) => {
    if (!isUuid(p.accountId) || !Array.isArray(p.members)) return;
    await em.nativeDelete(SsoMember, { accountId: p.accountId });
    for (const m of p.members) {
      if (!isUuid(m.principalId)) continue;
      em.create(SsoMember, {
        accountId: p.accountId,
        principalId: m.principalId,
        principalType: m.principalType,
        role: m.role,
        active: Boolean(m.active),
      } as SsoMember);
    }
    await em.flush();
    await publishPolicy(em, p.accountId);
  },
  'account.updated': async (
    p: { accountId: string; fields?: string[]; after?: Record<string, unknown> },
    em,
  ) => {
    if (!p.fields?.includes('allowedSsoDomains')) return;
    await reconcileDomains(em, p.accountId, p.after?.allowedSsoDomains);
  },
};

async function upsertMember(em: EntityManager, p: MembershipEvent): Promise<void> {
  if (!isUuid(p.accountId) || !isUuid(p.principalId)) return;
  const row = await em.findOne(SsoMember, { accountId: p.accountId, principalId: p.principalId });
  if (row) {
    row.role = p.role;
    row.active = Boolean(p.active);
    row.principalType = p.principalType;
  } else
    em.create(SsoMember, {
      accountId: p.accountId,
      principalId: p.principalId,
      principalType: p.principalType,
      role: p.role,
      active: Boolean(p.active),
    } as SsoMember);
  await em.flush();
  if (await enforced(em, p.accountId)) await publishPolicy(em, p.accountId);
}
