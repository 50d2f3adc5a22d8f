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
import {
  accountOfDecision,
  rateLimitedError,
  type RateBudgets,
} from '../limits/rate-limit-plugin.js';
import type { RefusalAudit } from '../refusal-audit.js';
import {
  DeliveryScheduler,
  IN_PROCESS_DELIVERIES,
  type DeliverySchedulerOptions,
} from './delivery-scheduler.js';
import { RecentIds } from './stream.js';
import { LiveSubscription, type Outcome } from './subscription.js';
import { errorField, log } from '../../../lib/log.js';

/** Live event ids the engine remembers to drop duplicates. */
const SEEN_IDS = 10_000;

/** The domain event that carries every stored event (CONTRACT "On the bus"). */
export const EVENT_EMITTED = 'event.emitted';

const EVENTS_SINCE = /* GraphQL */ `
  query GatewayEventsSince($workspaceId: ID!, $since: ID, $limit: Int!, $occurredFrom: DateTime) {
    _eventsSince(
      workspaceId: $workspaceId
      since: $since
      limit: $limit
      occurredFrom: $occurredFrom
    )
  }
`;

/** The gateway parts the engine works with, and its tuning. */
export interface EngineOptions {
  /** The gateway's own server: deliveries run through it (plans, limits, cross-subgraph fields). */
  apollo: ApolloServer<GatewayContext>;
  transport: SubgraphTransport;
  bus: Bus;
  /**
   * Deliveries at once, with and without requests in flight (see DeliveryScheduler; default
   * IN_PROCESS_DELIVERIES with an in-process transport, else the scheduler's own).
   */
  scheduler?: DeliverySchedulerOptions;
  /** Each delivery is charged to its subscriber's budgets (principal, workspace's account). */
  budgets?: RateBudgets;
  /** Where refused deliveries are audited. */
  audit?: RefusalAudit;
  /** Stored events fetched per backfill page (default 500). */
  backfillPage?: number;
  /** Most stored events one backfill reads (default 10,000); live delivery follows. */
  backfillMax?: number;
}

/**
 * Delivers live events to subscriptions. It reads `event.emitted` from the bus once, matches
 * each event to the subscriptions of its workspace (filters of lib/event-filter.ts), checks the
 * subscriber's grants, charges the delivery to the subscriber's rate-limit budgets (over budget,
 * the subscription ends with RATE_LIMITED), and resolves the client's selection set by running
 * the rewritten query through the gateway with the subscriber's identity, in the tenant's turn
 * (DeliveryScheduler: tenants take turns, requests come first). Subscribers with the same query
 * and the same identity fingerprint share one execution per event.
 */
export class SubscriptionEngine {
  private readonly byWorkspace = new Map<string, Set<LiveSubscription>>();
  /**
   * The delivery and filter texts of open subscriptions, one string object each (see
   * LiveSubscription.deliveryKey and filterKey).
   */
  private readonly texts = new Map<string, { text: string; holders: number }>();
  /** Runs the delivery executions (the gateway tells it when requests start and end). */
  readonly scheduler: DeliveryScheduler;
  /** Live event ids seen lately: a duplicate on the bus (an outbox re-send) is dropped once. */
  private readonly seen = new RecentIds(SEEN_IDS);
  private unsubscribe: (() => void) | null = null;
  /** Delivery queries run so far (one per event and group of equal subscribers). */
  executions = 0;
  /** Deliveries refused for the subscribers' rate-limit budgets (their subscriptions ended). */
  refusedDeliveries = 0;
  /** Subscriptions registered so far (tests and benchmarks wait on it). */
  registered = 0;

  constructor(private readonly opts: EngineOptions) {
    this.scheduler = new DeliveryScheduler(
      opts.scheduler ?? (opts.transport.inProcess ? IN_PROCESS_DELIVERIES : {}),
    );
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
    id: string,
    prepared: PreparedSubscription,
    onEnd?: (s: LiveSubscription) => void,
  ): LiveSubscription {
    const sub = new LiveSubscription(
      conn,
      id,
      prepared,
      (s) => {
        this.remove(s);
        onEnd?.(s);
      },
      () => this.scheduler.sendTurn(),
    );
    if (prepared.since || prepared.replayFrom) {
      sub.after(async () => {
        await this.backfill(sub, prepared.since, prepared.replayFrom);
        sub.backfillDone();
      });
    }
    sub.deliveryKey = this.hold(sub.deliveryKey);
    sub.filterKey = this.hold(sub.filterKey);
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
    if (!set?.delete(sub)) return;
    this.release(sub.deliveryKey);
    this.release(sub.filterKey);
    if (!set.size) this.byWorkspace.delete(sub.workspaceId);
  }

  /** The one string object of `text` held by open subscriptions. */
  private hold(text: string): string {
    const held = this.texts.get(text);
    if (!held) {
      this.texts.set(text, { text, holders: 1 });
      return text;
    }
    held.holders++;
    return held.text;
  }

  private release(text: string): void {
    const held = this.texts.get(text);
    if (held && --held.holders === 0) this.texts.delete(text);
  }

  /** Synchronous: it only queues work, so it never holds up the publisher. */
  private onBusEvent(domainEvent: DomainEvent): void {
    if (domainEvent.type !== EVENT_EMITTED) return;
    const { workspaceId, event } = domainEvent.payload as { workspaceId: string; event: LiveEvent };
    const subs = this.byWorkspace.get(workspaceId);
    if (!event?.id || !this.seen.add(event.id) || !subs) return;
    // Subscriptions with equal filters (interned texts) share one verdict.
    const verdicts = new Map<string, boolean>();
    const matched: LiveSubscription[] = [];
    for (const s of subs) {
      if (!s.takesEvents) continue;
      let verdict = verdicts.get(s.filterKey);
      if (verdict === undefined) verdicts.set(s.filterKey, (verdict = s.matches(event)));
      if (verdict) matched.push(s);
    }
    if (!matched.length) return;
    // The identity each subscriber has at this point of the bus order (a refresh in flight
    // when a revocation came before this event).
    const identities = matched.map((s) => s.conn.current());
    const places = matched.map((s) => s.reserve(event.id));
    this.resolve(event, matched, identities).then(
      (groups) => {
        for (const { outcome, members } of groups) {
          outcome.then(
            (o) => {
              for (const i of members) matched[i]!.fill(places[i]!, o);
            },
            (err: unknown) => {
              for (const i of members) matched[i]!.fail(places[i]!, err);
            },
          );
        }
      },
      (err: unknown) => matched.forEach((s, i) => s.fail(places[i]!, err)),
    );
  }

  /**
   * Charges each subscriber for the event, then runs one execution per group of equal query and
   * identity: each group's outcome (null: nothing to send) and its members (indexes in `subs`).
   */
  private async resolve(
    event: LiveEvent,
    subs: LiveSubscription[],
    captured: (Identity | Promise<Identity | null>)[],
  ): Promise<{ outcome: Promise<Outcome>; members: number[] }[]> {
    // Thousands of subscribers, nearly always no refresh in flight: no promise per subscriber.
    const identities = captured.some((c) => c instanceof Promise)
      ? await Promise.all(captured)
      : (captured as Identity[]);
    // Subscribers share a few identity objects and permission lists (a kind's): one check each.
    const access = new Map<Identity, Map<readonly string[], boolean>>();
    const allowed = (identity: Identity, s: LiveSubscription) => {
      let byPermissions = access.get(identity);
      if (!byPermissions) access.set(identity, (byPermissions = new Map()));
      let ok = byPermissions.get(s.permissions);
      if (ok === undefined)
        byPermissions.set(
          s.permissions,
          (ok = hasAccess(identity.grants, s.workspaceId, s.permissions)),
        );
      return ok;
    };
    const charged = await this.charge(
      subs.map((s, i) => {
        const identity = identities[i];
        return identity && allowed(identity, s) ? { sub: s, identity, count: 1 } : null;
      }),
    );
    // Keyed by the subscription's delivery text, then the identity's fingerprint: both strings
    // are kept (their hashes too), so thousands of subscribers cost no string building here.
    const groups = new Map<string, Map<string, { outcome: Promise<Outcome>; members: number[] }>>();
    const nothing = { outcome: Promise.resolve(null), members: [] as number[] };
    subs.forEach((s, i) => {
      const identity = identities[i];
      if (!identity || !charged[i]) {
        nothing.members.push(i);
        return;
      }
      let byIdentity = groups.get(s.deliveryKey);
      if (!byIdentity) groups.set(s.deliveryKey, (byIdentity = new Map()));
      const fingerprint = fingerprintOf(identity);
      let group = byIdentity.get(fingerprint);
      if (!group) {
        group = { outcome: this.execute(s, event.id, identity), members: [] };
        byIdentity.set(fingerprint, group);
      }
      group.members.push(i);
    });
    const all = [...groups.values()].flatMap((byIdentity) => [...byIdentity.values()]);
    return nothing.members.length ? [nothing, ...all] : all;
  }

  /**
   * Charges deliveries to their subscribers' budgets: each subscriber's principal and the
   * account of the workspace, `count` deliveries of the subscription's cost, one charge per
   * principal and account. A refused subscriber's subscription ends with RATE_LIMITED (audited)
   * after what it was sent before. Whether each one was charged (nulls are skipped).
   */
  private async charge(
    wanted: ({ sub: LiveSubscription; identity: Identity; count: number } | null)[],
  ): Promise<boolean[]> {
    const budgets = this.opts.budgets;
    if (!budgets) return wanted.map((w) => w !== null);
    const bills = new Map<
      string,
      {
        principal: Identity['principal'];
        accountId: string;
        cost: number;
        subs: LiveSubscription[];
      }
    >();
    const unknown = new Set<LiveSubscription>();
    // Subscribers share a few identity objects: one key built per identity and workspace.
    const keys = new Map<Identity, Map<string, string>>();
    for (const w of wanted) {
      if (!w) continue;
      const accountId = w.identity.grants.workspaces[w.sub.workspaceId]?.accountId;
      // No grant in the workspace (any more): nothing to deliver, nothing to charge.
      if (!accountId) {
        unknown.add(w.sub);
        continue;
      }
      let byWorkspace = keys.get(w.identity);
      if (!byWorkspace) keys.set(w.identity, (byWorkspace = new Map()));
      let key = byWorkspace.get(w.sub.workspaceId);
      if (key === undefined)
        byWorkspace.set(w.sub.workspaceId, (key = `${w.identity.principal.id}\n${accountId}`));
      let bill = bills.get(key);
      if (!bill)
        bills.set(key, (bill = { principal: w.identity.principal, accountId, cost: 0, subs: [] }));
      bill.cost += Math.max(1, w.sub.prepared.cost) * w.count;
      bill.subs.push(w.sub);
    }
    const refused = new Set<LiveSubscription>();
    await Promise.all(
      [...bills.values()].map(async (bill) => {
        const first = bill.subs[0]!;
        const decision = await budgets.charge(
          budgets.chargesFor(bill.principal, [bill.accountId], first.conn.client.ip, bill.cost),
        );
        if (!decision || decision.allowed) return;
        for (const sub of bill.subs) {
          refused.add(sub);
          sub.endWith(rateLimitedError(decision));
        }
        this.refusedDeliveries += bill.subs.length;
        this.opts.audit?.record({
          reason: 'rate-limit',
          principal: bill.principal,
          client: first.conn.client,
          requestId: null,
          accountId: accountOfDecision(decision) ?? bill.accountId,
          detail: {
            budget: decision.key.split(':')[0]!,
            limit: decision.limit,
            subscription: true,
          },
        });
      }),
    );
    return wanted.map((w) => w !== null && !refused.has(w.sub) && !unknown.has(w.sub));
  }

  /**
   * Resolves one event as the subscription's selection set, with the subscriber's identity.
   * Null when the root field is null (the event is not visible to them, or is gone).
   */
  private execute(sub: LiveSubscription, eventId: string, identity: Identity): Promise<Outcome> {
    const tenant = identity.grants.workspaces[sub.workspaceId]?.accountId ?? sub.workspaceId;
    return this.scheduler.run(tenant, () => this.executeNow(sub, eventId, identity));
  }

  private async executeNow(
    sub: LiveSubscription,
    eventId: string,
    identity: Identity,
  ): Promise<Outcome> {
    const { delivery, operationName } = sub.prepared;
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
    }
  }

  /**
   * Delivers the stored events after `since` and/or that occurred from `replayFrom` on that
   * match (in store order), page by page, through the operations subgraph's internal
   * `_eventsSince` with the subscriber's own token.
   */
  private async backfill(
    sub: LiveSubscription,
    since: string | null,
    replayFrom: string | null,
  ): Promise<void> {
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
            occurredFrom: replayFrom,
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
      const matching = sub.takesEvents ? events.filter((e) => sub.matches(e)) : [];
      if (matching.length) {
        const [charged] = await this.charge([{ sub, identity, count: matching.length }]);
        if (!charged) return;
      }
      // Executions run side by side; deliveries keep the store's order.
      const outcomes = matching.map((e) => [e.id, this.execute(sub, e.id, identity)] as const);
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
