import type { FormattedExecutionResult } from 'graphql';
import type { LiveEvent } from '../../../lib/event-filter.js';
import { CLOSE, workspaceAccess, type Connection, type Guarded } from './connection.js';
import type { PreparedSubscription } from './prepare.js';
import { PushQueue, RecentIds } from './push-queue.js';

/** Results waiting for a client that does not read; beyond it the socket is closed (1008). */
export const MAX_PENDING = 1000;
/** Event ids each subscription remembers for de-duplication. */
export const RECENT_IDS = 4096;

/** The answer for one event: a result to send, or null to send nothing (not visible). */
export type Outcome = FormattedExecutionResult | null;

/**
 * One client subscription: what it asked for, the queue graphql-ws reads from, and the chain
 * that delivers its events strictly in the order they were handed to it (backfill first, then
 * live events in bus order), each once.
 */
export class LiveSubscription implements Guarded {
  readonly queue: PushQueue<FormattedExecutionResult>;
  /** Delivery and the subscription's group key share this: equal text ⇒ equal query. */
  readonly deliveryKey: string;
  delivered = 0;
  private readonly recent = new RecentIds(RECENT_IDS);
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly conn: Connection,
    readonly prepared: PreparedSubscription,
    onEnd: (s: LiveSubscription) => void,
  ) {
    this.queue = new PushQueue(() => onEnd(this));
    this.deliveryKey = `${prepared.delivery.query}\n${JSON.stringify(prepared.delivery.variables)}`;
  }

  get workspaceId(): string {
    return this.prepared.workspaceId;
  }

  get permission(): string {
    return this.prepared.kind.permission;
  }

  get ended(): boolean {
    return this.queue.ended || this.conn.closed;
  }

  /** Whether a live event is one this subscription asked for. */
  matches(event: LiveEvent): boolean {
    return this.prepared.kind.matches(event, this.prepared.filter);
  }

  /** Runs `step` after everything queued before it (the backfill, earlier events). */
  after(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err) => this.queue.fail(err));
  }

  /** Queues the outcome of one event, delivered in turn. */
  enqueue(eventId: string, outcome: Promise<Outcome>): void {
    this.after(async () => this.deliver(eventId, await outcome));
  }

  /**
   * Sends an outcome unless it is empty, a duplicate, or the subscriber may no longer see the
   * workspace (checked against the connection's newest identity, after any refresh in flight).
   */
  async deliver(eventId: string, outcome: Outcome): Promise<void> {
    if (!outcome || this.ended) return;
    const identity = await this.conn.settled();
    if (!identity || this.ended) return;
    if (workspaceAccess(identity.grants, this.workspaceId, this.permission) !== 'ok') return;
    if (!this.recent.add(eventId)) return;
    this.queue.push(outcome);
    this.delivered++;
    if (this.queue.pending > MAX_PENDING) {
      this.conn.close(CLOSE.POLICY_VIOLATION, 'Too many undelivered messages');
    }
  }
}
