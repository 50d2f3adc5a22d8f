/** How the delivery scheduler shares the gateway. */
export interface DeliverySchedulerOptions {
  /** Deliveries running at once while no request is in flight (default 32). */
  concurrency?: number;
  /** Deliveries running at once while requests are in flight (default 2; at least 1). */
  whileBusy?: number;
}

/**
 * Runs subscription deliveries (each one a query through the gateway) so that one tenant's
 * fan-out cannot starve anybody else:
 * - tenants take turns: each has its own queue and the scheduler starts the oldest delivery of
 *   the next tenant in round-robin order, so a tenant with thousands queued delays another's
 *   next delivery by at most one turn each, not by its whole backlog;
 * - requests come first: while any request (HTTP or a query/mutation on a socket) is in flight,
 *   at most `whileBusy` deliveries run, and none starts while that many are running, so a
 *   request shares the process with a handful of deliveries instead of dozens. Deliveries never
 *   stop altogether: `whileBusy` keep going under any load.
 */
export class DeliveryScheduler {
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly concurrency: number;
  private readonly whileBusy: number;
  private running = 0;
  private queued = 0;
  private foreground = 0;
  /** Deliveries started so far (tests and benchmarks read it). */
  started = 0;

  constructor(opts: DeliverySchedulerOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 32);
    this.whileBusy = Math.max(1, Math.min(this.concurrency, opts.whileBusy ?? 2));
  }

  /** Deliveries waiting for their turn. */
  get pending(): number {
    return this.queued;
  }

  /** Requests in flight. */
  get requests(): number {
    return this.foreground;
  }

  /** A request began; the function returned ends it (calling it again does nothing). */
  requestStarted(): () => void {
    this.foreground++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.foreground--;
      this.pump();
    };
  }

  /** Runs `task` in `tenant`'s turn. */
  async run<T>(tenant: string, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      const queue = this.queues.get(tenant);
      if (queue) queue.push(resolve);
      else this.queues.set(tenant, [resolve]);
      this.queued++;
      this.pump();
    });
    try {
      return await task();
    } finally {
      this.running--;
      this.pump();
    }
  }

  private pump(): void {
    const limit = this.foreground > 0 ? this.whileBusy : this.concurrency;
    while (this.running < limit && this.queues.size) {
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
  }
}
