import { isUuid } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { plainStatements, type ConsumerHandler } from '../../../../lib/outbox.js';
import { gatherForCommit } from '../../../../lib/plain-sql.js';
import {
  eventRows,
  storeNewEvents,
  storeNewEventsLast,
  SYSTEM_PREFIX,
} from '../event-store/emit.js';

/** What the access subgraph announces for an audit entry of a workspace (`audit.recorded`). */
interface AuditRecorded {
  workspaceId: string;
  accountId: string;
  entryId: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  occurredAt: string;
  actor: { type: string; id: string; apiKeyId: string | null };
  requestId?: string | null;
  summary?: Record<string, unknown>;
}

const kebab = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .toLowerCase();

/** Dotted ids of the actors that can be named: users and service accounts. */
function actorResource(actor: AuditRecorded['actor']): { id: string; role: string } | null {
  if (actor.type === 'USER') return { id: `${SYSTEM_PREFIX}user.${actor.id}`, role: 'actor' };
  if (actor.type === 'SERVICE_ACCOUNT')
    return { id: `${SYSTEM_PREFIX}service-account.${actor.id}`, role: 'actor' };
  return null;
}

/**
 * Stores an audit entry of a workspace as the event `flowplane.audit.<action>`: the resource is
 * the entry's target (the workspace when it names none), the actor is related and in the
 * payload. The event takes the entry's id, so a redelivered announcement stores nothing twice.
 */
export async function storeAuditEvent(em: Em, p: AuditRecorded): Promise<void> {
  if (!isUuid(p.workspaceId) || !isUuid(p.entryId) || typeof p.action !== 'string') return;
  // The workspace is gone with its events; its deletion is in the account's audit log.
  if (p.action === 'workspace.deleted') return;
  const type = kebab(String(p.resourceType || 'workspace'));
  const target =
    typeof p.resourceId === 'string' && p.resourceId
      ? `${SYSTEM_PREFIX}${type}.${p.resourceId}`
      : `${SYSTEM_PREFIX}workspace.${p.workspaceId}`;
  const actor = actorResource(p.actor ?? { type: 'SYSTEM', id: '', apiKeyId: null });
  const occurred = new Date(p.occurredAt);
  // Plain statements (lib/plain-sql): one per run created, every one audited. A redelivered
  // entry (its handled mark pruned) is skipped by `storeNewEvents`: it stores new ids only.
  // The row is made here, under this event's actor and trace (its `event.emitted` outbox row).
  const rows = eventRows({
    id: p.entryId,
    workspaceId: p.workspaceId,
    event: `${SYSTEM_PREFIX}audit.${p.action}`.slice(0, 1024),
    occurred: Number.isNaN(occurred.getTime()) ? new Date() : occurred,
    resource: { id: target.slice(0, 1024), labels: { 'flowplane.resource.type': type } },
    related: [
      ...(actor ? [actor] : []),
      { id: `${SYSTEM_PREFIX}workspace.${p.workspaceId}`, role: 'workspace' },
    ],
    payload: {
      action: p.action,
      entryId: p.entryId,
      accountId: p.accountId,
      actor: p.actor ?? null,
      requestId: p.requestId ?? null,
      summary: p.summary ?? {},
    },
  });
  // In the consumer's plain transaction the delivery's entries are stored at its end, in one
  // statement that leaves with the COMMIT (lib/plain-sql `gatherForCommit`).
  if (!gatherForCommit(em, GATHERED, rows, storeNewEventsLast)) await storeNewEvents(em, [rows]);
}

/** The key of the audit events a consumer transaction gathers (`gatherForCommit`). */
const GATHERED: object = { name: 'audit events' };

/** The operations subgraph's `events` consumer group: audit entries into the event store. */
export const eventConsumers: Record<string, ConsumerHandler> = {
  // Statements only (a plain transaction, lib/outbox `plainStatements`): one per run created.
  'audit.recorded': plainStatements((p: AuditRecorded, em) => storeAuditEvent(em as Em, p)),
};
