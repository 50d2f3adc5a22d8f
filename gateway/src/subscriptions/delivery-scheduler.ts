/** How the delivery scheduler shares the gateway. */
export interface DeliverySchedulerOptions {
  /** Deliveries running at once while no request is in flight (default 32). */
  concurrency?: number;
  /** Deliveries running at once while requests are in flight (default 4; at least 1). */
  whileBusy?: number;
  /** Deliveries started per turn of the event loop (default 8). */
  slice?: number;
}

/**
 * Runs subscription deliveries (each one a query through the gateway) so that one tenant's
 * fan-out cannot starve anybody else:
 * - bounded slices: deliveries start from `setImmediate`, at most `slice` per turn of the event
 *   loop, so the loop takes in new requests between slices. (In the embedded mode a delivery is
 *   all promise jobs, a SQLite call included: started all at once, a thousand of them would run
 *   to the end before the process read another request.)
 * - tenants take turns: each account has its own queue and every start takes the oldest
 *   delivery of the next tenant in round-robin order, so a tenant with thousands queued delays
 *   another's next delivery by one turn, not by its whole backlog;
 * - requests come first: while any request (HTTP, or a query or mutation on a socket) is in
 *   flight, at most `whileBusy` deliveries run. Deliveries never stop altogether.
 */
export class DeliveryScheduler {
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly concurrency: number;
  private readonly whileBusy: number;
  private readonly slice: number;
  private running = 0;
  private queued = 0;
  private foreground = 0;
  private scheduled = false;
  /** Deliveries started so far (tests and benchmarks read it). */
  started = 0;

  constructor(opts: DeliverySchedulerOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 32);
    this.whileBusy = Math.max(1, Math.min(this.concurrency, opts.whileBusy ?? 4));
    this.slice = Math.max(1, opts.slice ?? 8);
  }

  /** Deliveries waiting for their turn. */
  get pending(): number {
    return this.queued;
  }

  /** A request began; the function returned ends it (calling it again does nothing). */
  requestStarted(): () => void {
    this.foreground++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.foreground--;
      this.schedule();
    };
  }

  /** Runs `task` in `tenant`'s turn. */
  async run<T>(tenant: string, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      const queue = this.queues.get(tenant);
      if (queue) queue.push(resolve);
      else this.queues.set(tenant, [resolve]);
      this.queued++;
      this.schedule();
    });
    try {
      return await task();
    } finally {
      this.running--;
      this.schedule();
    }
  }

  private get limit(): number {
    return this.foreground > 0 ? this.whileBusy : this.concurrency;
  }

  /** Starts the next slice on the next turn of the event loop, when there is room for one. */
  private schedule(): void {
    if (this.scheduled || !this.queued || this.running >= this.limit) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startSlice();
    });
  }

  private startSlice(): void {
    for (let n = 0; n < this.slice && this.running < this.limit && this.queues.size; n++) {
      const [tenant, queue] = this.queues.entries().next().value!;
      const start = queue.shift()!;
      // The tenant goes to the back of the line (a Map iterates in insertion order).
      this.queues.delete(tenant);
      if (queue.length) this.queues.set(tenant, queue);
      this.queued--;
      this.running++;
      this.started++;
      start();
    }
    this.schedule();
  }
}
