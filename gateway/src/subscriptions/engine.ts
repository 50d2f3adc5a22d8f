import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import type { Bus, DomainEvent } from '../../../lib/bus.js';
import type { LiveEvent } from '../../../lib/event-filter.js';
import { fingerprintOf, type Identity } from '../auth/authenticator.js';
import { gatewayContext, type GatewayContext } from '../context.js';
import type { SubgraphTransport } from '../transport.js';
import { hasAccess, type Connection } from './connection.js';
import type { PreparedSubscription } from './prepare.js';
import { EVENT_ID_VARIABLE } from './rewrite.js';
import { Semaphore } from './semaphore.js';
import { RecentIds } from './push-queue.js';
import { LiveSubscription, type Outcome } from './subscription.js';
import { errorField, log } from '../../../lib/log.js';

/** Live event ids the engine remembers to drop duplicates. */
const SEEN_IDS = 10_000;

/** The domain event that carries every stored event (CONTRACT "On the bus"). */
export const EVENT_EMITTED = 'event.emitted';

const EVENTS_SINCE = /* GraphQL */ `
  query GatewayEventsSince($workspaceId: ID!, $since: ID!, $limit: Int!) {
    _eventsSince(workspaceId: $workspaceId, since: $since, limit: $limit)
  }
`;

/** The gateway parts the engine works with, and its tuning. */
export interface EngineOptions {
  /** The gateway's own server: deliveries run through it (plans, limits, cross-subgraph fields). */
  apollo: ApolloServer<GatewayContext>;
  transport: SubgraphTransport;
  bus: Bus;
  /** Delivery queries running at once (default 32). */
  concurrency?: number;
  /** Stored events fetched per backfill page (default 500). */
  backfillPage?: number;
  /** Most stored events one backfill reads (default 10,000); live delivery follows. */
  backfillMax?: number;
}

/**
 * Delivers live events to subscriptions. It reads `event.emitted` from the bus once, matches
 * each event to the subscriptions of its workspace (filters of lib/event-filter.ts), checks the
 * subscriber's grants, and resolves the client's selection set by running the rewritten query
 * through the gateway with the subscriber's identity. Subscribers with the same query and the
 * same identity fingerprint share one execution per event.
 */
export class SubscriptionEngine {
  private readonly byWorkspace = new Map<string, Set<LiveSubscription>>();
  private readonly slots: Semaphore;
  /** Live event ids seen lately: a duplicate on the bus (an outbox re-send) is dropped once. */
  private readonly seen = new RecentIds(SEEN_IDS);
  private unsubscribe: (() => void) | null = null;
  /** Delivery queries run so far (one per event and group of equal subscribers). */
  executions = 0;
  /** Subscriptions registered so far (tests and benchmarks wait on it). */
  registered = 0;

  constructor(private readonly opts: EngineOptions) {
    this.slots = new Semaphore(opts.concurrency ?? 32);
  }

  /** Starts reading the bus. */
  start(): void {
    this.unsubscribe ??= this.opts.bus.subscribeBroadcast((e) => this.onBusEvent(e));
  }

  /** Stops reading the bus (open subscriptions receive nothing more). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Open subscriptions (all workspaces). */
  get size(): number {
    let n = 0;
    for (const set of this.byWorkspace.values()) n += set.size;
    return n;
  }

  /**
   * Registers a subscription whose permission was checked: live events are queued from now on;
   * with `since`, the stored events after it are delivered first (then the queued live events,
   * skipping the ids the backfill delivered).
   */
  subscribe(
    conn: Connection,
    prepared: PreparedSubscription,
    onEnd?: (s: LiveSubscription) => void,
  ): LiveSubscription {
    const sub = new LiveSubscription(conn, prepared, (s) => {
      this.remove(s);
      onEnd?.(s);
    });
    if (prepared.since) {
      sub.after(async () => {
        await this.backfill(sub, prepared.since!);
        sub.backfillDone();
      });
    }
    let set = this.byWorkspace.get(prepared.workspaceId);
    if (!set) this.byWorkspace.set(prepared.workspaceId, (set = new Set()));
    set.add(sub);
    conn.subscriptions.add(sub);
    this.registered++;
    return sub;
  }

  private remove(sub: LiveSubscription): void {
    sub.conn.subscriptions.delete(sub);
    const set = this.byWorkspace.get(sub.workspaceId);
    if (!set) return;
    set.delete(sub);
    if (!set.size) this.byWorkspace.delete(sub.workspaceId);
  }

  /** Synchronous: it only queues work, so it never holds up the publisher. */
  private onBusEvent(domainEvent: DomainEvent): void {
    if (domainEvent.type !== EVENT_EMITTED) return;
    const { workspaceId, event } = domainEvent.payload as { workspaceId: string; event: LiveEvent };
    const subs = this.byWorkspace.get(workspaceId);
    if (!event?.id || !this.seen.add(event.id) || !subs) return;
    const matched: LiveSubscription[] = [];
    for (const s of subs) if (!s.ended && s.matches(event)) matched.push(s);
    if (!matched.length) return;
    // The identity each subscriber has at this point of the bus order (a refresh in flight
    // when a revocation came before this event).
    const identities = matched.map((s) => s.conn.current());
    const outcomes = this.resolve(event, matched, identities);
    matched.forEach((s, i) =>
      s.enqueue(
        event.id,
        outcomes.then((list) => list[i]!),
      ),
    );
  }

  /** One execution per group of equal query and identity; the outcome of each subscriber. */
  private async resolve(
    event: LiveEvent,
    subs: LiveSubscription[],
    captured: (Identity | Promise<Identity | null>)[],
  ): Promise<Promise<Outcome>[]> {
    const identities = await Promise.all(captured);
    const groups = new Map<string, Promise<Outcome>>();
    return subs.map((s, i) => {
      const identity = identities[i];
      if (!identity) return Promise.resolve(null);
      if (!hasAccess(identity.grants, s.workspaceId, s.permissions)) {
        return Promise.resolve(null);
      }
      const key = `${s.deliveryKey}\n${fingerprintOf(identity)}`;
      let outcome = groups.get(key);
      if (!outcome) groups.set(key, (outcome = this.execute(s, event.id, identity)));
      return outcome;
    });
  }

  /**
   * Resolves one event as the subscription's selection set, with the subscriber's identity.
   * Null when the root field is null (the event is not visible to them, or is gone).
   */
  private async execute(sub: LiveSubscription, eventId: string, identity: Identity) {
    const { delivery, operationName } = sub.prepared;
    await this.slots.acquire();
    this.executions++;
    try {
      // The caller (and its token) is reused across deliveries; the request id is each one's.
      const contextValue: GatewayContext = {
        ...gatewayContext(identity, sub.conn.caller(identity), sub.conn.client.ip, randomUUID()),
        delivery: true,
      };
      const res = await this.opts.apollo.executeOperation(
        {
          query: delivery.query,
          variables: { ...delivery.variables, [EVENT_ID_VARIABLE]: eventId },
          operationName: operationName ?? undefined,
        },
        { contextValue },
      );
      if (res.body.kind !== 'single') return null;
      const result = res.body.singleResult as FormattedExecutionResult;
      if (result.data?.[delivery.responseKey] == null) {
        logUnexpected(result, eventId);
        return null;
      }
      return result;
    } catch (err) {
      log.error({ error: errorField(err) }, 'subscription delivery failed');
      return null;
    } finally {
      this.slots.release();
    }
  }

  /**
   * Delivers the stored events after `since` that match (oldest first), page by page, through
   * the operations subgraph's internal `_eventsSince` with the subscriber's own token.
   */
  private async backfill(sub: LiveSubscription, since: string): Promise<void> {
    const page = this.opts.backfillPage ?? 500;
    const max = this.opts.backfillMax ?? 10_000;
    let after = since;
    for (let read = 0; read < max;) {
      const identity = await sub.conn.settled();
      if (!identity || sub.ended) return;
      const res = await this.opts.transport.execute(
        'operations',
        {
          query: EVENTS_SINCE,
          variables: {
            workspaceId: sub.workspaceId,
            since: after,
            limit: Math.min(page, max - read),
          },
        },
        sub.conn.caller(identity),
      );
      if (res.errors?.length) {
        const e = res.errors[0]!;
        throw new GraphQLError(e.message, { extensions: e.extensions });
      }
      const events = (res.data?._eventsSince ?? []) as LiveEvent[];
      // Executions run side by side; deliveries keep the store's order.
      const outcomes = events
        .filter((e) => sub.matches(e))
        .map((e) => [e.id, this.execute(sub, e.id, identity)] as const);
      for (const [id, outcome] of outcomes) await sub.deliverBackfilled(id, await outcome);
      read += events.length;
      if (events.length < page || !events.length) return;
      after = events[events.length - 1]!.id;
    }
  }
}

/** Logs a delivery that failed for a reason other than visibility. */
function logUnexpected(result: FormattedExecutionResult, eventId: string): void {
  const codes = (result.errors ?? []).map((e) => e.extensions?.code);
  if (codes.every((c) => c === 'NOT_FOUND' || c === 'FORBIDDEN')) return;
  log.error(
    { eventId, codes, requestId: result.errors?.[0]?.extensions?.requestId },
    'subscription delivery answered no data',
  );
}
