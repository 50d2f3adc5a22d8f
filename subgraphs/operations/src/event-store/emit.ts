import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { Coalescer } from '../../../../lib/coalesce.js';
import { OutboxEvent, outboxRow } from '../../../../lib/outbox.js';
import { isPostgres } from '../../../../lib/db.js';
import {
  boundQuery,
  entityOf,
  insertStatement,
  insertJsonRows,
  insertWhereIn,
  JSON_ROWS,
  jsonRowIndex,
  jsonRowsDocument,
  MAX_PARAMS,
  paramsPerRow,
  runLastWrites,
  runWrites,
  type Write,
} from '../../../../lib/plain-sql.js';
import { Event, EventRelated, type EventResourceJson } from './event.entity.js';

/** The domain event that carries every stored event to subscribers and automations. */
export const EVENT_EMITTED = 'event.emitted';

/** The label that names a resource (shown as `EventResource.name`). */
export const NAME_LABEL = 'flowplane.resource.name';

/** Names under this prefix are the system's; clients may not emit them. */
export const SYSTEM_PREFIX = 'flowplane.';

/** The kinds of resource the system names in events. */
export type ResourceKind =
  | 'flow'
  | 'flow-run'
  | 'task-run'
  | 'deployment'
  | 'work-pool'
  | 'work-queue'
  | 'block-document'
  | 'automation'
  | 'incident'
  | 'workspace';

/** `flowplane.<kind>.<id>`: how events name the system's resources. */
export const resourceId = (kind: ResourceKind, id: string): string =>
  `${SYSTEM_PREFIX}${kind}.${id}`;

/** An event as stored and as it travels on the bus (`event.emitted`). */
export interface EventJson {
  id: string;
  workspaceId: string;
  occurred: string;
  received: string;
  event: string;
  resource: EventResourceJson;
  related: EventResourceJson[];
  payload: Record<string, unknown>;
  follows: string | null;
}

export interface EmitSpec {
  workspaceId: string;
  /** The event name. */
  event: string;
  resource: { id: string; labels?: Record<string, string> };
  related?: { id: string; role: string; labels?: Record<string, string> }[];
  payload?: Record<string, unknown>;
  occurred?: Date;
  follows?: string | null;
  /** A client-chosen id (de-duplication); new by default. */
  id?: string;
}

/**
 * The properties of a stored event each field of its JSON holds (`toEventJson`; the database
 * builds the same JSON from an event's row when it writes several events' outbox rows).
 */
const EVENT_JSON_PROPS: Record<keyof EventJson, keyof Event & string> = {
  id: 'id',
  workspaceId: 'workspaceId',
  occurred: 'occurred',
  received: 'received',
  event: 'name',
  resource: 'resource',
  related: 'related',
  payload: 'payload',
  follows: 'follows',
};

export function toEventJson(e: Event): EventJson {
  return {
    id: e.id,
    workspaceId: e.workspaceId,
    occurred: e.occurred.toISOString(),
    received: e.received.toISOString(),
    event: e.name,
    resource: e.resource,
    related: e.related,
    payload: e.payload,
    follows: e.follows ?? null,
  };
}

/**
 * Stores an event in the workspace's event store and records `event.emitted` in the outbox, in
 * the caller's transaction: the event exists, and is delivered, exactly when the change it
 * describes commits. Inputs are trusted (system events); client events are validated first.
 */
export function emitEvent(em: EntityManager, spec: EmitSpec): Event {
  return persistEventRows(em, eventRows(spec));
}

/**
 * Hands an event's rows to the unit of work (as entity copies: the rows are plain objects), for
 * a path that flushes instead of writing them itself; the stored event's instance.
 */
export function persistEventRows(em: EntityManager, rows: EventRows): Event {
  const event = entityOf(Event, rows.event);
  em.persist(event);
  for (const r of rows.related) em.persist(entityOf(EventRelated, r));
  em.persist(entityOf(OutboxEvent, rows.outbox));
  return event;
}

/**
 * The rows one event is stored as, plain objects (`storeNewEvents` and the policy's commit write
 * them with plain statements; `emitEvent` persists entity copies).
 */
export interface EventRows {
  event: Event;
  /** One per distinct (resource, role) it relates to. */
  related: EventRelated[];
  /** `event.emitted`, to record after the event's cause. */
  outbox: OutboxEvent;
}

/** Builds an event's rows (lib/plain-sql writes them on the hottest paths; `emitEvent` persists copies). */
export function eventRows(spec: EmitSpec): EventRows {
  const now = new Date();
  // Plain objects, not entity instances (see lib/outbox `outboxRow`): `emitEvent` makes those.
  const e = {
    id: spec.id ?? randomUUID(),
    workspaceId: spec.workspaceId,
    occurred: spec.occurred ?? now,
    received: now,
    name: spec.event,
    resourceId: spec.resource.id,
    resource: { id: spec.resource.id, labels: spec.resource.labels ?? {} },
    related: (spec.related ?? []).map((r) => ({ id: r.id, role: r.role, labels: r.labels ?? {} })),
    payload: spec.payload ?? {},
    follows: spec.follows ?? null,
  } as Event;
  const related: EventRelated[] = [];
  const seen = new Set<string>();
  for (const r of e.related) {
    const key = `${r.id}\u0000${r.role}`;
    if (seen.has(key)) continue;
    seen.add(key);
    related.push({
      eventId: e.id,
      resourceId: r.id,
      role: r.role ?? '',
      workspaceId: e.workspaceId,
    });
  }
  const outbox = outboxRow(EVENT_EMITTED, { workspaceId: e.workspaceId, event: toEventJson(e) });
  return { event: e, related, outbox };
}

/** The statements of the rows that hang off events: related resources, then outbox rows. */
function dependentWrites(em: SqlEntityManager, rows: readonly EventRows[]): Write[] {
  return [
    ...insertStatement(
      em,
      EventRelated,
      rows.flatMap((r) => r.related),
    ),
    ...insertStatement(
      em,
      OutboxEvent,
      rows.map((r) => r.outbox),
    ),
  ];
}

/** The events, with the columns that identify one (ids are unique per workspace). */
const NEW_EVENTS = { name: 'fp_new', columns: ['workspace_id', 'id'], keyTypes: ['uuid', 'uuid'] };

/**
 * Stores those of the events whose id is not stored in their workspace yet, with their related
 * rows and `event.emitted` outbox rows (in the events' order), and answers those it stored (of
 * `rows`): a redelivered or retried event is skipped instead of failing the batch. The rows must have
 * distinct ids. No lookup before writing: the events' INSERT skips the stored ids itself and
 * names the new ones; on PostgreSQL the other rows are written in the same statement, for the new
 * events only (one round trip, atomic by itself: it needs no transaction of its own when it is
 * all a caller writes, see `fitsOneStatement`); on SQLite they follow, in the caller's
 * transaction. A concurrent writer of the same id is waited for and then skipped (PostgreSQL),
 * or serialised by the database's single writer (SQLite).
 */
export async function storeNewEvents(
  em: SqlEntityManager,
  rows: readonly EventRows[],
): Promise<EventRows[]> {
  if (!rows.length) return [];
  const fresh = new Set<string>();
  const storedOf = (of: readonly EventRows[]) =>
    of.filter((r) => fresh.has(eventKey(r.event.workspaceId, r.event.id)));
  if (!isPostgres(em)) {
    for (const w of insertStatement(
      em,
      Event,
      rows.map((r) => r.event),
      SKIP_STORED,
    ))
      for (const r of await boundQuery<{ workspace_id: string; id: string }[]>(em, w.sql, w.params))
        fresh.add(eventKey(r.workspace_id, r.id));
    const stored = storedOf(rows);
    await runWrites(em, dependentWrites(em, stored));
    return stored;
  }
  for (const chunk of statementChunks(em, rows)) {
    const write = chunkStatement(em, chunk);
    const stored = await boundQuery<{ workspace_id: string; id: string }[]>(
      em,
      write.sql,
      write.params,
    );
    for (const r of stored) fresh.add(eventKey(r.workspace_id, r.id));
  }
  return storedOf(rows);
}

const SKIP_STORED = { skipExisting: { returning: NEW_EVENTS.columns } };

/** An event's identity: its id is unique within its workspace. */
const eventKey = (workspaceId: string, id: string) => `${workspaceId}\u0000${id}`;

/** The rows without those whose event id an earlier row has (in its workspace). */
function firstOfEachId(rows: readonly EventRows[]): EventRows[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = eventKey(r.event.workspaceId, r.event.id);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * `storeNewEvents` for writes nobody reads back: the stored ids are not returned, and in a
 * plain transaction on PostgreSQL the last statement leaves with the COMMIT (lib/plain-sql
 * `runLastWrites`). An id given twice is stored once (the first).
 */
export async function storeNewEventsLast(
  em: SqlEntityManager,
  rows: readonly EventRows[],
): Promise<void> {
  const distinct = firstOfEachId(rows);
  if (!isPostgres(em) || !distinct.length) {
    await storeNewEvents(em, distinct);
    return;
  }
  const chunks = statementChunks(em, distinct);
  for (const chunk of chunks.slice(0, -1)) {
    const write = chunkStatement(em, chunk);
    await boundQuery(em, write.sql, write.params);
  }
  await runLastWrites(em, [chunkStatement(em, chunks[chunks.length - 1]!)]);
}

/** One caller's events for `storeNewEventsJoined`, with the entity manager it runs on. */
interface JoinedWrite {
  em: SqlEntityManager;
  rows: readonly EventRows[];
}

/** Per database (driver): the callers whose events go together. */
const joiners = new WeakMap<object, Coalescer<JoinedWrite, EventRows[]>>();

/**
 * PostgreSQL, outside a transaction, for events that fit one statement (`fitsOneStatement`):
 * `storeNewEvents`, with the events of callers writing at the same moment in the same statement
 * (lib/coalesce): under load one statement, one commit and one WAL flush serve many requests,
 * where each request cost its own. Atomic for each caller as before (the statement is atomic for
 * all of them), and each caller gets the events it stored: an event id two callers send in the
 * same statement is stored for the first, and skipped for the second as if the first had
 * committed before it. The statement runs on the first caller's entity manager (its log label,
 * its trace); a statement that fails runs again for each caller alone. Elsewhere (SQLite, inside
 * a transaction) `storeNewEvents` itself.
 */
export function storeNewEventsJoined(
  em: SqlEntityManager,
  rows: readonly EventRows[],
): Promise<EventRows[]> {
  // Inside a transaction the events are that transaction's: no one else's go with them.
  if (!isPostgres(em) || em.getTransactionContext()) return storeNewEvents(em, rows);
  const driver = em.getDriver();
  let joiner = joiners.get(driver);
  if (!joiner) {
    const c = chunkCosts(em);
    joiner = new Coalescer<JoinedWrite, EventRows[]>({
      run: runJoined,
      cost: (w) => w.rows.reduce((sum, r) => sum + c.perEvent + r.related.length * c.perRelated, 0),
      maxCost: MAX_PARAMS,
      // Two at once: a statement that waits (on a lock of a concurrent writer of the same id,
      // say) does not hold up every other request's events; joins about as much under load
      // (bench/RESULTS.md phase 18).
      maxInFlight: 2,
    });
    joiners.set(driver, joiner);
  }
  return rows.length ? joiner.submit({ em, rows }) : Promise.resolve([]);
}

/** The statistics of the joined writes on `em`'s database (tests, benchmarks). */
export function joinedWriteStats(em: SqlEntityManager) {
  return joiners.get(em.getDriver())?.stats;
}

/** Several callers' events as one statement; each caller's stored events. */
async function runJoined(writes: readonly JoinedWrite[]): Promise<EventRows[][]> {
  // An id a caller before it in the group sends too is left to that caller.
  const included = firstOfEachId(writes.flatMap((w) => w.rows));
  const em = writes[0]!.em;
  const write = chunkStatement(em, included);
  const fresh = new Set(
    (await boundQuery<{ workspace_id: string; id: string }[]>(em, write.sql, write.params)).map(
      (r) => eventKey(r.workspace_id, r.id),
    ),
  );
  const sent = new Set(included);
  return writes.map((w) =>
    w.rows.filter((r) => sent.has(r) && fresh.has(eventKey(r.event.workspaceId, r.event.id))),
  );
}

/**
 * PostgreSQL: a chunk's events, related rows and outbox rows as one statement. Several events
 * bind their rows as one JSON document per table (lib/plain-sql `insertJsonRows`): batches of
 * any size run one text, prepared once per connection, where a VALUES list was a text of its own
 * for each batch size, parsed and planned every time. One event keeps its VALUES row (its text
 * never varies either, and it runs cheaper).
 */
function chunkStatement(em: SqlEntityManager, chunk: readonly EventRows[]): Write {
  if (chunk.length > 1) return severalEventsStatement(em, chunk);
  const parts = [
    insertWhereIn(
      em,
      EventRelated,
      chunk[0]!.related,
      (r) => [r.workspaceId, r.eventId],
      NEW_EVENTS,
    ),
    insertWhereIn(
      em,
      OutboxEvent,
      [chunk[0]!.outbox],
      () => [chunk[0]!.event.workspaceId, chunk[0]!.event.id],
      NEW_EVENTS,
    ),
  ].filter((w): w is Write => w !== null);
  return newEventsStatement(insertStatement(em, Event, [chunk[0]!.event], SKIP_STORED)[0]!, parts);
}

/** The events' INSERT and the writes that depend on it, as one statement naming the new events. */
function newEventsStatement(events: Write, parts: readonly Write[], before = ''): Write {
  return {
    sql:
      `with ${before}${NEW_EVENTS.name} as (${events.sql})` +
      parts.map((w, i) => `, fp_w${i} as (${w.sql})`).join('') +
      ` select ${NEW_EVENTS.columns.join(', ')} from ${NEW_EVENTS.name}`,
    params: [...events.params, ...parts.flatMap((w) => w.params)],
  };
}

/** The WITH query over the bound document of several events' rows (columns fp_row, fp_ord). */
const EVENT_ROWS = 'fp_events';

/**
 * Several events: their rows bound once, as one JSON document (lib/plain-sql
 * `jsonRowsDocument`) that the events' INSERT reads, and that their `event.emitted` outbox rows'
 * payloads are built from by the database (`jsonb_build_object` over the row's values): the
 * event's JSON (resource, related resources, payload) was the larger part of the statement's
 * text, and went twice, serialised here and parsed there once for the event and once for its
 * outbox row. The payload stored is the one `toEventJson` makes (same fields, same values; jsonb
 * keeps no key order), which the single-event statement binds.
 */
function severalEventsStatement(em: SqlEntityManager, chunk: readonly EventRows[]): Write {
  const events = chunk.map((r) => r.event);
  return {
    sql: severalEventsText(em),
    params: [
      jsonRowsDocument(em, Event, events),
      jsonRowsDocument(
        em,
        EventRelated,
        chunk.flatMap((r) => r.related),
        RELATED_KEY,
      ),
      JSON.stringify(chunk.map(({ outbox: o }) => [o.id, o.type, o.occurredAt, o.actor ?? null])),
    ],
  };
}

/** A related row's event (its place among the new events). */
const RELATED_KEY = (r: EventRelated) => [r.workspaceId, r.eventId];

/** `severalEventsStatement`'s text, per ORM (it depends on the tables alone). */
const SEVERAL_TEXTS = new WeakMap<object, string>();

function severalEventsText(em: SqlEntityManager): string {
  const known = SEVERAL_TEXTS.get(em.getMetadata());
  if (known) return known;
  const field = (prop: keyof Event & string) => `v.fp_row->${jsonRowIndex(em, Event, prop)}`;
  const text = (prop: keyof Event & string) => `v.fp_row->>${jsonRowIndex(em, Event, prop)}`;
  const eventJson = Object.entries(EVENT_JSON_PROPS)
    .map(([key, prop]) => `'${key}', ${field(prop)}`)
    .join(', ');
  // Bound: the outbox rows' own columns (id, type, time, actor); the payload is the event's.
  const outbox =
    'insert into outbox (id, type, payload, occurred_at, actor, sent_at) ' +
    `select (o.fp_row->>0)::uuid, o.fp_row->>1, jsonb_build_object('workspaceId', ` +
    `${field('workspaceId')}, 'event', jsonb_build_object(${eventJson})), ` +
    `(o.fp_row->>2)::timestamptz, nullif(o.fp_row->3, 'null'::jsonb), null ` +
    `from ${EVENT_ROWS} as v join jsonb_array_elements(?::jsonb) with ordinality as ` +
    `o(fp_row, fp_ord) on o.fp_ord = v.fp_ord where ((${text('workspaceId')})::uuid, ` +
    `(${text('id')})::uuid) in (select ${NEW_EVENTS.columns.join(', ')} from ` +
    `${NEW_EVENTS.name}) order by v.fp_ord`;
  const related = insertJsonRows(em, EventRelated, [], {
    newOnly: { key: RELATED_KEY, source: NEW_EVENTS },
  });
  const insertEvents = insertJsonRows(em, Event, [], { ...SKIP_STORED, from: EVENT_ROWS });
  // The parameters: the events' document, the related rows', the outbox rows'.
  const { sql } = newEventsStatement(
    insertEvents,
    [related, { sql: outbox, params: [] }],
    `${EVENT_ROWS} as (select v.fp_row, v.fp_ord from ${JSON_ROWS}), `,
  );
  SEVERAL_TEXTS.set(em.getMetadata(), sql);
  return sql;
}

/**
 * Whether `storeNewEvents` writes these events in one statement on this database (PostgreSQL):
 * then a caller that writes nothing else needs no transaction around it. Judged from the specs,
 * before their rows are built (a spec's related resources are at least its related rows).
 */
export function fitsOneStatement(em: SqlEntityManager, specs: readonly EmitSpec[]): boolean {
  if (!isPostgres(em)) return false;
  const c = chunkCosts(em);
  let params = 0;
  for (const s of specs) params += c.perEvent + (s.related?.length ?? 0) * c.perRelated;
  return params <= MAX_PARAMS;
}

/** Parameters per row of each table in `storeNewEvents`'s statement (keys and order included). */
function chunkCosts(em: SqlEntityManager) {
  return {
    perEvent: paramsPerRow(em, Event) + paramsPerRow(em, OutboxEvent) + 3,
    perRelated: paramsPerRow(em, EventRelated) + 3,
  };
}

/**
 * The events in runs whose rows would fit one statement as VALUES rows (PostgreSQL's limit of
 * bound parameters). Several events bind one JSON document per table whatever the count; the
 * same runs keep a statement's size, and which calls need a transaction (`fitsOneStatement`),
 * as they were.
 */
function statementChunks(em: SqlEntityManager, rows: readonly EventRows[]): EventRows[][] {
  const c = chunkCosts(em);
  const chunks: EventRows[][] = [];
  let chunk: EventRows[] = [];
  let params = 0;
  for (const r of rows) {
    const cost = c.perEvent + r.related.length * c.perRelated;
    if (chunk.length && params + cost > MAX_PARAMS) {
      chunks.push(chunk);
      chunk = [];
      params = 0;
    }
    chunk.push(r);
    params += cost;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}
