import { randomUUID } from 'node:crypto';
import {
  Entity,
  PrimaryKey,
  Property,
  UniqueConstraintViolationException,
  type EntityManager,
} from '@mikro-orm/core';
import { currentActor, runAsActor, systemActor, type EventActor } from './actor.js';
import type { Bus, DomainEvent } from './bus.js';
import { isPostgres, UUID } from './db.js';
import { boundQuery, entityOf, plainFirst, plainTransaction } from './plain-sql.js';
import type { Em, Orm } from './orm.js';
import { errorField, log } from './log.js';
import { busLag, outboxLag } from './metrics.js';
import { currentTraceparent, traceConsumer } from './tracing.js';

/** A domain event written in the same transaction as the change it describes. */
@Entity({ tableName: 'outbox' })
export class OutboxEvent {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  seq!: number;

  @Property({ type: 'uuid', unique: true })
  id: string = randomUUID();

  @Property({ type: 'string', length: 120 })
  type!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'Date' })
  occurredAt: Date = new Date();

  /** Who caused it (null for rows written before actors were recorded). */
  @Property({ type: 'json', nullable: true })
  actor?: EventActor | null = null;

  @Property({ type: 'Date', nullable: true, index: true })
  sentAt?: Date | null = null;
}

/** Ids of events a consumer already applied: at-least-once delivery, exactly-once effect. */
@Entity({ tableName: 'handled_event' })
export class HandledEvent {
  @PrimaryKey({ type: 'string', length: 80 })
  consumer!: string;

  @PrimaryKey({ type: 'uuid' })
  eventId!: string;

  /** Marks are pruned by age (lib/outbox-housekeeping.ts), by this index. */
  @Property({ type: 'Date', index: true })
  handledAt: Date = new Date();
}

export const OUTBOX_ENTITIES = [OutboxEvent, HandledEvent];

const BATCH = 100;

/**
 * Relay and consumer work is labelled in the query log, so that tests counting the queries of
 * a request do not see the background polling.
 */
export const BACKGROUND_LABEL = 'outbox';
const BACKGROUND = { loggerContext: { label: BACKGROUND_LABEL } };

/**
 * Records an event to publish once the surrounding transaction commits. The actor comes from
 * the async context that `ctx.transaction` (requests) or `consumeEvents` (system) sets.
 */
export function recordEvent(
  em: EntityManager,
  type: string,
  payload: Record<string, unknown>,
): OutboxEvent {
  const e = outboxEvent(type, payload);
  em.persist(e);
  return e;
}

/** Outbox rows made so far in this process (every row is made by `outboxRow`). */
let made = 0;

/**
 * Runs `fn`, then `after` only if outbox rows were made meanwhile (by `fn`, or by other work
 * running at the same time): after a transaction that recorded no event there is nothing to
 * publish, and a relay pass would cost a transaction for nothing (the relay's timer still
 * publishes rows written some other way).
 */
export async function publishingAfter<T>(fn: () => Promise<T>, after: () => unknown): Promise<T> {
  const before = made;
  const result = await fn();
  if (made !== before) await after();
  return result;
}

/**
 * The outbox row of an event, with its actor and trace, for a caller that writes it itself in
 * its transaction with plain statements (lib/plain-sql `insertStatement`). A plain object, not an
 * entity instance: MikroORM defines an accessor on each instance the first time each of its
 * fields is set (and a helper object behind them), which on the event paths cost more than
 * writing the rows; `outboxEvent` makes the instance the unit of work persists.
 */
export function outboxRow(type: string, payload: Record<string, unknown>): OutboxEvent {
  made++;
  const traceparent = currentTraceparent();
  const actor = currentActor();
  return {
    id: randomUUID(),
    type,
    payload,
    occurredAt: new Date(),
    actor: traceparent ? { ...actor, traceparent } : actor,
    sentAt: null,
  } as OutboxEvent;
}

/** The outbox row of an event as an entity instance, to `em.persist` (`recordEvent`). */
export function outboxEvent(type: string, payload: Record<string, unknown>): OutboxEvent {
  return entityOf(OutboxEvent, outboxRow(type, payload));
}

/** A pass waiting for the running one: what its callers await, and whether another served it. */
interface QueuedPass {
  done: Promise<void>;
  served: boolean;
}

/** Most takes one relay transaction makes for the passes queued behind it (`lockedBatch`). */
const CHAINED_TAKES = 8;

/** Queued passes served by the transaction of the pass before them, so far (tests and benches). */
export const chainedTakes = { count: 0 };

/**
 * Publishes outbox rows to the bus in order and marks them sent. Runs after every commit that
 * wrote events (`flush`) and on a timer (rows left by a crash). On PostgreSQL the rows are
 * locked with SKIP LOCKED so several instances never publish the same row concurrently.
 */
export class OutboxRelay {
  private running: Promise<void> = Promise.resolve();
  /** The pass waiting for the running one, which new callers join. */
  private queued?: QueuedPass;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private started = false;

  /** PostgreSQL: the statement that takes pending rows, with the consumers' hints. */
  private readonly take: TakeStatement;

  constructor(
    private readonly orm: Orm,
    private readonly bus: Bus,
    private readonly source: string,
    private readonly pollMs = 1000,
    /** SQL expressions over an outbox row, read with it for the consumers (`DomainEvent.hints`). */
    hints: OutboxHints = {},
  ) {
    this.take = takeStatement(hints);
  }

  start(): void {
    this.stopped = false;
    this.started = true;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /**
   * The timer's pass: a commit publishes its own rows, so the timer is the net for what no
   * commit published (a failed pass, a crashed instance's rows, another writer's). It first asks
   * whether anything is pending, in one statement outside a transaction, and opens the pass's
   * transaction only then: an empty pass cost 2 round trips and the ORM's transaction, and an
   * idle process polls all day.
   */
  private async poll(): Promise<void> {
    if (this.stopped || !this.started) return;
    if (!this.queued) {
      try {
        if (!(await anyPending(this.orm.em.fork(BACKGROUND)))) return;
      } catch (err) {
        log.error({ source: this.source, error: errorField(err) }, 'outbox poll failed');
        return;
      }
    }
    await this.publish();
  }

  /**
   * `flush` for callers that go on either way (after a commit, on the timer, at shutdown): a
   * failure is logged, here only, and the rows stay for the next pass.
   */
  publish(): Promise<void> {
    return this.flush().catch((err) =>
      log.error({ source: this.source, error: errorField(err) }, 'outbox flush failed'),
    );
  }

  /**
   * Publishes everything pending; one pass at a time. A caller gets a pass that starts after its
   * call (so it publishes what the caller committed before); callers arriving while a pass runs
   * share the one queued after it, so concurrent commits are published (and consumed) as one
   * batch instead of a pass each. On PostgreSQL the running pass may serve the queued one in
   * its own transaction (`lockedBatch`): its callers are answered once that has committed.
   */
  flush(): Promise<void> {
    if (this.queued) return this.queued.done;
    const queued: QueuedPass = { done: Promise.resolve(), served: false };
    queued.done = this.running.then(() => {
      if (this.queued === queued) this.queued = undefined;
      // Its callers' rows went with the pass before, which committed (`lockedBatch`).
      if (queued.served) return;
      return this.pass();
    });
    this.queued = queued;
    this.running = queued.done.catch(() => undefined);
    return queued.done;
  }

  private async pass(): Promise<void> {
    // A relay that was never started (a process "dying" in tests) publishes nothing.
    if (this.stopped || !this.started) return;
    for (;;) {
      const published = isPostgres(this.orm) ? await this.lockedBatch() : await this.batch();
      if (published < BATCH) return;
    }
  }

  /**
   * PostgreSQL: rows locked with SKIP LOCKED (several instances) and marked sent in one
   * statement, then published in the same transaction: if publishing fails, the transaction
   * rolls back and the rows are pending again. A plain transaction (lib/plain-sql): one per
   * pass of every relay, and MikroORM's cost 3–5× what its statements do.
   *
   * When commits asked for a pass while this one published (under load, nearly always), their
   * rows are taken and published in this same transaction, up to `CHAINED_TAKES` takes: the
   * queued pass is served by this one (its callers' rows were committed before they asked, so
   * the next take sees them) and ends, once this transaction has committed, without a
   * transaction of its own: a COMMIT (a round trip) less for each. Callers arriving after that
   * queue a pass of their own. When this transaction fails, the passes it served run as before.
   */
  private async lockedBatch(): Promise<number> {
    const served: QueuedPass[] = [];
    const taken = await plainTransaction(
      this.orm.em,
      async (em) => {
        for (let takes = 1; ; takes++) {
          const rows = await takePending(em, this.take, new Date());
          if (rows.length) {
            await this.bus.publish(rows.map((r) => toDomainEvent(r, this.source)));
            observeLag(rows, this.source, new Date());
          }
          // A full batch: more may wait, taken by the next pass in a transaction of its own.
          if (rows.length >= BATCH || takes >= CHAINED_TAKES || !this.queued) return rows.length;
          served.push(this.queued);
          this.queued = undefined;
        }
      },
      LOGGED,
    );
    for (const queued of served) queued.served = true;
    chainedTakes.count += served.length;
    return taken;
  }

  /**
   * SQLite (one process per file): passes are serialised by `flush`, so no lock is needed, and
   * no transaction stays open while in-process consumers run.
   */
  private async batch(): Promise<number> {
    const em = this.orm.em.fork(BACKGROUND);
    const rows = await pendingRows(em);
    if (!rows.length) return 0;
    await this.bus.publish(rows.map((r) => toDomainEvent(r, this.source)));
    const now = new Date();
    observeLag(rows, this.source, now);
    await markSent(em, rows, now);
    return rows.length;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.stopped = true;
  }
}

/*
 * The relay's and the consumers' bookkeeping runs on every event, so it is written as plain
 * statements: through the ORM (query building, hydration, change sets) a lookup of a handled
 * mark cost 5–10× the CPU of the statement itself (bench/RESULTS.md, 2026-12-04).
 */
const LOGGED = BACKGROUND.loggerContext;

/** An outbox row as the relay reads it. */
interface PendingRow {
  seq: number;
  id: string;
  type: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
  actor: EventActor | null;
  /** The consumers' hints read with the row (PostgreSQL), those not null. */
  hints?: Record<string, unknown>;
}

/** SQLite hands back JSON columns as text and dates as epoch milliseconds; PostgreSQL as values and text. */
function jsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
function dateColumn(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string | number);
}

const PENDING_COLUMNS = 'seq, id, type, payload, occurred_at, actor';

/**
 * Values a subgraph's consumers would each read right after the relay took an event, read in the
 * relay's statement instead (PostgreSQL): name → an SQL expression over the outbox row's columns
 * (`type`, `payload`, …), null when it does not apply. It must not fail on any row (a failing
 * expression would stop the relay): guard casts of payload fields.
 */
export type OutboxHints = Record<string, string>;

/**
 * For an outbox hint: a payload field as a uuid, or null when it is not one (a guarded cast: a
 * cast that fails would fail the relay's statement).
 */
export function payloadUuid(field: string): string {
  if (!HINT_NAME.test(field)) throw new Error(`payload field ${field}: letters and digits`);
  const text = `outbox.payload->>'${field}'`;
  // `isUuid`'s pattern, case-insensitive as it is.
  return `(case when ${text} ~* '${UUID.source}' then (${text})::uuid end)`;
}

const HINT_PREFIX = 'fp_hint_';
const HINT_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** The relay timer's question: does any row wait to be published (one indexed lookup, no lock)? */
export const PENDING_PROBE = 'select seq from outbox where sent_at is null limit 1';

async function anyPending(em: Em): Promise<boolean> {
  const rows: unknown[] = await boundQuery(em, PENDING_PROBE, [], 'all', LOGGED);
  return rows.length > 0;
}

async function pendingRows(em: Em): Promise<PendingRow[]> {
  const rows: Record<string, unknown>[] = await boundQuery(
    em,
    `select ${PENDING_COLUMNS} from outbox where sent_at is null order by seq asc limit ${BATCH}`,
    [],
    'all',
    LOGGED,
  );
  return rows.map((r) => pendingRow(r));
}

/**
 * PostgreSQL: the oldest pending rows no other transaction holds, locked and marked sent at `at`,
 * in order.
 */
async function takePending(em: Em, take: TakeStatement, at: Date): Promise<PendingRow[]> {
  const rows: Record<string, unknown>[] = await boundQuery(em, take.text, [at], 'all', LOGGED);
  return rows.map((r) => pendingRow(r, take.hints)).sort((a, b) => a.seq - b.seq);
}

/** The relay's statement on PostgreSQL, and the names of the hints it returns with each row. */
interface TakeStatement {
  text: string;
  hints: string[];
}

function takeStatement(hints: OutboxHints): TakeStatement {
  const extra = Object.entries(hints).map(([name, sql]) => {
    if (!HINT_NAME.test(name)) throw new Error(`outbox hint name ${name}: letters and digits`);
    return `, (${sql}) as "${HINT_PREFIX}${name}"`;
  });
  return {
    text:
      `update outbox set sent_at = ? where seq in (select seq from outbox where sent_at is null ` +
      `order by seq asc limit ${BATCH} for update skip locked) ` +
      `returning ${PENDING_COLUMNS}${extra.join('')}`,
    hints: Object.keys(hints),
  };
}

/** An outbox row as read, with the hints named `hints` (returned as `fp_hint_<name>`) not null. */
function pendingRow(r: Record<string, unknown>, hints: readonly string[] = []): PendingRow {
  let found: Record<string, unknown> | undefined;
  for (const name of hints) {
    const value = r[HINT_PREFIX + name];
    if (value != null) (found ??= {})[name] = value;
  }
  return {
    seq: Number(r.seq),
    id: String(r.id),
    type: String(r.type),
    payload: jsonColumn<Record<string, unknown>>(r.payload),
    occurredAt: dateColumn(r.occurred_at),
    actor: r.actor == null ? null : jsonColumn<EventActor>(r.actor),
    hints: found,
  };
}

async function markSent(em: Em, rows: PendingRow[], at: Date): Promise<void> {
  await boundQuery(
    em,
    `update outbox set sent_at = ? where seq in (${rows.map(() => '?').join(', ')})`,
    [at, ...rows.map((r) => r.seq)],
    'run',
    LOGGED,
  );
}

/** Which of `ids` the consumer has applied already. */
async function handledAmong(em: Em, consumer: string, ids: string[]): Promise<Set<string>> {
  const rows: { event_id: string }[] = await boundQuery(
    em,
    `select event_id from handled_event where consumer = ? and event_id in (${ids.map(() => '?').join(', ')})`,
    [consumer, ...ids],
    'all',
    LOGGED,
  );
  return new Set(rows.map((r) => String(r.event_id)));
}

/**
 * Marks `ids` applied by the consumer, in the transaction that applies them, and answers those
 * it had not applied yet (the rest were marked before: skipped). One statement: on PostgreSQL
 * another instance marking the same event at the same moment waits for this transaction and
 * then finds it marked (or marks it itself if this one rolled back).
 */
async function markFresh(em: Em, consumer: string, ids: string[]): Promise<Set<string>> {
  const at = new Date();
  const rows: { event_id: string }[] = await boundQuery(
    em,
    `insert into handled_event (consumer, event_id, handled_at) values ${ids.map(() => '(?, ?, ?)').join(', ')} ` +
      `on conflict do nothing returning event_id`,
    ids.flatMap((id) => [consumer, id, at]),
    'all',
    LOGGED,
  );
  return new Set(rows.map((r) => String(r.event_id)));
}

function observeLag(rows: PendingRow[], source: string, now: Date): void {
  for (const r of rows) {
    const lag = (now.getTime() - r.occurredAt.getTime()) / 1000;
    if (Number.isFinite(lag)) outboxLag.observe({ source }, Math.max(0, lag));
  }
}

function toDomainEvent(row: PendingRow, source: string): DomainEvent {
  return {
    id: row.id,
    type: row.type,
    source,
    occurredAt: row.occurredAt.toISOString(),
    payload: row.payload,
    actor: row.actor,
    ...(row.hints && { hints: row.hints }),
  };
}

export type ConsumerHandler = (
  payload: any,
  em: EntityManager,
  event: DomainEvent,
) => Promise<void>;

/**
 * A handler for event types a `'*'` handler would receive but that mean nothing to the consumer
 * (high-volume ones above all): they are passed over without a transaction or a handled mark.
 */
export const ignoreEvent: ConsumerHandler = async () => undefined;

const ONLY_FROM = new WeakMap<ConsumerHandler, string>();

/**
 * A handler for the events of one source subgraph only (e.g. its own `grants.changed`): events
 * of that type from other sources are passed over without a transaction or a handled mark.
 */
export function fromSource(source: string, handler: ConsumerHandler): ConsumerHandler {
  ONLY_FROM.set(handler, source);
  return handler;
}

/** Decides from the event alone whether a handler has anything to do with it. */
export type EventPredicate = (payload: any, event: DomainEvent) => boolean;

const ONLY_WHEN = new WeakMap<ConsumerHandler, EventPredicate>();

/**
 * A handler that acts on some events of its type only, those `predicate` accepts (e.g. terminal
 * state changes out of every state change): the others are passed over without a transaction or
 * a handled mark, as if the consumer had no handler for them. The predicate sees the payload as
 * published, so it must be cheap and must not throw; the handler still checks what it relies on.
 */
export function onlyWhen(predicate: EventPredicate, handler: ConsumerHandler): ConsumerHandler {
  ONLY_WHEN.set(handler, predicate);
  return handler;
}

/** Whether `handler` acts on `event` at all (its source and its predicate). */
function wants(handler: ConsumerHandler, event: DomainEvent): boolean {
  if (handler === ignoreEvent) return false;
  const only = ONLY_FROM.get(handler);
  if (only !== undefined && event.source !== only) return false;
  const when = ONLY_WHEN.get(handler);
  if (!when) return true;
  try {
    return when(event.payload, event);
  } catch {
    return true; // the handler decides, and reports what it cannot handle
  }
}

/**
 * Reads, outside any transaction, which events of a delivery a handler has something to do with
 * (e.g. only those of workspaces that have automations): the accepted ones, a subset of `events`.
 */
export type DeliveryFilter = (events: DomainEvent[], em: Em) => Promise<DomainEvent[]>;

const FILTERED = new WeakMap<ConsumerHandler, DeliveryFilter>();

/**
 * A handler whose work depends on state it can read up front: the events `filter` passes over
 * cost no transaction and no handled mark, as with `onlyWhen`. For handlers that do nothing in
 * the common case (no automation in the workspace). The filter reads what any statement of the
 * handler's transaction would have read (committed data); what changes between the two is the
 * same race as between the event and that transaction. An event passed over has no handled
 * mark: were it delivered again after the state changed, it would be applied then. In a chain
 * (`combineConsumers`) the filter passes the event over for its part alone: the chain's
 * transaction runs when another part still acts on the event (the event is then marked handled
 * for the chain, this part skipped), and not at all when no part does.
 */
export function filteredBy(filter: DeliveryFilter, handler: ConsumerHandler): ConsumerHandler {
  FILTERED.set(handler, filter);
  return handler;
}

/**
 * `todo` without the events its handlers' delivery filters pass over: a handler with a filter
 * keeps the events its filter accepts; a chain keeps an event while one of its parts that wants
 * it has no filter or a filter that accepts it, and is then applied to it as those parts alone.
 */
async function filtered(
  orm: Orm,
  todo: [DomainEvent, ConsumerHandler][],
): Promise<[DomainEvent, ConsumerHandler][]> {
  const byFilter = new Map<DeliveryFilter, Set<DomainEvent>>();
  for (const [event, handler] of todo) {
    const parts = CHAINS.get(handler);
    for (const part of parts ?? [handler]) {
      const filter = FILTERED.get(part);
      if (!filter || (parts && !wants(part, event))) continue;
      const set = byFilter.get(filter);
      if (set) set.add(event);
      else byFilter.set(filter, new Set([event]));
    }
  }
  if (!byFilter.size) return todo;
  const kept = new Map<DeliveryFilter, Set<DomainEvent>>();
  const em = orm.em.fork(BACKGROUND) as Em;
  for (const [filter, events] of byFilter) kept.set(filter, new Set(await filter([...events], em)));
  const accepts = (part: ConsumerHandler, event: DomainEvent) => {
    const filter = FILTERED.get(part);
    return !filter || kept.get(filter)!.has(event);
  };
  const out: [DomainEvent, ConsumerHandler][] = [];
  for (const [event, handler] of todo) {
    const parts = CHAINS.get(handler);
    if (!parts) {
      if (accepts(handler, event)) out.push([event, handler]);
      continue;
    }
    const acting = parts.filter((part) => wants(part, event));
    const accepted = acting.filter((part) => accepts(part, event));
    if (accepted.length === acting.length) out.push([event, handler]);
    else if (accepted.length)
      out.push([
        event,
        async (payload, em, e) => {
          for (const part of accepted) await part(payload, em, e);
        },
      ]);
  }
  return out;
}

const CHAINS = new WeakMap<ConsumerHandler, ConsumerHandler[]>();

const PLAIN = new WeakSet<ConsumerHandler>();

/**
 * A handler whose effects are plain statements on its transaction (lib/plain-sql `boundQuery`,
 * `runWrites`) and nothing else: no call out, no in-process state, no ORM in the common case. A
 * delivery whose handlers are all such runs in a plain transaction (lib/plain-sql: 120–135 µs of
 * CPU for BEGIN, a statement and COMMIT against 260–340 through `em.transactional`), and again
 * in MikroORM's from the start when a handler turns out to need the ORM after all (its
 * statements until then rolled back: hence nothing but statements).
 */
export function plainStatements(handler: ConsumerHandler): ConsumerHandler {
  PLAIN.add(handler);
  return handler;
}

/** Whether every part of `handler` is declared `plainStatements`. */
function isPlainHandler(handler: ConsumerHandler): boolean {
  const parts = CHAINS.get(handler);
  return parts ? parts.every(isPlainHandler) : PLAIN.has(handler);
}

/**
 * The handlers of several modules as one consumer: handlers of the same event type run in the
 * order given, in the one transaction of the event (each still honouring its own `fromSource` and `onlyWhen`).
 */
export function combineConsumers(
  ...maps: Record<string, ConsumerHandler>[]
): Record<string, ConsumerHandler> {
  const out: Record<string, ConsumerHandler> = {};
  for (const map of maps)
    for (const [type, handler] of Object.entries(map)) {
      const prev = out[type];
      if (!prev) {
        out[type] = handler;
        continue;
      }
      const parts = [...(CHAINS.get(prev) ?? [prev]), handler];
      const chained: ConsumerHandler = async (payload, em, event) => {
        for (const part of parts) if (wants(part, event)) await part(payload, em, event);
      };
      CHAINS.set(chained, parts);
      ONLY_WHEN.set(chained, (_payload, event) => parts.some((part) => wants(part, event)));
      out[type] = chained;
    }
  return out;
}

/**
 * Subscribes a subgraph's idempotent consumers: each event is applied together with its
 * HandledEvent row, so a redelivered event changes nothing. A `'*'` handler receives every
 * event type without a handler of its own. Events a handler records are the system's (actor
 * `system`, named after the consumer), linked to the causing request.
 *
 * A bus batch is applied in one transaction: the handled marks are looked up with one `in (…)`
 * and written in one flush, each event still under its own actor and trace. If the batch fails
 * (a handler's error, another instance applying the same events), it is applied again one
 * event per transaction, in order, so a failing event fails alone and the events before it
 * stay applied; the bus then delivers the batch again and the marks skip what is done.
 */
export function consumeEvents(
  orm: Orm,
  bus: Bus,
  consumer: string,
  handlers: Record<string, ConsumerHandler>,
  /**
   * Called after events were applied that recorded events of their own (the subgraph kicks its
   * own relay: the events it wrote).
   */
  afterApplied?: () => void,
): void {
  const handlerOf = (event: DomainEvent): ConsumerHandler | undefined => {
    const handler = handlers[event.type] ?? handlers['*'];
    return handler && wants(handler, event) ? handler : undefined;
  };
  const apply = (em: Em, event: DomainEvent, handler: ConsumerHandler) =>
    traceConsumer(consumer, event.type, event.actor?.traceparent, () =>
      runAsActor(systemActor(consumer, event.actor), () => handler(event.payload, em, event)),
    );
  // Event types whose handlers turned out to need the ORM (their plain attempt was refused).
  const needsOrm = new Set<string>();
  /**
   * A transaction for these events' handlers: plain when they are all `plainStatements` (and
   * none of the types needed the ORM before), else MikroORM's; a plain one refused runs again in
   * MikroORM's (`plainFirst`), and the delivery's types go there from then on (all of them:
   * which one needed it is not known; at worst a type is applied as before this existed).
   */
  const transaction = async (
    todo: readonly [DomainEvent, ConsumerHandler][],
    fn: (em: Em) => Promise<void>,
  ): Promise<void> => {
    if (!todo.every(([e, h]) => isPlainHandler(h) && !needsOrm.has(e.type)))
      return orm.em.fork(BACKGROUND).transactional(fn);
    await plainFirst(
      orm.em,
      fn,
      () => {
        for (const [e] of todo) needsOrm.add(e.type);
      },
      LOGGED,
    );
  };
  const applyOne = async (event: DomainEvent, handler: ConsumerHandler) => {
    try {
      await transaction([[event, handler]], async (em) => {
        // The mark first: on PostgreSQL another instance applying the same event waits on it.
        if (!(await markFresh(em, consumer, [event.id])).size) return;
        await apply(em, event, handler);
      });
    } catch (err) {
      // Another instance applied it at the same moment: the effect exists once.
      if (err instanceof UniqueConstraintViolationException) {
        const done = await handledAmong(orm.em.fork(BACKGROUND), consumer, [event.id]);
        if (done.size) return;
      }
      throw err;
    }
  };
  const applyBatch = (todo: [DomainEvent, ConsumerHandler][]) =>
    transaction(todo, async (em) => {
      // The same event twice in one delivery (a retried publish) is applied once.
      const ids = [...new Set(todo.map(([e]) => e.id))];
      const fresh = await markFresh(em, consumer, ids);
      for (const [event, handler] of todo) {
        if (!fresh.delete(event.id)) continue;
        await apply(em, event, handler);
      }
    });

  // The types with a handler ('*': all): the Redis bus passes over the others unparsed;
  // `handlerOf` passes over whatever still comes.
  const types = handlers['*'] ? undefined : Object.keys(handlers);
  bus.subscribeGroup(
    consumer,
    async (events) => {
      let todo: [DomainEvent, ConsumerHandler][] = [];
      const now = Date.now();
      for (const event of events) {
        const handler = handlerOf(event);
        if (!handler) continue;
        const lag = (now - Date.parse(event.occurredAt)) / 1000;
        // A malformed time must not fail the event (metrics refuse NaN).
        if (Number.isFinite(lag)) busLag.observe({ consumer }, Math.max(0, lag));
        todo.push([event, handler]);
      }
      if (todo.length) todo = await filtered(orm, todo);
      if (!todo.length) return;
      // Only events whose application recorded events of their own leave anything to relay.
      await publishingAfter(
        async () => {
          let batched = false;
          if (todo.length > 1) {
            try {
              await applyBatch(todo);
              batched = true;
            } catch (err) {
              // Applied again below one event at a time, where the failing event reports itself;
              // a batch that keeps failing here costs a transaction per event, so it is worth seeing.
              log.warn(
                { consumer, events: todo.length, error: errorField(err) },
                'consumer batch failed: applying its events one at a time',
              );
            }
          }
          if (!batched) for (const [event, handler] of todo) await applyOne(event, handler);
        },
        () => afterApplied?.(),
      );
    },
    types,
  );
}
