import { Redis } from 'ioredis';
import type { EventActor } from './actor.js';
import { errorField, log } from './log.js';

/** A domain event as it travels between subgraphs (ARCHITECTURE.md "Domain events"). */
export interface DomainEvent<P = Record<string, unknown>> {
  /** Unique id: consumers record it to stay idempotent. */
  id: string;
  /** Dotted name, e.g. `user.signed-up`, `api-key.revoked`. */
  type: string;
  /** The subgraph that wrote it. */
  source: string;
  occurredAt: string;
  payload: P;
  /** Who caused it; absent on events recorded before actors were. */
  actor?: EventActor | null;
  /**
   * What the relay read for the consumers in the statement that took the event from the outbox
   * (PostgreSQL: `ModuleDefinition.outboxHints`), as of that moment: in-process, what a
   * consumer's own read just after would have seen; through Redis, what was true when the event
   * was taken, however late it is applied. A consumer may use a hint instead of that read, and
   * reads for itself when the hint is absent (SQLite, another relay, an event from before hints).
   */
  hints?: Record<string, unknown>;
}

export type EventHandler = (event: DomainEvent) => Promise<void> | void;

/**
 * A group member's handler: the events of one delivery, in stream order (up to 100). It
 * succeeds for all of them or throws, and then the whole batch is delivered again (consumers
 * are idempotent, so what it had applied is skipped the second time).
 */
export type BatchHandler = (events: DomainEvent[]) => Promise<void>;

/**
 * Carries domain events. `subscribeGroup` delivers each event to one member of a named group
 * (at least once, until the handler succeeds), in batches so that a consumer can apply many
 * events in one transaction; `subscribeBroadcast` delivers every event to every subscriber in
 * every process (used for cache invalidation and live fan-out).
 */
export interface Bus {
  publish(events: DomainEvent[]): Promise<void>;
  /**
   * `types`: the event types the group handles (absent: all), a hint: on Redis, an entry names
   * its type beside the event, so a group passes over (acknowledges) the others without parsing
   * them (most of the stream, for most groups, is other subgraphs' events and stored events).
   * The handler may still get other types (entries written before types were named, the
   * in-process bus) and passes over them itself, as `consumeEvents` does.
   */
  subscribeGroup(group: string, handler: BatchHandler, types?: readonly string[]): void;
  subscribeBroadcast(handler: EventHandler): () => void;
  /**
   * Resolves once every event published so far (by any process) has reached this process's
   * broadcast subscribers: true then, false after `timeoutMs`. The gateway awaits it before
   * serving a cached identity, so that a revocation made through any instance applies to the
   * very next request on every instance.
   */
  settle(timeoutMs?: number): Promise<boolean>;
  /**
   * Where this process's last published event sits in the stream (undefined: nothing to wait
   * for, as on the in-process bus, where delivery is part of the publish). A subgraph answers
   * with it (`BUS_POSITION_HEADER`), so that the gateway can wait for its own reader to pass
   * what a mutation published without asking Redis where the tail is (`settleTo`).
   */
  position(): string | undefined;
  /**
   * Resolves once this process's broadcast subscribers have handled everything up to `position`
   * (true), or false after `timeoutMs`. No round trip: `settle` for a position already known.
   */
  settleTo(position: string, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The response header in which a subgraph says where its last published event sits in the bus
 * stream (`Bus.position`; "0-0" when it has published nothing yet).
 */
export const BUS_POSITION_HEADER = 'flowplane-bus-position';

/** The embedded-mode bus: delivery is a function call, awaited by the publisher. */
export class InProcessBus implements Bus {
  private readonly groups = new Map<string, BatchHandler[]>();
  private readonly broadcast = new Set<EventHandler>();

  async publish(events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    // Each group gets the whole batch. A failing group handler fails the publish: the relay
    // keeps the rows and retries later, and the idempotent consumers skip what they handled.
    for (const handlers of this.groups.values()) {
      for (const h of handlers) await h(events);
    }
    for (const event of events) {
      for (const h of this.broadcast) {
        try {
          await h(event);
        } catch (err) {
          log.error({ error: errorField(err) }, 'broadcast handler failed');
        }
      }
    }
  }

  /** Every group gets every event (nothing to parse here: `types` is not needed). */
  subscribeGroup(group: string, handler: BatchHandler): void {
    const list = this.groups.get(group) ?? [];
    list.push(handler);
    this.groups.set(group, list);
  }

  subscribeBroadcast(handler: EventHandler): () => void {
    this.broadcast.add(handler);
    return () => this.broadcast.delete(handler);
  }

  /** Delivery is synchronous with the publish: nothing to wait for. */
  async settle(): Promise<boolean> {
    return true;
  }

  position(): undefined {
    return undefined;
  }

  async settleTo(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.groups.clear();
    this.broadcast.clear();
  }
}

/**
 * The scaled-out bus: one Redis stream; each group is a consumer group (entries stay pending
 * until acknowledged; a member's own pending entries come again when it reads again, and those
 * of a member that is gone are taken over by another after `claimIdleMs`), broadcast readers
 * use plain XREAD from the moment they subscribed.
 */
export class RedisBus implements Bus {
  private readonly writer: Redis;
  private readonly readers: Redis[] = [];
  private closed = false;
  private readonly stream: string;
  private readonly consumer: string;
  /** Position of the broadcast reader in the stream, and who waits for it to move. */
  private broadcastPosition = '0-0';
  private readonly broadcastHandlers = new Set<EventHandler>();
  private broadcastLoop?: Promise<void>;
  private waiters: { id: string; resolve: (caughtUp: boolean) => void }[] = [];
  private tailInFlight?: Promise<string | undefined>;
  private tailQueued?: Promise<string | undefined>;
  /** The id of the last entry this process added to the stream. */
  private lastPublished = '0-0';
  /** Entries taken over from group members that had read and not acknowledged them (logs, tests). */
  claimedEntries = 0;
  /** Each consumer group's handled batch that waits to be acknowledged with its next read. */
  private readonly heldAcks = new Set<HeldAcks>();

  private readonly groupLingerMs: number;
  private readonly claimIdleMs: number;
  private readonly maxEntries: number;
  private readonly trimEvery: number;
  private readonly keepRecentMs: number;
  private publishedSinceTrim = 0;
  private trimming?: Promise<unknown>;

  constructor(
    url: string,
    prefix: string,
    consumerName: string,
    private readonly blockMs = 1000,
    limits: StreamLimits = {},
    groups: GroupReading = {},
  ) {
    this.writer = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
    this.stream = `${prefix}:events`;
    this.consumer = consumerName;
    this.maxEntries = limits.maxEntries ?? 1_000_000;
    this.trimEvery = limits.trimEvery ?? 1_000;
    this.keepRecentMs = limits.keepRecentMs ?? 60_000;
    this.groupLingerMs = groups.lingerMs ?? 0;
    this.claimIdleMs = groups.claimIdleMs ?? 60_000;
  }

  async publish(events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    const pipeline = this.writer.pipeline();
    // No MAXLEN here: a length cap on every XADD drops entries a lagging consumer group has
    // not read yet, losing events. `trim` removes only what every group has acknowledged.
    // The type beside the event: groups pass over the types they do not handle unparsed.
    for (const e of events) pipeline.xadd(this.stream, '*', 't', e.type, 'e', JSON.stringify(e));
    const results = await pipeline.exec();
    for (const [err] of results ?? []) if (err) throw err;
    const last = results?.[results.length - 1]?.[1];
    if (typeof last === 'string' && compareIds(last, this.lastPublished) > 0)
      this.lastPublished = last;
    this.publishedSinceTrim += events.length;
    if (this.publishedSinceTrim >= this.trimEvery && !this.trimming) {
      this.publishedSinceTrim = 0;
      this.trimming = this.trim()
        .catch((err) => log.error({ error: errorField(err) }, 'event stream trim failed'))
        .finally(() => (this.trimming = undefined));
    }
  }

  /**
   * Removes the entries every consumer group is done with: those before the oldest entry a group
   * still holds unacknowledged, or has not been delivered yet. Entries younger than
   * `keepRecentMs` always stay, for broadcast readers (subscriptions, caches) that read a little
   * behind the tail. Past `maxEntries` (a group that stopped reading for good, or lags by that
   * much) the oldest entries go anyway, and that loss is logged as an error: it is the one way
   * this bus drops an event.
   */
  async trim(): Promise<{ trimmed: number; unreadDropped: number }> {
    const [seconds, micros] = (await this.writer.time()) as [string | number, string | number];
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    let keepFrom = `${Math.max(0, nowMs - this.keepRecentMs)}-0`;
    const groups = (await this.writer.xinfo('GROUPS', this.stream).catch(() => [])) as unknown[][];
    for (const raw of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < raw.length; i += 2) info.set(String(raw[i]), raw[i + 1]);
      let oldest = nextId(String(info.get('last-delivered-id') ?? '0-0'));
      if (Number(info.get('pending') ?? 0) > 0) {
        const summary = (await this.writer.xpending(this.stream, String(info.get('name')))) as [
          number,
          string | null,
        ];
        if (summary[1]) oldest = summary[1];
      }
      if (compareIds(oldest, keepFrom) < 0) keepFrom = oldest;
    }
    let trimmed = Number(await this.writer.xtrim(this.stream, 'MINID', keepFrom));
    let unreadDropped = 0;
    if ((await this.writer.xlen(this.stream)) > this.maxEntries) {
      unreadDropped = Number(
        await this.writer.xtrim(this.stream, 'MAXLEN', String(this.maxEntries)),
      );
      trimmed += unreadDropped;
      log.error(
        { stream: this.stream, maxEntries: this.maxEntries, dropped: unreadDropped },
        'event stream over its cap: dropped entries a consumer group had not acknowledged',
      );
    }
    return { trimmed, unreadDropped };
  }

  subscribeGroup(group: string, handler: BatchHandler, types?: readonly string[]): void {
    const reader = this.newReader();
    void this.runGroup(reader, group, handler, types ? new Set(types) : undefined);
  }

  /**
   * Every broadcast subscriber of this process is served by one reader: one position in the
   * stream, so when `settle` sees it at the tail, every subscriber (the identity cache as much as
   * the subscription engine) has handled what came before. (With a reader each, one could be
   * ahead of the other, and a request could be served from a cache entry the slower reader was
   * about to drop.)
   */
  subscribeBroadcast(handler: EventHandler): () => void {
    this.broadcastHandlers.add(handler);
    this.broadcastLoop ??= this.readBroadcast();
    return () => {
      this.broadcastHandlers.delete(handler);
    };
  }

  private async readBroadcast(): Promise<void> {
    const reader = this.newReader();
    // Start from the current tail, with a concrete id so that settle() can compare positions.
    const tail = (await this.writer
      .xrevrange(this.stream, '+', '-', 'COUNT', 1)
      .catch(() => [])) as [string, string[]][];
    let last = tail[0]?.[0] ?? '0-0';
    this.advance(last);
    while (this.broadcastHandlers.size && !this.closed) {
      try {
        const res = (await reader.xread('BLOCK', this.blockMs, 'STREAMS', this.stream, last)) as
          [string, [string, string[]][]][] | null;
        for (const [, entries] of res ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            // Parsed once for every subscriber of this process.
            const event = parseEntry(fields);
            if (event)
              for (const handler of [...this.broadcastHandlers]) await this.deliver(handler, event);
            this.advance(id);
          }
        }
      } catch (err) {
        if (this.closed) break;
        await sleep(200);
        void err;
      }
    }
    // Nobody listens any more: the next subscriber starts a reader from the tail of that time.
    this.broadcastLoop = undefined;
    reader.disconnect();
  }

  /**
   * One read of the stream's tail (shared with concurrent callers, see `readTail`); waits only
   * when the broadcast reader is behind it.
   */
  async settle(timeoutMs = 1000): Promise<boolean> {
    if (!this.broadcastHandlers.size) return true;
    const id = await this.readTail();
    return id ? this.settleTo(id, timeoutMs) : true;
  }

  position(): string {
    return this.lastPublished;
  }

  settleTo(position: string, timeoutMs = 1000): Promise<boolean> {
    if (!this.broadcastHandlers.size || !validId(position)) return Promise.resolve(true);
    if (compareIds(this.broadcastPosition, position) >= 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = { id: position, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs).unref();
    });
  }

  /**
   * The id of the stream's last entry, read after the call began. Concurrent callers share
   * reads: at most one XREVRANGE is in flight, and callers that arrive while it is share the
   * next one (the one in flight may have started before an event they must see was published).
   * Under load this turns one round trip per request into about two per round-trip time.
   */
  private readTail(): Promise<string | undefined> {
    if (!this.tailInFlight) {
      const read = (async () => {
        const tail = (await this.writer.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as [
          string,
          string[],
        ][];
        return tail[0]?.[0];
      })();
      this.tailInFlight = read;
      void read.then(
        () => this.endTailRead(read),
        () => this.endTailRead(read),
      );
      return read;
    }
    this.tailQueued ??= this.tailInFlight.then(
      () => this.readTail(),
      () => this.readTail(),
    );
    return this.tailQueued;
  }

  private endTailRead(read: Promise<string | undefined>): void {
    if (this.tailInFlight !== read) return;
    this.tailInFlight = undefined;
    this.tailQueued = undefined;
  }

  private advance(id: string): void {
    if (compareIds(id, this.broadcastPosition) > 0) this.broadcastPosition = id;
    const ready = this.waiters.filter((w) => compareIds(this.broadcastPosition, w.id) >= 0);
    if (!ready.length) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(true);
  }

  private newReader(): Redis {
    const r = this.writer.duplicate();
    this.readers.push(r);
    return r;
  }

  private async runGroup(
    reader: Redis,
    group: string,
    handler: BatchHandler,
    wanted?: ReadonlySet<string>,
  ): Promise<void> {
    try {
      await reader.xgroup('CREATE', this.stream, group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw err;
    }
    // Our own pending entries first (a crash left them unacknowledged), then new ones.
    let cursor = '0';
    // A handled batch's ids, acknowledged in the same write as the next read: one round trip
    // per batch instead of two. `close` acknowledges what is still held here.
    const held: HeldAcks = { group, ids: [] };
    this.heldAcks.add(held);
    let nextClaim = Date.now() + this.claimIdleMs / 2;
    while (!this.closed) {
      try {
        if (cursor === '>' && Date.now() >= nextClaim) {
          nextClaim = Date.now() + this.claimIdleMs / 2;
          // Entries another member of the group read and has not acknowledged for claimIdleMs:
          // it crashed or was stopped mid-batch (a restarted process reads as a new consumer,
          // never as the old one). Taken over and handled from our own pending list; the
          // consumer skips what the other had applied before it went.
          const [, claimed] = (await reader.call(
            'xautoclaim',
            this.stream,
            group,
            this.consumer,
            this.claimIdleMs,
            '0-0',
            'COUNT',
            GROUP_BATCH,
            'JUSTID',
          )) as [string, string[]];
          if (claimed.length) {
            this.claimedEntries += claimed.length;
            cursor = '0';
          }
        }
        const read = [
          'GROUP',
          group,
          this.consumer,
          'COUNT',
          GROUP_BATCH,
          ...(cursor === '>' ? ['BLOCK', this.blockMs] : []),
          'STREAMS',
          this.stream,
          cursor,
        ];
        let res: [string, [string, string[] | null][]][] | null;
        if (held.ids.length) {
          const sending = held.ids;
          held.ids = [];
          try {
            const [[ackError], [readError, next]] = (await reader
              .pipeline()
              .xack(this.stream, group, ...sending)
              .call('xreadgroup', read)
              .exec()) as [Error | null, unknown][] as [[Error | null], [Error | null, unknown]];
            if (ackError ?? readError) throw ackError ?? readError;
            res = next as typeof res;
          } catch (err) {
            // Acknowledged with the next read (again, if Redis took it: that is harmless).
            held.ids = sending;
            throw err;
          }
        } else {
          res = (await reader.call('xreadgroup', read)) as typeof res;
        }
        const entries = res?.[0]?.[1] ?? [];
        if (cursor === '0' && entries.length === 0) {
          cursor = '>';
          continue;
        }
        if (!entries.length) continue;
        // A trimmed entry (no fields), one that holds no event and one of a type the group does
        // not handle are acknowledged with the rest.
        const events = entries
          .map(([, fields]) => parseEntry(fields, wanted))
          .filter((e): e is DomainEvent => e !== undefined);
        try {
          if (events.length) await handler(events);
          held.ids = entries.map(([id]) => id);
          if (cursor === '>' && entries.length < GROUP_BATCH && this.groupLingerMs > 0)
            await sleep(this.groupLingerMs);
        } catch (err) {
          // Nothing of the batch is acknowledged: it comes again from the pending list, and
          // the consumer skips what it had applied.
          log.error({ group, error: errorField(err) }, 'event handler failed');
          cursor = '0';
          await sleep(500);
        }
        // While cursor is '0', the pending list keeps draining until it is empty.
      } catch (err) {
        if (this.closed) break;
        log.error({ error: errorField(err) }, 'redis read failed');
        // Entries read but not acknowledged come again from our pending list.
        cursor = '0';
        await sleep(500);
      }
    }
    // Closed while handling a batch: acknowledged if the writer is still open (otherwise it
    // stays pending, and a consumer that reads it again skips what it had applied).
    this.heldAcks.delete(held);
    if (held.ids.length)
      await this.writer.xack(this.stream, group, ...held.ids).catch(() => undefined);
  }

  private async deliver(handler: EventHandler, event: DomainEvent): Promise<void> {
    try {
      await handler(event);
    } catch (err) {
      log.error({ error: errorField(err) }, 'broadcast handler failed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) w.resolve(false);
    // Batches handled but not yet acknowledged (a group lingering after one): acknowledged now,
    // so that nothing this consumer has done stays pending under its name once it is gone.
    await Promise.all(
      [...this.heldAcks]
        .filter((h) => h.ids.length)
        .map((h) =>
          this.writer.xack(this.stream, h.group, ...h.ids.splice(0)).catch(() => undefined),
        ),
    );
    for (const r of this.readers) r.disconnect();
    await this.trimming;
    await this.writer.quit().catch(() => undefined);
  }
}

/**
 * The event of a stream entry; undefined when it is of a type not `wanted` (not parsed), and
 * (logged) when it holds none or garbage. Entries written before types were named beside the
 * events are parsed whatever their type.
 */
function parseEntry(
  fields: string[] | null,
  wanted?: ReadonlySet<string>,
): DomainEvent | undefined {
  if (!fields) return undefined;
  if (wanted) {
    const type = fieldOf(fields, 't');
    if (type !== undefined && !wanted.has(type)) return undefined;
  }
  const raw = fieldOf(fields, 'e');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as DomainEvent;
  } catch (err) {
    log.error({ error: errorField(err) }, 'unreadable event in the stream, passed over');
    return undefined;
  }
}

/** The value of a stream entry's field (names and values alternate). */
function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** How long the Redis stream may grow, and how often the publisher trims it. */
export interface StreamLimits {
  /** Entries kept at most, read or not (1,000,000 by default). */
  maxEntries?: number;
  /** A publisher trims after this many published events (1,000 by default). */
  trimEvery?: number;
  /** Entries younger than this always stay, read or not (60,000 ms by default). */
  keepRecentMs?: number;
}

/** How this process's consumer groups read the stream. */
export interface GroupReading {
  /**
   * After a group handled a batch that did not fill its read, how long it waits before reading
   * again, so that events arriving meanwhile come as one batch: under load a group reads,
   * handles and acknowledges many events at once instead of one by one (a round trip, a wake-up
   * and the consumer's transaction each). The first event after a quiet spell is read at once.
   * 0 (the default here; BUS_GROUP_LINGER_MS in the servers) reads again at once.
   */
  lingerMs?: number;
  /**
   * Entries another member of the group has held unacknowledged this long are taken over (60 s
   * by default): that member crashed or stopped mid-batch. Checked every half of it.
   */
  claimIdleMs?: number;
}

/** A consumer group's handled entries not yet acknowledged. */
interface HeldAcks {
  group: string;
  ids: string[];
}

/** Entries a consumer group reads at most at once. */
const GROUP_BATCH = 100;

/** The stream id right after `id`. */
function nextId(id: string): string {
  const [ms, seq] = id.split('-') as [string, string];
  return `${ms}-${BigInt(seq) + 1n}`;
}

/** A Redis stream id ("<ms>-<seq>"), as another process may send one. */
export function validId(id: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(id);
}

/** Orders Redis stream ids ("<ms>-<seq>"). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
