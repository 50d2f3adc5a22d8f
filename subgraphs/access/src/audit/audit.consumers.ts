import type { EntityManager } from '@mikro-orm/core';
import { actorTypeOf, type EventActor } from '../../../../lib/actor.js';
import type { DomainEvent } from '../../../../lib/bus.js';
import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import {
  ignoreEvent,
  OutboxEvent,
  outboxRow,
  plainStatements,
  type ConsumerHandler,
} from '../../../../lib/outbox.js';
import { AUDIT_ACTIONS, AUDIT_RECORDED, mapEvent } from './audit-actions.js';
import { appendEntries, lockChain } from './audit-chain.js';
import { AuditMembership, AuditWorkspace, type AuditEvent } from './audit-event.entity.js';
import { log } from '../../../../lib/log.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

type Payload = Record<string, unknown>;

/** The event types `project` reads. */
const PROJECTED = new Set([
  'user.signed-up',
  'account-membership.created',
  'account-membership.updated',
  'account-membership.removed',
  'workspace.created',
  'account.created',
  'account.updated',
]);

/**
 * The audit consumer group of the access subgraph: every domain event of every subgraph (a
 * `'*'` handler) becomes one entry in each account it concerns. It also keeps the projections
 * that tell which accounts those are.
 */
export const auditConsumers: Record<string, ConsumerHandler> = {
  // Statements only for most events (a plain transaction, lib/outbox `plainStatements`); those
  // whose projection or routing needs the ORM are applied in MikroORM's once that shows.
  '*': plainStatements(async (payload: Payload | null, em, event) => {
    await recordAuditEntries(em, event, payload ?? {});
  }),
  // Not audited and not projected (run activity, stored events): no transaction per event.
  ...Object.fromEntries(
    Object.entries(AUDIT_ACTIONS)
      .filter(([type, m]) => m.internal && !PROJECTED.has(type))
      .map(([type]) => [type, ignoreEvent]),
  ),
};

export async function recordAuditEntries(
  em: EntityManager,
  event: DomainEvent,
  p: Payload,
): Promise<void> {
  await project(em, event.type, p);
  const mapped = mapEvent(event.type, p);
  if (!mapped) return;
  const known = AUDIT_ACTIONS[event.type]?.knownAccountsOnly === true;
  const accountIds = await accountsOf(em, p, event.actor ?? null, known);
  if (!accountIds.length) {
    if (known) return;
    log.warn({ type: event.type }, 'audit: event concerns no account');
    return;
  }
  const actor = auditActor(event, p);
  const at = new Date(event.occurredAt);
  const workspaceId = isUuid(p.workspaceId as string) ? (p.workspaceId as string) : null;
  // Sorted, so that two consumers locking several chains never wait on each other in a cycle.
  for (const accountId of accountIds.sort()) {
    // The entry, the head's move and the entry's announcement: one statement on PostgreSQL
    // (with the other events' of the delivery, at its end: `appendEntries`).
    await appendEntries(
      em,
      accountId,
      [
        {
          workspaceId,
          // A malformed time must not stop the log (the bus would redeliver the event forever).
          occurredAt: Number.isNaN(at.getTime()) ? new Date() : at,
          eventId: event.id,
          ...actor,
          ...mapped,
        },
      ],
      workspaceEntryAnnouncement,
    );
  }
}

/**
 * An entry of a workspace is announced as `audit.recorded` (in the entry's transaction): the
 * operations subgraph stores it in the workspace's event store as `flowplane.audit.<action>`.
 */
function workspaceEntryAnnouncement(e: AuditEvent): OutboxEvent[] {
  if (!e.workspaceId) return [];
  return [
    outboxRow(AUDIT_RECORDED, {
      workspaceId: e.workspaceId,
      accountId: e.accountId,
      entryId: e.id,
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      occurredAt: e.occurredAt.toISOString(),
      actor: { type: e.actorType, id: e.actorId, apiKeyId: e.actorApiKeyId },
      requestId: e.requestId,
      summary: e.summary,
    }),
  ];
}

/** Accounts an event concerns: named, through its workspace, or every account of its user. */
async function accountsOf(
  em: EntityManager,
  p: Payload,
  actor: EventActor | null,
  knownOnly = false,
): Promise<string[]> {
  if (isUuid(p.accountId as string)) {
    // Every account has its owner's membership from the start.
    if (knownOnly && !(await em.count(AuditMembership, { accountId: p.accountId as string })))
      return [];
    return [p.accountId as string];
  }
  if (isUuid(p.workspaceId as string)) {
    const ws = await em.findOne(AuditWorkspace, { workspaceId: p.workspaceId as string });
    if (ws) return [ws.accountId];
  }
  // A probe of an unknown tenant belongs to no account (least of all the prober's own).
  if (knownOnly) return [];
  const principalId = isUuid(p.userId as string)
    ? (p.userId as string)
    : actor && (actor.type === 'user' || actor.type === 'service_account') && isUuid(actor.id)
      ? actor.id
      : null;
  if (!principalId) return [];
  const rows = await em.find(AuditMembership, { principalId });
  return rows.map((r) => r.accountId);
}

/** The entry's actor columns. The log names USER, SERVICE_ACCOUNT, SYSTEM or ANONYMOUS. */
function auditActor(event: DomainEvent, p: Payload) {
  const a = event.actor;
  const key = AUDIT_ACTIONS[event.type]?.anonymousActorKey;
  // Sign-up and sign-in are requests without a principal: the actor is who signs in.
  const signingIn = key && (!a || a.type === 'anonymous') && isUuid(p[key] as string);
  return {
    actorType: signingIn ? ActorType.USER : loggedType(a?.type ?? 'system'),
    actorId: (signingIn ? (p[key] as string) : (a?.id ?? event.source)).slice(0, 100),
    actorApiKeyId: isUuid(a?.apiKeyId) ? a!.apiKeyId : null,
    actorIp: a?.ip?.slice(0, 64) ?? null,
    actorUserAgent: a?.userAgent?.slice(0, 300) ?? null,
    requestId: a?.requestId?.slice(0, 64) ?? null,
  };
}

/** Automations (and anything unknown) are logged as the system they run in. */
function loggedType(principalType: string): ActorType {
  const t = actorTypeOf(principalType);
  return t && t !== ActorType.AUTOMATION ? t : ActorType.SYSTEM;
}

/** Keeps the membership, workspace and retention projections the entries are routed by. */
async function project(em: EntityManager, type: string, p: Payload): Promise<void> {
  switch (type) {
    case 'user.signed-up':
      // The account is provisioned later (workspaces); the sign-in that follows belongs to it.
      return addMembership(em, p.userId, p.accountId);
    case 'account-membership.created':
    case 'account-membership.updated':
      return addMembership(em, p.principalId, p.accountId);
    case 'account-membership.removed':
      if (isUuid(p.principalId as string) && isUuid(p.accountId as string))
        await em.nativeDelete(AuditMembership, {
          principalId: p.principalId as string,
          accountId: p.accountId as string,
        });
      return;
    case 'workspace.created':
      if (isUuid(p.workspaceId as string) && isUuid(p.accountId as string))
        await (em as Em)
          .createQueryBuilder(AuditWorkspace)
          .insert({ workspaceId: p.workspaceId as string, accountId: p.accountId as string })
          .onConflict('workspaceId')
          .ignore()
          .execute();
      return;
    case 'account.created':
      return setRetention(em, p.accountId, p.auditRetentionDays);
    case 'account.updated':
      return setRetention(em, p.accountId, (p.after as Payload | undefined)?.auditRetentionDays);
  }
}

async function addMembership(em: EntityManager, principalId: unknown, accountId: unknown) {
  if (!isUuid(principalId as string) || !isUuid(accountId as string)) return;
  await (em as Em)
    .createQueryBuilder(AuditMembership)
    .insert({ principalId: principalId as string, accountId: accountId as string })
    .onConflict(['principalId', 'accountId'])
    .ignore()
    .execute();
}

async function setRetention(em: EntityManager, accountId: unknown, days: unknown) {
  if (!isUuid(accountId as string) || typeof days !== 'number' || !Number.isInteger(days)) return;
  if (days < 1) return;
  const chain = await lockChain(em, accountId as string);
  chain.retentionDays = days;
}
