/**
 * The stream graphql-ws holds for a live subscription: it yields nothing (results are written
 * to the socket by the subscription itself, frames.ts), it only ends. `fail` ends it with an
 * error, which graphql-ws sends as the subscription's `error` message; `return()` (the client
 * completed, or the socket closed) ends it quietly. `onReturn` runs once either way.
 */
export class SubscriptionStream implements AsyncGenerator<never, void, unknown> {
  private waiting: ((r: IteratorResult<never, void>) => void) | null = null;
  private failWaiting: ((err: unknown) => void) | null = null;
  private failure: { error: unknown } | null = null;
  private done = false;

  constructor(private readonly onReturn: () => void) {}

  /** Whether the consumer is gone (or the stream failed). */
  get ended(): boolean {
    return this.done || this.failure !== null;
  }

  /** Ends the stream with an error. */
  fail(error: unknown): void {
    if (this.done || this.failure) return;
    this.failure = { error };
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = null;
      this.finish();
      reject(error);
    }
  }

  next(): Promise<IteratorResult<never, void>> {
    if (this.failure) {
      const { error } = this.failure;
      this.finish();
      return Promise.reject(error);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  async return(): Promise<IteratorResult<never, void>> {
    this.finish();
    return { value: undefined, done: true };
  }

  async throw(): Promise<IteratorResult<never, void>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const resolve = this.waiting;
    this.waiting = this.failWaiting = null;
    resolve?.({ value: undefined, done: true });
    this.onReturn();
  }
}

/**
 * The last `capacity` ids seen (first in, first out): the engine's de-duplication of live events.
 * The oldest id is found in a ring, not as a Set's first value: a Set that keeps deleting its
 * first entry leaves holes its iterator walks past until the table is rebuilt, about 5.7 µs per
 * id at 10,000 ids against 0.12 µs with the ring (bench/RESULTS.md, phase 14).
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** Records `id`; false when it was already among the recent ones. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(id);
    return true;
  }
}
