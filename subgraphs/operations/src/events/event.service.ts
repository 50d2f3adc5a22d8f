import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput, notFound } from '../../../../lib/errors.js';
import type { EventFilterSpec } from '../../../../lib/event-filter.js';
import type { Em } from '../../../../lib/orm.js';
import { readDetachedWhere } from '../../../../lib/plain-sql.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { pageSize, type Connection } from '../../../../lib/pagination.js';
import { eventScope } from '../common/event-scope.js';

import type { OperationsContext } from '../context.js';
import {
  eventRows,
  fitsOneStatement,
  storeNewEvents,
  storeNewEventsJoined,
  toEventJson,
  type EmitSpec,
  type EventJson,
  type EventRows,
} from '../event-store/emit.js';
import { bucketStartMs, dbTime, epochMs, num, whereEventMatches } from './event-query.js';
import { Event } from '../event-store/event.entity.js';
import {
  EventCountBy,
  EventOrder,
  TimeBucket,
  type EmitEventsInput,
  type EventCount,
  type EventFilter,
  type SetEventRetentionInput,
} from './event.inputs.js';
import {
  DEFAULT_RETENTION_DAYS,
  EventSettings,
  MAX_RETENTION_DAYS,
} from './event-settings.entity.js';
import { MAX_EVENTS_PER_CALL, validateEmitted, validateFilter } from './event.validation.js';
import { isTaskRunStateEvent, recordTaskRunEvent } from './task-run-recorder.js';
import { toFlowRunEvent, type FlowRunEvent } from './flow-run-event.types.js';

/** At most this many events per backfill call. */
export const MAX_BACKFILL = 1000;
/** At most this many groups (time buckets, names, resources) per count. */
export const MAX_BUCKETS = 1000;
/** The window of a query that names none. */
export const DEFAULT_WINDOW_MS = 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

const BUCKET_MS: Record<TimeBucket, number> = {
  MINUTE: 60 * 1000,
  HOUR: 3600 * 1000,
  DAY: DAY_MS,
};

const cursorOf = (e: Event) =>
  Buffer.from(JSON.stringify([e.occurred.toISOString(), e.seq])).toString('base64url');

function parseCursor(cursor: string): [Date, number] {
  try {
    const [t, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string,
      number,
    ];
    const d = new Date(t);
    if (Number.isNaN(d.getTime()) || !Number.isSafeInteger(seq)) throw new Error('bad');
    return [d, seq];
  } catch {
    throw badInput('after', 'Malformed cursor');
  }
}

/**
 * An event by id among the workspaces the caller belongs to, in SQL (ids are unique per
 * workspace, so the same id may name events of several tenants); the first stored when the
 * caller's own workspaces share one.
 */
export async function findEventOfCaller(
  ctx: Pick<OperationsContext, 'em' | 'principal' | 'grants'>,
  id: string,
): Promise<Event | null> {
  if (!isUuid(id)) return null;
  const system = ctx.principal.type === 'system';
  const workspaces = Object.keys(ctx.grants.workspaces).filter(isUuid);
  if (!system && !workspaces.length) return null;
  // Stored events never change: read as a detached row (one plain statement, no hydration).
  const [e] = await readDetachedWhere(
    ctx.em,
    Event,
    system ? { id } : { id, workspaceId: workspaces },
    { orderBy: 'seq', limit: 1 },
  );
  return e ?? null;
}

/** The days a workspace keeps its events (its setting, or the default). */
export async function retentionDays(em: Em, workspaceId: string): Promise<number> {
  const s = await em.findOne(EventSettings, { workspaceId });
  return s?.retentionDays ?? DEFAULT_RETENTION_DAYS;
}

/** Reads and writes of the workspace event store. */
const FLOW_RUN_RESOURCE = /^(?:prefect|flowplane)\.flow-run\.([0-9a-f-]{36})$/i;

/**
 * The one flow run an event is about: its resource, else its related resources, when they name
 * exactly one (Prefect's task-run events relate their flow run); null otherwise.
 */
export function flowRunOfEvent(spec: Pick<EmitSpec, 'resource' | 'related'>): string | null {
  const own = FLOW_RUN_RESOURCE.exec(String(spec.resource?.id ?? ''))?.[1];
  const ids = new Set<string>(own ? [own.toLowerCase()] : []);
  for (const r of spec.related ?? []) {
    const id = FLOW_RUN_RESOURCE.exec(String(r?.id ?? ''))?.[1];
    if (id) ids.add(id.toLowerCase());
  }
  return ids.size === 1 ? [...ids][0]! : null;
}

export class EventService {
  constructor(private readonly ctx: OperationsContext) {}

  /** One event by id (needs see_events in its workspace; NOT_FOUND otherwise). */
  async get(id: string): Promise<Event> {
    requireAuthenticated(this.ctx.principal);
    const e = await findEventOfCaller(this.ctx, id);
    if (!e) throw notFound('Event');
    authorize(this.ctx, 'read', 'Event', { workspaceId: e.workspaceId }, 'Event');
    return e;
  }

  /**
   * An event read as a flow-run state change: the same authorization as `get`, and null when
   * the event is another kind of event.
   */
  async flowRunEvent(id: string): Promise<FlowRunEvent | null> {
    return toFlowRunEvent(await this.get(id));
  }

  /**
   * Backfill for the gateway's subscriptions: the workspace's events stored after `since` (by
   * store order), oldest first, as they travel on the bus.
   */
  async since(
    workspaceId: string,
    since: string | null,
    limit: number,
    occurredFrom: Date | null = null,
  ): Promise<EventJson[]> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Event', { workspaceId }, 'Workspace');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BACKFILL)
      throw badInput('limit', `An integer from 1 to ${MAX_BACKFILL}`);
    if (since == null && occurredFrom == null)
      throw badInput('since', 'Give since, occurredFrom or both');
    const where: FilterQuery<Event> = { workspaceId };
    if (since != null) {
      const from = isUuid(since)
        ? await this.ctx.em.findOne(Event, { id: since, workspaceId }, { fields: ['seq'] })
        : null;
      if (!from) throw badInput('since', 'No such event in this workspace (it may have expired)');
      where.seq = { $gt: from.seq };
    }
    if (occurredFrom != null) where.occurred = { $gte: occurredFrom };
    const rows = await this.ctx.em.find(Event, where, { orderBy: { seq: 'asc' }, limit });
    return rows.map(toEventJson);
  }

  /**
   * Stores client events, all or none (one statement, or one transaction); events whose id is
   * already stored are accepted and skipped. Returns how many were stored. Events are their own record: no
   * audit entry per event.
   */
  async emit(input: EmitEventsInput): Promise<number> {
    // Users, service accounts, and a pushed run's credential (events about its own run only).
    if (this.ctx.principal.type !== 'flow_run') requireActor(this.ctx.principal);
    const workspaceId = input.workspaceId;
    // Rules may be limited to one run (a pushed run's credential): each event names the run it
    // is about (its resource or related flow run), and each is checked against it.
    const about = input.events.map((e) => flowRunOfEvent(e as unknown as EmitSpec));
    for (const flowRunId of about.length ? new Set(about) : [null])
      authorize(this.ctx, 'create', 'Event', { workspaceId, flowRunId }, 'Workspace');
    if (input.events.length > MAX_EVENTS_PER_CALL)
      throw badInput('events', `At most ${MAX_EVENTS_PER_CALL} events per call`);
    const now = new Date();
    const specs = input.events.map((e, i) => validateEmitted(workspaceId, e, `events.${i}`, now));
    if (!specs.length) return 0;
    // Prefect's task-run state events become task runs (task-run-recorder.ts).
    const recorded = specs.map((s) => isTaskRunStateEvent(s as EmitSpec));
    for (const flowRunId of new Set(about.filter((_, i) => recorded[i])))
      authorize(this.ctx, 'write', 'TaskRun', { workspaceId, flowRunId }, 'Workspace');
    // The same id twice in one call is stored once (the first). Ids already stored are skipped
    // by `storeNewEvents` itself, without a lookup first.
    const seen = new Set<string>();
    const kept = specs.flatMap((s, i) =>
      !s.id || (!seen.has(s.id) && !!seen.add(s.id)) ? [{ spec: s as EmitSpec, i }] : [],
    );
    if (!kept.some(({ i }) => recorded[i])) {
      // The events alone: on PostgreSQL, when they are one statement, without a transaction
      // and in the same statement as other requests' events of the moment.
      const one = fitsOneStatement(
        this.ctx.em,
        kept.map(({ spec }) => spec),
      );
      const store = async (em: Em) => {
        const rows = kept.map(({ spec }) => eventRows(spec));
        return (await (one ? storeNewEventsJoined(em, rows) : storeNewEvents(em, rows))).length;
      };
      return one ? this.ctx.autocommit(store) : this.ctx.plainTransaction(store);
    }
    // In order: a task-run state event's rows before the run it records, which is recorded only
    // if the event is new. Plain statements throughout (the recorder's too).
    const attempt = () =>
      this.ctx.plainTransaction(async (em) => {
        let pending: EventRows[] = [];
        let n = 0;
        for (const { spec, i } of kept) {
          const rows = eventRows(spec);
          pending.push(rows);
          if (!recorded[i]) continue;
          const stored = await storeNewEvents(em, pending);
          n += stored.length;
          pending = [];
          if (!stored.includes(rows)) continue;
          await recordTaskRunEvent(em, spec, `events.${i}`);
          await em.flush();
        }
        return n + (await storeNewEvents(em, pending)).length;
      });
    try {
      return await attempt();
    } catch (err) {
      // Another request recorded one of these task runs at the same moment: this one finds it
      // now (and the events the first attempt stored are rolled back with it, then stored again).
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      this.ctx.em.clear();
      return attempt();
    }
  }

  /** The caller's window: at most the retention, by default the last 24 hours. */
  private async window(
    workspaceId: string,
    f: EventFilterSpec,
    now: Date,
  ): Promise<{ after: Date; before: Date | null }> {
    const before = f.occurredBefore ? new Date(f.occurredBefore) : null;
    const end = before ?? now;
    const after = f.occurredAfter
      ? new Date(f.occurredAfter)
      : new Date(end.getTime() - DEFAULT_WINDOW_MS);
    if (before && before.getTime() <= after.getTime())
      throw badInput('filter.occurredBefore', 'occurredBefore must be after occurredAfter');
    const span = end.getTime() - after.getTime();
    // Every retention is at least a day: only longer windows need the workspace's setting.
    if (span > DAY_MS) {
      const days = await retentionDays(this.ctx.em, workspaceId);
      if (span > days * DAY_MS)
        throw badInput(
          'filter.occurredAfter',
          `The window is at most the workspace's event retention (${days} days)`,
        );
    }
    return { after, before };
  }

  /** Events of a workspace, keyset-paged on (occurred, seq), newest first by default. */
  async list(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter: EventFilter | null | undefined,
    order: EventOrder = EventOrder.OCCURRED_DESC,
  ): Promise<Connection<Event>> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Event', { workspaceId }, 'Workspace');
    const first = pageSize(args);
    const spec = validateFilter(filter);
    const cursor = args.after ? parseCursor(args.after) : null;
    const { after, before } = await this.window(workspaceId, spec, new Date());
    const em = this.ctx.em;
    const knex = em.getKnex();
    const where = (qb: ReturnType<typeof knex>) => {
      qb.where('e.workspace_id', workspaceId);
      whereEventMatches(em, qb, 'e', { ...spec, occurredAfter: after, occurredBefore: before });
      return qb;
    };
    const desc = order !== EventOrder.OCCURRED_ASC;
    const page = where(knex('event as e').select('e.*'));
    if (cursor) {
      const [t, seq] = cursor;
      const op = desc ? '<' : '>';
      page.where((w) =>
        w
          .where('e.occurred', op, dbTime(em, t))
          .orWhere((x) => x.where('e.occurred', dbTime(em, t)).andWhere('e.seq', op, seq)),
      );
    }
    page
      .orderBy('e.occurred', desc ? 'desc' : 'asc')
      .orderBy('e.seq', desc ? 'desc' : 'asc')
      .limit(first + 1);
    const counted = where(knex('event as e').count('* as n'));
    const [rows, count] = await Promise.all([
      em.getConnection().execute<Record<string, unknown>[]>(page),
      em.getConnection().execute<{ n: number | string }[]>(counted),
    ]);
    const nodes = rows.slice(0, first).map((r) => em.map(Event, r));
    return {
      edges: nodes.map((node) => ({ cursor: cursorOf(node), node })),
      pageInfo: {
        hasNextPage: rows.length > first,
        endCursor: nodes.length ? cursorOf(nodes[nodes.length - 1]!) : null,
      },
      totalCount: num(count[0]?.n ?? 0),
    };
  }

  /**
   * Counts of the workspace's events matching `filter` by name, resource or time bucket, in one
   * grouped query; at most 1,000 groups (BAD_USER_INPUT otherwise).
   */
  async counts(
    workspaceId: string,
    filter: EventFilter,
    countBy: EventCountBy,
    bucket: TimeBucket | null | undefined,
  ): Promise<EventCount[]> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Event', { workspaceId }, 'Workspace');
    const spec = validateFilter(filter);
    const now = new Date();
    const window = await this.window(workspaceId, spec, now);
    const em = this.ctx.em;
    const knex = em.getKnex();
    const qb = knex('event as e').where('e.workspace_id', workspaceId);
    if (countBy === EventCountBy.TIME) {
      if (!bucket) throw badInput('bucket', 'Counting by TIME needs a bucket size');
      const size = BUCKET_MS[bucket];
      const end = window.before ?? now;
      const first = Math.floor(window.after.getTime() / size) * size;
      const buckets = Math.ceil((end.getTime() - first) / size);
      if (buckets > MAX_BUCKETS)
        throw badInput(
          'bucket',
          `At most ${MAX_BUCKETS} buckets: a larger bucket or a shorter window`,
        );
      whereEventMatches(em, qb, 'e', { ...spec, occurredAfter: window.after, occurredBefore: end });
      const expr = bucketStartMs(em, 'e.occurred', size);
      qb.select(knex.raw(`${expr} as b`))
        .count('* as n')
        .groupByRaw(expr);
      const rows = await em.getConnection().execute<{ b: unknown; n: unknown }[]>(qb);
      const counts = new Map(rows.map((r) => [num(r.b), num(r.n)]));
      return Array.from({ length: buckets }, (_, i) => {
        const start = first + i * size;
        return {
          value: new Date(start).toISOString(),
          count: counts.get(start) ?? 0,
          startTime: new Date(start),
          endTime: new Date(start + size),
        };
      });
    }
    whereEventMatches(em, qb, 'e', {
      ...spec,
      occurredAfter: window.after,
      occurredBefore: window.before,
    });
    const column = countBy === EventCountBy.EVENT ? 'e.name' : 'e.resource_id';
    qb.select(`${column} as v`)
      .count('* as n')
      .select(knex.raw(`min(${epochMs(em, 'e.occurred')}) as f`))
      .select(knex.raw(`max(${epochMs(em, 'e.occurred')}) as l`))
      .groupBy(column)
      .orderBy([
        { column: 'n', order: 'desc' },
        { column: 'v', order: 'asc' },
      ])
      .limit(MAX_BUCKETS + 1);
    const rows = await em
      .getConnection()
      .execute<{ v: string; n: unknown; f: unknown; l: unknown }[]>(qb);
    if (rows.length > MAX_BUCKETS)
      throw badInput('countBy', `More than ${MAX_BUCKETS} groups: narrow the filter`);
    return rows.map((r) => ({
      value: r.v,
      count: num(r.n),
      startTime: new Date(Math.round(num(r.f))),
      endTime: new Date(Math.round(num(r.l))),
    }));
  }

  /** Days the workspace keeps its events (any member may read it). */
  async retention(workspaceId: string): Promise<number> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Workspace', { id: workspaceId }, 'Workspace');
    return retentionDays(this.ctx.em, workspaceId);
  }

  /** Sets how long the workspace keeps its events (needs manage_workspace_settings). */
  async setRetention(input: SetEventRetentionInput): Promise<{ id: string }> {
    requireActor(this.ctx.principal);
    const workspaceId = input.workspaceId;
    authorize(this.ctx, 'update', 'Workspace', { id: workspaceId }, 'Workspace');
    if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_RETENTION_DAYS)
      throw badInput('days', `An integer from 1 to ${MAX_RETENTION_DAYS}`);
    await this.ctx.transaction(async (em) => {
      const existing = await em.findOne(EventSettings, { workspaceId });
      const previousDays = existing?.retentionDays ?? DEFAULT_RETENTION_DAYS;
      // An upsert: two first settings at once both succeed (the last one wins).
      await em.upsert(EventSettings, {
        workspaceId,
        retentionDays: input.days,
        updatedAt: new Date(),
      } as EventSettings);
      recordEvent(em, 'workspace.event-retention-set', {
        ...eventScope(this.ctx, workspaceId),
        days: input.days,
        previousDays,
      });
    });
    return { id: workspaceId };
  }
}
