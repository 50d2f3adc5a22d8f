import { IsolationLevel, type FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { isUuid, isPostgres } from '../../../../lib/db.js';
import { badInput, forbidden, notFound } from '../../../../lib/errors.js';
import { pageSize, type Connection } from '../../../../lib/pagination.js';
import type { AccessContext } from '../context.js';
import { verifyChain } from './audit-chain.js';
import { AuditEvent } from './audit-event.entity.js';
import {
  AuditEventOrder,
  type AuditChainBreak,
  type AuditEventFilter,
  type AuditVerification,
} from './audit.inputs.js';

const ACTION_PREFIX = /^[a-z0-9.-]{1,120}$/;

/** Reading and verifying an account's audit log (needs read:audit_event: Owner, Admin). */
export class AuditService {
  constructor(private readonly ctx: AccessContext) {}

  async list(
    accountId: string,
    args: { first?: number | null; after?: string | null },
    filter: AuditEventFilter | null | undefined,
    order: AuditEventOrder = AuditEventOrder.NEWEST_FIRST,
  ): Promise<Connection<AuditEvent>> {
    this.authorize(accountId);
    const first = pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'AuditEvent');
    if (!readable) throw forbidden('read:audit_event');
    const where: FilterQuery<AuditEvent>[] = [
      readable as FilterQuery<AuditEvent>,
      { accountId },
      ...conditions(filter),
    ];
    const newest = order !== AuditEventOrder.OLDEST_FIRST;
    const page = [...where];
    if (args.after) {
      const seq = decodeCursor(args.after);
      page.push({ seq: newest ? { $lt: seq } : { $gt: seq } });
    }
    const [rows, totalCount] = await Promise.all([
      this.ctx.em.find(
        AuditEvent,
        { $and: page },
        { orderBy: { seq: newest ? 'desc' : 'asc' }, limit: first + 1 },
      ),
      this.ctx.em.count(AuditEvent, { $and: where }),
    ]);
    const nodes = rows.slice(0, first);
    return {
      edges: nodes.map((node) => ({ cursor: encodeCursor(node.seq), node })),
      pageInfo: {
        hasNextPage: rows.length > first,
        endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1]!.seq) : null,
      },
      totalCount,
    };
  }

  async verify(accountId: string): Promise<AuditVerification> {
    this.authorize(accountId);
    // One snapshot for the whole walk: a purge or append in between must not look like tampering.
    const result = await this.ctx.em.transactional(
      (em) => verifyChain(em, accountId),
      isPostgres(this.ctx.em) ? { isolationLevel: IsolationLevel.REPEATABLE_READ } : {},
    );
    return { ...result, reason: result.reason as AuditChainBreak | null };
  }

  private authorize(accountId: string): void {
    if (!isUuid(accountId)) throw notFound('Account');
    authorize(this.ctx, 'read', 'AuditEvent', { accountId }, 'Account');
  }
}

function conditions(filter: AuditEventFilter | null | undefined): FilterQuery<AuditEvent>[] {
  if (!filter) return [];
  const out: FilterQuery<AuditEvent>[] = [];
  if (filter.since) out.push({ occurredAt: { $gte: filter.since } });
  if (filter.until) out.push({ occurredAt: { $lt: filter.until } });
  if (filter.actorId != null) out.push({ actorId: filter.actorId });
  if (filter.actionPrefix != null) {
    // Only the characters of action names: no LIKE wildcard can get in.
    if (!ACTION_PREFIX.test(filter.actionPrefix))
      throw badInput('filter.actionPrefix', 'Lower-case letters, digits, "." and "-" only');
    out.push({ action: { $like: `${filter.actionPrefix}%` } });
  }
  if (filter.resourceType != null) out.push({ resourceType: filter.resourceType });
  if (filter.resourceId != null) out.push({ resourceId: filter.resourceId });
  if (filter.workspaceId != null) {
    if (!isUuid(filter.workspaceId)) throw badInput('filter.workspaceId', 'Not a workspace id');
    out.push({ workspaceId: filter.workspaceId });
  }
  return out;
}

function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ s: seq })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const { s } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s: unknown };
    if (typeof s === 'number' && Number.isInteger(s) && s >= 0) return s;
  } catch {
    // falls through
  }
  throw badInput('after', 'Malformed cursor');
}
