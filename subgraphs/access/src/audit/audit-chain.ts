import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { forUpdate } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { OutboxEvent } from '../../../../lib/outbox.js';
import {
  gatherForCommit,
  insertStatement,
  lockDetached,
  runLastWrites,
  updateStatement,
} from '../../../../lib/plain-sql.js';
import { AuditChain, AuditEvent } from './audit-event.entity.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

/** An entry before it takes its place in the chain. */
export interface AuditDraft {
  id?: string;
  workspaceId: string | null;
  occurredAt: Date;
  eventId: string;
  actorType: ActorType;
  actorId: string;
  actorApiKeyId: string | null;
  actorIp: string | null;
  actorUserAgent: string | null;
  requestId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: Record<string, unknown>;
}

/**
 * JSON with sorted keys and no insignificant space: the same text for the same data (for the
 * JSON we store, what RFC 8785 canonicalisation gives).
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

type Hashed = Omit<AuditEvent, 'hash' | 'actor'>;
type Row = Hashed & { hash: string };

/** The fields an entry's hash covers (all it stores but the hash), as an auditor sees them. */
export function hashedFields(e: Hashed): Record<string, unknown> {
  return {
    accountId: e.accountId,
    action: e.action,
    actor: {
      apiKeyId: e.actorApiKeyId,
      id: e.actorId,
      ip: e.actorIp,
      type: e.actorType,
      userAgent: e.actorUserAgent,
    },
    eventId: e.eventId,
    id: e.id,
    occurredAt: e.occurredAt.toISOString(),
    requestId: e.requestId,
    resourceId: e.resourceId,
    resourceType: e.resourceType,
    seq: e.seq,
    summary: e.summary,
    workspaceId: e.workspaceId,
  };
}

/**
 * sha256(prevHash + canonicalJson(hashedFields(e))), hex. The fixed fields are written in
 * their sorted order directly (the same text, several times faster on long chains).
 */
export function entryHash(e: Hashed): string {
  const text =
    `{"accountId":${str(e.accountId)},"action":${str(e.action)}` +
    `,"actor":{"apiKeyId":${str(e.actorApiKeyId)},"id":${str(e.actorId)},"ip":${str(e.actorIp)}` +
    `,"type":${str(e.actorType)},"userAgent":${str(e.actorUserAgent)}}` +
    `,"eventId":${str(e.eventId)},"id":${str(e.id)},"occurredAt":${str(e.occurredAt.toISOString())}` +
    `,"requestId":${str(e.requestId)},"resourceId":${str(e.resourceId)}` +
    `,"resourceType":${str(e.resourceType)},"seq":${e.seq},"summary":${canonicalJson(e.summary)}` +
    `,"workspaceId":${str(e.workspaceId)}}`;
  return createHash('sha256')
    .update(e.prevHash + text)
    .digest('hex');
}

const str = (v: string | null | undefined) => (v == null ? 'null' : JSON.stringify(v));

/**
 * The account's chain head, locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite
 * has one writer), created on first use. Whoever holds it is the only one appending.
 */
export async function lockChain(em: EntityManager, accountId: string): Promise<AuditChain> {
  const found = await em.findOne(AuditChain, { accountId }, forUpdate(em));
  if (found) return found;
  await createHead(em, accountId);
  return em.findOneOrFail(AuditChain, { accountId }, forUpdate(em));
}

/** A new account's chain head. Two instances may create it at once: one insert wins, both then lock it. */
async function createHead(em: EntityManager, accountId: string): Promise<void> {
  await (em as Em)
    .createQueryBuilder(AuditChain)
    .insert({ accountId, headSeq: 0, headHash: '', anchorSeq: 0, anchorHash: '' })
    .onConflict('accountId')
    .ignore()
    .execute();
}

/**
 * Heads locked in a transaction (keyed by knex's transaction object): a consumer applying a
 * batch of events appends to the same chain once per event, and locks and reads its head once.
 */
const LOCKED_HEADS = new WeakMap<object, Map<string, AuditChain>>();

/**
 * The account's chain head as `lockChain` locks it, but as a detached instance written back with
 * plain statements (lib/plain-sql): the append path of every audited event, where MikroORM's
 * unit of work cost more than the writes. Within one transaction the locked head is reused.
 */
async function lockedHead(em: EntityManager, accountId: string): Promise<AuditChain> {
  const sqlEm = em as unknown as SqlEntityManager;
  const trx = sqlEm.getTransactionContext() as object | undefined;
  let heads = trx ? LOCKED_HEADS.get(trx) : undefined;
  if (trx && !heads) LOCKED_HEADS.set(trx, (heads = new Map()));
  const known = heads?.get(accountId);
  if (known) return known;
  let head = await lockDetached(sqlEm, AuditChain, { id: accountId });
  if (!head) {
    await createHead(em, accountId);
    head = await lockDetached(sqlEm, AuditChain, { id: accountId });
    if (!head) throw new Error(`audit: the chain head of ${accountId} vanished`);
  }
  heads?.set(accountId, head);
  return head;
}

/** Entries appended to a chain (its head locked for the transaction), and their announcements. */
interface Appended {
  head: AuditChain;
  entries: AuditEvent[];
  announcements: OutboxEvent[];
}

/** The key under which a plain transaction gathers its appends (`gatherForCommit`). */
const APPENDS: object = { name: 'audit appends' };

/**
 * Appends entries to one account's chain, in order, under its lock: the entries, the head's new
 * position and `announce`'s outbox rows for them (the consumer's announcements of the entries,
 * made here, in the caller's actor context) are written together, one statement on PostgreSQL.
 * In a plain transaction (the audit consumer's) what every event of the delivery appends, to
 * one chain or several, is written once, at its end, with its COMMIT (lib/plain-sql
 * `gatherForCommit`): one statement for the delivery where each event's was its own; the heads
 * kept for the transaction (`lockedHead`) number and link the entries in the meantime.
 */
export async function appendEntries(
  em: EntityManager,
  accountId: string,
  drafts: AuditDraft[],
  announce: (entry: AuditEvent) => OutboxEvent[] = () => [],
): Promise<AuditEvent[]> {
  if (!drafts.length) return [];
  const sqlEm = em as unknown as SqlEntityManager;
  const head = await lockedHead(em, accountId);
  const entries: AuditEvent[] = [];
  for (const d of drafts) {
    const e = new AuditEvent();
    Object.assign(e, d, { id: d.id ?? e.id });
    e.accountId = accountId;
    // What is hashed must be what the database gives back: JSON-safe data, whole milliseconds.
    e.summary = JSON.parse(JSON.stringify(d.summary)) as Record<string, unknown>;
    e.occurredAt = new Date(d.occurredAt.getTime());
    e.seq = head.headSeq + 1;
    e.prevHash = head.headHash;
    e.hash = entryHash(e);
    head.headSeq = e.seq;
    head.headHash = e.hash;
    head.headId = e.id;
    entries.push(e);
  }
  const appended: Appended = { head, entries, announcements: entries.flatMap(announce) };
  if (!gatherForCommit(sqlEm, APPENDS, appended, writeAppended))
    await writeAppended(sqlEm, [appended]);
  return entries;
}

/**
 * The entries, each head where they leave it, and their announcements. Nothing reads what they
 * return: they leave with the transaction's next statement, usually its COMMIT (lib/plain-sql
 * `runLastWrites`).
 */
function writeAppended(em: SqlEntityManager, all: Appended[]): Promise<void> {
  const heads = [...new Set(all.map((a) => a.head))];
  return runLastWrites(em, [
    insertStatement(
      em,
      AuditEvent,
      all.flatMap((a) => a.entries),
    ),
    ...heads.map((head) => updateStatement(em, AuditChain, head)),
    insertStatement(
      em,
      OutboxEvent,
      all.flatMap((a) => a.announcements),
    ),
  ]);
}

export type ChainBreak = 'SEQUENCE' | 'LINK' | 'HASH' | 'MISSING_TAIL';

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBrokenId: string | null;
  brokenSeq: number | null;
  reason: ChainBreak | null;
}

const VERIFY_BATCH = 2000;

/**
 * Walks the chain from the purge anchor in seq order, recomputing every hash. The first entry
 * whose seq is not the next one (a deleted or moved entry), whose prevHash is not the previous
 * entry's hash (reordered or rewritten predecessor) or whose own hash is wrong (edited) is
 * named; a chain shorter than its head names the missing last entry.
 */
export async function verifyChain(
  em: EntityManager,
  accountId: string,
): Promise<ChainVerification> {
  const head = await em.findOne(AuditChain, { accountId });
  const result = (
    checked: number,
    broken?: { id: string | null; seq: number; reason: ChainBreak },
  ): ChainVerification => ({
    ok: !broken,
    checked,
    firstBrokenId: broken?.id ?? null,
    brokenSeq: broken?.seq ?? null,
    reason: broken?.reason ?? null,
  });
  if (!head) return result(0);
  let expectedSeq = head.anchorSeq + 1;
  let prevHash = head.anchorHash;
  let checked = 0;
  let after = -1;
  for (;;) {
    // Plain rows, not entities: hydrating 10,000 entities costs several times the hashing.
    const rows = (await (em as Em)
      .createQueryBuilder(AuditEvent)
      .select('*')
      .where({ accountId, seq: { $gt: after } })
      .orderBy({ seq: 'asc' })
      .limit(VERIFY_BATCH)
      .execute('all', true)) as unknown as Row[];
    for (const row of rows) {
      checked++;
      // SQLite hands JSON columns back as text.
      if (typeof row.summary === 'string') row.summary = JSON.parse(row.summary) as never;
      if (row.seq !== expectedSeq)
        return result(checked, { id: row.id, seq: expectedSeq, reason: 'SEQUENCE' });
      if (row.prevHash !== prevHash)
        return result(checked, { id: row.id, seq: row.seq, reason: 'LINK' });
      if (entryHash(row) !== row.hash)
        return result(checked, { id: row.id, seq: row.seq, reason: 'HASH' });
      prevHash = row.hash;
      expectedSeq++;
    }
    if (rows.length < VERIFY_BATCH) break;
    after = rows[rows.length - 1]!.seq;
  }
  const lastSeq = expectedSeq - 1;
  if (lastSeq < head.headSeq) {
    // Only the head's own id is known; earlier missing entries are named by seq alone.
    const id = lastSeq === head.headSeq - 1 ? head.headId : null;
    return result(checked, { id, seq: lastSeq + 1, reason: 'MISSING_TAIL' });
  }
  if (lastSeq === head.headSeq && lastSeq > head.anchorSeq && prevHash !== head.headHash) {
    return result(checked, { id: head.headId, seq: lastSeq, reason: 'HASH' });
  }
  return result(checked);
}
