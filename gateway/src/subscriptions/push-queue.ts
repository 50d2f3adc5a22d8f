/**
 * An async generator fed from outside: the subscription engine pushes results, graphql-ws pulls
 * them and sends each to the client. `return()` (the client completed, or the socket closed)
 * ends it and runs `onReturn` once.
 */
export class PushQueue<T> implements AsyncGenerator<T, void, unknown> {
  private buffer: T[] = [];
  private waiting: ((r: IteratorResult<T, void>) => void) | null = null;
  private failWaiting: ((err: unknown) => void) | null = null;
  private failure: { error: unknown } | null = null;
  private done = false;

  constructor(private readonly onReturn: () => void) {}

  /** Results pushed and not yet pulled. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Whether the consumer is gone (or the queue failed). */
  get ended(): boolean {
    return this.done || this.failure !== null;
  }

  /** Hands a value to the waiting consumer, or buffers it. */
  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value, done: false });
    } else this.buffer.push(value);
  }

  /** Ends the stream with an error once the buffered values are pulled. */
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

  next(): Promise<IteratorResult<T, void>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
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

  async return(): Promise<IteratorResult<T, void>> {
    this.finish();
    return { value: undefined, done: true };
  }

  async throw(): Promise<IteratorResult<T, void>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.buffer = [];
    const resolve = this.waiting;
    this.waiting = this.failWaiting = null;
    resolve?.({ value: undefined, done: true });
    this.onReturn();
  }
}

/** The last `capacity` ids seen (first in, first out): per-subscription de-duplication. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Records `id`; false when it was already among the recent ones. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
