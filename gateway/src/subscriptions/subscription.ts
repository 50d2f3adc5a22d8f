import type { FormattedExecutionResult } from 'graphql';
import type { LiveEvent } from '../../../lib/event-filter.js';
import type { Identity } from '../auth/authenticator.js';
import { hasAccess, type Connection, type Guarded } from './connection.js';
import type { PreparedSubscription } from './prepare.js';
import { subscriptionDeliveries } from '../../../lib/metrics.js';
import { NextFrames } from './frames.js';
import { SubscriptionStream } from './stream.js';

/**
 * How long a subscription remembers the ids its backfill delivered: live copies of those events
 * (published by the outbox after the backfill read them) are skipped meanwhile.
 */
export const BACKFILL_MEMORY_MS = 120_000;

/** The answer for one event: a result to send, or null to send nothing (not visible). */
export type Outcome = FormattedExecutionResult | null;

/** Work in a subscription's line that is not a live event (its backfill, its ending). */
type Step = () => Promise<void>;

/** A live event's place in a subscription's line, filled when its outcome is known. */
export interface Place {
  eventId: string;
  ready: boolean;
  outcome: Outcome;
  error: { error: unknown } | null;
}

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
  /** The kind and filter as text: equal text ⇒ equal verdict on an event (interned too). */
  filterKey: string;
  delivered = 0;
  /** Ids the backfill delivered (null without backfill, and once forgotten). */
  private backfilled: Set<string> | null = null;
  /** What is left to do, in order: steps (backfill, an ending) and live events' places. */
  private readonly steps: (Step | Place)[] = [];
  /** A step, a pause of the fan-out or an identity refresh is in progress: the line waits. */
  private waiting = false;
  /** The head's pause was taken (DeliveryScheduler.sendTurn): it is sent without asking again. */
  private paced = false;
  /**
   * The identity last found to hold the subscription's permissions: a refresh replaces the
   * identity object, so an unchanged one needs no new check per message.
   */
  private cleared: Identity | null = null;

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
    this.filterKey = `${prepared.kind.field}\n${JSON.stringify(prepared.filter ?? null)}`;
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

  /** Whether it takes live events (it is neither ended nor being ended). */
  get takesEvents(): boolean {
    return !this.stopping && !this.ended;
  }

  /** Whether a live event is one this subscription asked for (its kind and filter). */
  matches(event: LiveEvent): boolean {
    return this.prepared.kind.matches(event, this.prepared.filter);
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
  after(step: Step): void {
    this.steps.push(step);
    this.pump();
  }

  /**
   * Takes this subscription's place in line for a live event (in bus order); the engine fills
   * it (`fill`, `fail`) when the event's outcome is known.
   */
  reserve(eventId: string): Place {
    const place: Place = { eventId, ready: false, outcome: null, error: null };
    this.steps.push(place);
    return place;
  }

  /** The outcome of a live event: delivered as soon as everything before it is. */
  fill(place: Place, outcome: Outcome): void {
    place.ready = true;
    place.outcome = outcome;
    this.pump();
  }

  /** The outcome of a live event could not be had: the stream ends with `error` in its turn. */
  fail(place: Place, error: unknown): void {
    place.ready = true;
    place.error = { error };
    this.pump();
  }

  /**
   * Works through the line in order, synchronously as far as it can: the live events whose
   * outcomes are known are sent in one go (the engine fills the places of a whole group of
   * subscribers in one loop, so an event's fan-out costs no promise per subscriber). It waits
   * for a step (backfill, ending), a later turn of the fan-out (requests in flight come first)
   * or a refresh of the connection's identity, then goes on. A failed step ends the stream.
   */
  private pump(): void {
    if (this.waiting) return;
    try {
      while (this.steps.length) {
        const step = this.steps[0]!;
        if (typeof step === 'function') {
          this.steps.shift();
          this.wait(step());
          return;
        }
        if (!step.ready) return;
        if (step.error) throw step.error.error;
        if (!step.outcome || this.backfilled?.has(step.eventId)) {
          this.steps.shift();
          continue;
        }
        if (!this.paced) {
          const turn = this.pace?.();
          if (turn) {
            this.paced = true;
            this.wait(turn);
            return;
          }
        }
        this.paced = false;
        this.steps.shift();
        const later = this.deliver(step.outcome);
        if (later) {
          this.wait(later);
          return;
        }
      }
    } catch (err) {
      this.halt(err);
    }
  }

  /** Holds the line until `work` settles. */
  private wait(work: Promise<void>): void {
    this.waiting = true;
    work.then(
      () => {
        this.waiting = false;
        this.pump();
      },
      (err: unknown) => {
        this.waiting = false;
        this.halt(err);
      },
    );
  }

  private halt(err: unknown): void {
    this.steps.length = 0;
    this.stream.fail(err);
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
    if (identity !== this.cleared) {
      if (!hasAccess(identity.grants, this.workspaceId, this.permissions)) return;
      this.cleared = identity;
    }
    this.conn.sendNext(this.frames, outcome);
    this.delivered++;
    subscriptionDeliveries.inc();
  }
}
