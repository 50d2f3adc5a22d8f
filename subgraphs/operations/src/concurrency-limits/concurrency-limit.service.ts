import { randomUUID } from 'node:crypto';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import type { FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize } from '../../../../lib/ability.js';
import { byIdIn, conflictOnDuplicate, forUpdate, isUuid } from '../../../../lib/db.js';
import { badInput, conflict, forbidden, notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { pageSize, paginate } from '../../../../lib/pagination.js';
import { accountOf } from '../common/caller.js';
import type { OperationsContext } from '../context.js';
import { activeSlots } from './concurrency-limit.loaders.js';
import {
  ConcurrencyLeaseSlot,
  ConcurrencyLimit,
  ConcurrencyLimitKind,
} from './concurrency-limit.entity.js';
import {
  AcquireStatus,
  type AcquireConcurrencySlotsInput,
  type AcquireConcurrencySlotsResult,
  type ConcurrencyLimitConnection,
  type ConcurrencyLimitFilter,
  type CreateConcurrencyLimitInput,
  type UpdateConcurrencyLimitInput,
} from './concurrency-limit.inputs.js';

const MAX_LIMIT = 1_000_000;
const MAX_LEASE_SECONDS = 86_400;

function validateLimit(value: number, field = 'limit'): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_LIMIT)
    throw badInput(field, `A limit is an integer from 0 to ${MAX_LIMIT}`);
  return value;
}

function validateLimitName(value: string, field = 'name'): string {
  if (!value.length || value.length > 100 || value.trim() !== value)
    throw badInput(field, 'A tag or limit name is 1 to 100 characters without outer spaces');
  return value;
}

/** Tag and named concurrency limits, and the leases that hold their slots. */
export class ConcurrencyLimitService {
  constructor(private readonly ctx: OperationsContext) {}

  async create(input: CreateConcurrencyLimitInput): Promise<ConcurrencyLimit> {
    requireActor(this.ctx.principal);
    authorize(
      this.ctx,
      'create',
      'ConcurrencyLimit',
      { workspaceId: input.workspaceId },
      'Workspace',
    );
    if (!Object.values(ConcurrencyLimitKind).includes(input.kind))
      throw badInput('kind', 'TAG or GLOBAL');
    const name = validateLimitName(input.name);
    const limit = validateLimit(input.limit);
    const duplicate = `A ${input.kind} limit named "${name.slice(0, 100)}" exists in the workspace`;
    return conflictOnDuplicate('name', duplicate, () =>
      this.ctx.transaction(async (em) => {
        if (
          await em.count(ConcurrencyLimit, {
            workspaceId: input.workspaceId,
            kind: input.kind,
            name,
          })
        )
          throw conflict('name', duplicate);
        const l = em.create(ConcurrencyLimit, {
          workspaceId: input.workspaceId,
          kind: input.kind,
          name,
          limit,
          active: input.active ?? true,
        } as ConcurrencyLimit);
        recordEvent(em, 'concurrency-limit.created', this.event(l));
        return l;
      }),
    );
  }

  async update(input: UpdateConcurrencyLimitInput): Promise<ConcurrencyLimit> {
    requireActor(this.ctx.principal);
    const limit = input.limit == null ? null : validateLimit(input.limit);
    return this.ctx.transaction(async (em) => {
      const l = await this.load(em, input.id);
      authorize(
        this.ctx,
        'update',
        'ConcurrencyLimit',
        { workspaceId: l.workspaceId },
        'ConcurrencyLimit',
      );
      // Held slots stay held when a limit shrinks; new acquires wait until usage drops below it.
      if (limit !== null) l.limit = limit;
      if (input.active != null) l.active = input.active;
      recordEvent(em, 'concurrency-limit.updated', this.event(l));
      return l;
    });
  }

  async delete(id: string): Promise<string> {
    requireActor(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const l = await this.load(em, id);
      authorize(
        this.ctx,
        'delete',
        'ConcurrencyLimit',
        { workspaceId: l.workspaceId },
        'ConcurrencyLimit',
      );
      await em.nativeDelete(ConcurrencyLeaseSlot, { limitId: l.id });
      em.remove(l);
      recordEvent(em, 'concurrency-limit.deleted', this.event(l));
      return l.id;
    });
  }

  async get(id: string): Promise<ConcurrencyLimit> {
    requireAuthenticated(this.ctx.principal);
    const l = isUuid(id) ? await this.ctx.em.findOne(ConcurrencyLimit, { id }) : null;
    if (!l) throw notFound('ConcurrencyLimit');
    authorize(
      this.ctx,
      'read',
      'ConcurrencyLimit',
      { workspaceId: l.workspaceId },
      'ConcurrencyLimit',
    );
    return l;
  }

  async list(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: ConcurrencyLimitFilter | null,
  ): Promise<ConcurrencyLimitConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'ConcurrencyLimit', { workspaceId }, 'Workspace');
    pageSize(args);
    const readable = accessibleFilter(this.ctx.ability, 'read', 'ConcurrencyLimit');
    if (!readable) throw forbidden('see_concurrency_limits');
    const where: FilterQuery<ConcurrencyLimit>[] = [
      readable as FilterQuery<ConcurrencyLimit>,
      { workspaceId },
    ];
    if (filter?.kind) where.push({ kind: filter.kind });
    return paginate(this.ctx.em, ConcurrencyLimit, { $and: where }, args);
  }

  /**
   * Takes `slots` on every matching active limit, all or nothing. The limit rows are locked
   * (PostgreSQL FOR UPDATE, in id order so two acquires never deadlock; SQLite has one writer),
   * so concurrent acquires never hand out more slots than a limit has.
   */
  async acquire(input: AcquireConcurrencySlotsInput): Promise<AcquireConcurrencySlotsResult> {
    const holder = requireActor(this.ctx.principal);
    // Taking slots is part of running work: who reports run states may hold slots.
    authorize(this.ctx, 'write', 'FlowRun', { workspaceId: input.workspaceId }, 'Workspace');
    const names = [...new Set(input.names ?? [])].map((n, i) => validateLimitName(n, `names.${i}`));
    const tags = [...new Set(input.tags ?? [])].map((t, i) => validateLimitName(t, `tags.${i}`));
    if (!names.length && !tags.length) throw badInput('names', 'Give names, tags or both');
    if (names.length + tags.length > 100) throw badInput('tags', 'At most 100 names and tags');
    if (!Number.isInteger(input.slots) || input.slots < 1 || input.slots > MAX_LIMIT)
      throw badInput('slots', `Slots is an integer from 1 to ${MAX_LIMIT}`);
    if (
      !Number.isInteger(input.leaseSeconds) ||
      input.leaseSeconds < 1 ||
      input.leaseSeconds > MAX_LEASE_SECONDS
    )
      throw badInput('leaseSeconds', `A lease lasts 1 to ${MAX_LEASE_SECONDS} seconds`);
    return this.ctx.transaction(async (em) => {
      const or: FilterQuery<ConcurrencyLimit>[] = [];
      if (names.length) or.push({ kind: ConcurrencyLimitKind.GLOBAL, name: { $in: names } });
      if (tags.length) or.push({ kind: ConcurrencyLimitKind.TAG, name: { $in: tags } });
      const found = await em.find(
        ConcurrencyLimit,
        { workspaceId: input.workspaceId, $or: or },
        { orderBy: { id: 'asc' }, ...(forUpdate(em) as object) },
      );
      const missing = names.filter(
        (n) => !found.some((l) => l.kind === ConcurrencyLimitKind.GLOBAL && l.name === n),
      );
      if (missing.length && !input.skipMissing)
        throw badInput('names', `No concurrency limit named "${missing[0]!.slice(0, 100)}"`);
      const limits = found.filter((l) => l.active);
      const now = new Date();
      // Expired leases of these limits are gone for good; drop them while the rows are locked.
      if (limits.length)
        await em.nativeDelete(ConcurrencyLeaseSlot, {
          limitId: { $in: limits.map((l) => l.id) },
          expiresAt: { $lte: now },
        });
      const tooSmall = limits.filter((l) => l.limit < input.slots);
      if (tooSmall.length)
        return {
          status: AcquireStatus.REJECT,
          reason: `${input.slots} slot(s) can never fit limit "${tooSmall[0]!.name}" of ${tooSmall[0]!.limit}`,
          blockingLimits: tooSmall,
        };
      const used = await activeSlots(
        em,
        limits.map((l) => l.id),
      );
      const full = limits.filter((l) => (used.get(l.id) ?? 0) + input.slots > l.limit);
      if (full.length) {
        const next = await em.findOne(
          ConcurrencyLeaseSlot,
          { limitId: { $in: full.map((l) => l.id) }, expiresAt: { $gt: now } },
          { orderBy: { expiresAt: 'asc' } },
        );
        const wait = next ? Math.ceil((next.expiresAt.getTime() - now.getTime()) / 1000) : 1;
        return {
          status: AcquireStatus.WAIT,
          reason: `No free slot on "${full[0]!.name}" (${used.get(full[0]!.id) ?? 0} of ${full[0]!.limit} in use)`,
          retryAfterSeconds: Math.max(1, wait),
          blockingLimits: full,
        };
      }
      const leaseId = randomUUID();
      const expiresAt = new Date(now.getTime() + input.leaseSeconds * 1000);
      for (const l of limits)
        em.create(ConcurrencyLeaseSlot, {
          leaseId,
          limitId: l.id,
          workspaceId: input.workspaceId,
          slots: input.slots,
          expiresAt,
          holderType: holder.type,
          holderId: holder.id,
        } as ConcurrencyLeaseSlot);
      return {
        status: AcquireStatus.ACQUIRED,
        lease: { id: leaseId, slots: input.slots, expiresAt, limits },
        blockingLimits: [],
      };
    });
  }

  /**
   * Frees a lease's slots; false when it is unknown (or outside `workspaceId`, when given),
   * already released or expired.
   */
  async release(leaseId: string, workspaceId?: string | null): Promise<boolean> {
    requireActor(this.ctx.principal);
    const where = byIdIn(leaseId, workspaceId, 'leaseId');
    if (!where) throw notFound('ConcurrencyLease');
    return this.ctx.transaction(async (em) => {
      const rows = await em.find(ConcurrencyLeaseSlot, where);
      if (!rows.length) return false;
      authorize(
        this.ctx,
        'write',
        'FlowRun',
        { workspaceId: rows[0]!.workspaceId },
        'ConcurrencyLease',
      );
      const live = rows.some((r) => r.expiresAt > new Date());
      await em.nativeDelete(ConcurrencyLeaseSlot, where);
      return live;
    });
  }

  /**
   * Extends a live lease to `leaseSeconds` from now (needs write_flow_runs); false when it was
   * released or has expired (its slots may be someone else's by now), or is outside
   * `workspaceId` when given.
   */
  async renew(
    leaseId: string,
    leaseSeconds: number,
    workspaceId?: string | null,
  ): Promise<boolean> {
    requireActor(this.ctx.principal);
    const where = byIdIn(leaseId, workspaceId, 'leaseId');
    if (!where) throw notFound('ConcurrencyLease');
    if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1 || leaseSeconds > MAX_LEASE_SECONDS)
      throw badInput('leaseSeconds', `A lease lasts 1 to ${MAX_LEASE_SECONDS} seconds`);
    return this.ctx.transaction(async (em) => {
      const rows = await em.find(ConcurrencyLeaseSlot, where, forUpdate(em) as object);
      if (!rows.length) return false;
      authorize(
        this.ctx,
        'write',
        'FlowRun',
        { workspaceId: rows[0]!.workspaceId },
        'ConcurrencyLease',
      );
      const now = new Date();
      if (rows.some((r) => r.expiresAt <= now)) return false;
      const expiresAt = new Date(now.getTime() + leaseSeconds * 1000);
      for (const r of rows) r.expiresAt = expiresAt;
      return true;
    });
  }

  private async load(em: Em, id: string): Promise<ConcurrencyLimit> {
    const l = isUuid(id) ? await em.findOne(ConcurrencyLimit, { id }) : null;
    if (!l) throw notFound('ConcurrencyLimit');
    return l;
  }

  private event(l: ConcurrencyLimit) {
    return {
      concurrencyLimitId: l.id,
      workspaceId: l.workspaceId,
      accountId: accountOf(this.ctx.grants, l.workspaceId),
      kind: l.kind,
      name: l.name,
      limit: l.limit,
      active: l.active,
    };
  }
}
