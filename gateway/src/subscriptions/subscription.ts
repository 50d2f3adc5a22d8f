import type { FormattedExecutionResult } from 'graphql';
import type { LiveEvent } from '../../../lib/event-filter.js';
import type { Identity } from '../auth/authenticator.js';
import { hasAccess, type Connection, type Guarded } from './connection.js';
import type { PreparedSubscription } from './prepare.js';
import { subscriptionDeliveries } from '../../../lib/metrics.js';
import { NextFrames } from './frames.js';
import { SubscriptionStream } from './stream.js';

/**
 * Bytes of messages a socket may hold unsent (its client does not read them) before it is
 * closed with 1008; the server's `maxUnsentBytes` overrides it.
 */
export const MAX_UNSENT_BYTES = 1 << 20;
/**
 * How long a subscription remembers the ids its backfill delivered: live copies of those events
 * (published by the outbox after the backfill read them) are skipped meanwhile.
 */
export const BACKFILL_MEMORY_MS = 120_000;

/** The answer for one event: a result to send, or null to send nothing (not visible). */
export type Outcome = FormattedExecutionResult | null;

/**
 * One client subscription: what it asked for, the stream graphql-ws holds (it ends the
 * subscription: an error, or the client's `complete`), and the chain that delivers its events
 * strictly in the order they were handed to it (backfill first, then live events in bus order),
 * each once: the engine drops duplicate live events for everyone, the subscription skips live
 * events its backfill already delivered. Results are written to the socket as `next` messages
 * by the subscription itself (frames.ts), not through graphql-ws.
 */
export class LiveSubscription implements Guarded {
  readonly stream: SubscriptionStream;
  private readonly frames: NextFrames;
  /**
   * Delivery and the subscription's group key share this: equal text ⇒ equal query. The engine
   * replaces it with the one string object every equal subscription holds (interned), so
   * grouping thousands of subscribers compares pointers, not texts.
   */
  deliveryKey: string;
  delivered = 0;
  /** Ids the backfill delivered (null without backfill, and once forgotten). */
  private backfilled: Set<string> | null = null;
  /** What is left to do, in order: steps (backfill, an ending) and live events. */
  private readonly steps: (
    (() => Promise<void>) | { eventId: string; outcome: Promise<Outcome> }
  )[] = [];
  private draining = false;

  constructor(
    readonly conn: Connection,
    /** The client's id of the subscription (graphql-ws `subscribe` message). */
    id: string,
    readonly prepared: PreparedSubscription,
    onEnd: (s: LiveSubscription) => void,
    /** When this subscription may send its next live message (DeliveryScheduler.sendTurn). */
    private readonly pace?: () => Promise<void> | undefined,
  ) {
    this.stream = new SubscriptionStream(() => onEnd(this));
    this.frames = new NextFrames(id);
    this.deliveryKey = `${prepared.delivery.query}\n${JSON.stringify(prepared.delivery.variables)}`;
  }

  get workspaceId(): string {
    return this.prepared.workspaceId;
  }

  get permissions(): readonly string[] {
    return this.prepared.permissions;
  }

  get ended(): boolean {
    return this.stream.ended || this.conn.closed;
  }

  /** Set once the subscription is being ended with an error: it takes no further events. */
  private stopping = false;

  /** Whether a live event is one this subscription asked for. */
  matches(event: LiveEvent): boolean {
    return !this.stopping && this.prepared.kind.matches(event, this.prepared.filter);
  }

  /**
   * Ends the subscription with `error` (e.g. RATE_LIMITED) once what was queued before is
   * delivered; events from now on are not taken.
   */
  endWith(error: unknown): void {
    if (this.stopping) return;
    this.stopping = true;
    this.after(async () => {
      throw error;
    });
  }

  /** Runs `step` after everything queued before it (the backfill, earlier events). */
  after(step: () => Promise<void>): void {
    this.steps.push(step);
    this.drain();
  }

  /** Queues the outcome of one live event, delivered in turn. */
  enqueue(eventId: string, outcome: Promise<Outcome>): void {
    this.steps.push({ eventId, outcome });
    this.drain();
  }

  /**
   * Works through the queued steps in order, one at a time. A live event costs one await (of
   * its outcome) here: with thousands of subscribers an event's fan-out is thousands of these,
   * so the queue is a loop rather than a chain of promises. A failed step ends the stream.
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        for (let step = this.steps.shift(); step; step = this.steps.shift()) {
          if (typeof step === 'function') await step();
          else if (!this.backfilled?.has(step.eventId)) {
            const outcome = await step.outcome;
            if (!outcome) continue;
            // Requests in flight come first: the send may wait for a later turn of the loop.
            const turn = this.pace?.();
            if (turn) await turn;
            const later = this.deliver(outcome);
            if (later) await later;
          }
        }
      } catch (err) {
        this.steps.length = 0;
        this.stream.fail(err);
      } finally {
        this.draining = false;
      }
    })();
  }

  /** Delivers one stored event of the backfill and remembers its id. */
  async deliverBackfilled(eventId: string, outcome: Outcome): Promise<void> {
    (this.backfilled ??= new Set()).add(eventId);
    await this.deliver(outcome);
  }

  /** The backfill is done: forget its ids after a while (bounded memory). */
  backfillDone(): void {
    if (!this.backfilled) return;
    setTimeout(() => (this.backfilled = null), BACKFILL_MEMORY_MS).unref();
  }

  /**
   * Sends an outcome unless it is empty or the subscriber may no longer see the workspace
   * (checked against the connection's newest identity, after any refresh in flight). Sent at
   * once, unless a refresh is in flight: then the promise of its sending.
   */
  private deliver(outcome: Outcome): Promise<void> | undefined {
    if (!outcome || this.ended) return;
    const current = this.conn.current();
    if (current instanceof Promise) {
      return this.conn.settled().then((identity) => {
        if (identity) this.send(outcome, identity);
      });
    }
    this.send(outcome, current);
  }

  private send(outcome: NonNullable<Outcome>, identity: Identity): void {
    if (this.ended) return;
    if (!hasAccess(identity.grants, this.workspaceId, this.permissions)) return;
    this.conn.sendNext(this.frames, outcome);
    this.delivered++;
    subscriptionDeliveries.inc();
  }
}
