/** How the delivery scheduler shares the gateway. */
export interface DeliverySchedulerOptions {
  /** Deliveries running at once while no request is in flight (default 32). */
  concurrency?: number;
  /** Deliveries running at once while requests are in flight (default 4; at least 1). */
  whileBusy?: number;
  /** Deliveries started per turn of the event loop (default 8). */
  slice?: number;
  /** Messages sent to subscribers per slice while requests are in flight (default 64; see sendTurn). */
  sendSlice?: number;
}

/**
 * With the subgraphs in this process a delivery's execution is CPU work on this event loop:
 * running many side by side finishes none sooner (each group's subscribers wait until all of
 * them are done) and holds up requests. Two at once, one while requests are in flight (with
 * 32 and 4, a burst of 50 runs to 5,000 subscribers let the mutations run at 0.3× their rate
 * alone; with these, 0.46×: bench/RESULTS.md, 2026-12-06 phase 12).
 */
export const IN_PROCESS_DELIVERIES: DeliverySchedulerOptions = { concurrency: 2, whileBusy: 1 };

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
 *   flight, at most `whileBusy` deliveries run, and messages go out to subscribers in slices of
 *   `sendSlice` with a rest as long as each slice took (one execution's result can go to
 *   thousands of sockets: sent all at once, they would hold the loop for tens of milliseconds
 *   while requests wait). Deliveries never stop altogether.
 */
export class DeliveryScheduler {
  private readonly queues = new Map<string, (() => void)[]>();
  /**
   * The tenants with something queued, in turn order from `head` (each once). Not the Map's own
   * order with delete and re-insert: a Map that keeps losing its first entry leaves holes that
   * every look at its first entry walks past (6 µs a turn with 10,000 tenants, 0.3 with 1,000).
   */
  private turns: string[] = [];
  private head = 0;
  private readonly concurrency: number;
  private readonly whileBusy: number;
  private readonly slice: number;
  private readonly sendSlice: number;
  /** Messages sent in this turn, and the sends waiting for a later one (in order). */
  private sentThisTurn = 0;
  private readonly sendWaiters: (() => void)[] = [];
  private turnArmed = false;
  /** The fan-out rests after a busy slice (see sendTurn), and when that slice began. */
  private resting = false;
  private sliceStarted = 0;
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
    this.sendSlice = Math.max(1, opts.sendSlice ?? 64);
  }

  /**
   * Asks to send one message to a subscriber: undefined to send it now, or a promise to wait
   * for. While requests are in flight, messages go out in slices of `sendSlice`, and after each
   * slice the fan-out rests as long as the slice took (at most 20 ms): it gets at most half of
   * the event loop while anybody waits for an answer. Sends keep their order.
   */
  sendTurn(): Promise<void> | undefined {
    if (
      !this.sendWaiters.length &&
      !this.resting &&
      (this.foreground === 0 || this.sentThisTurn < this.sendSlice)
    ) {
      if (this.sentThisTurn++ === 0) this.sliceStarted = performance.now();
      this.armTurn();
      return undefined;
    }
    const waiting = new Promise<void>((resolve) => this.sendWaiters.push(resolve));
    this.armTurn();
    return waiting;
  }

  /** On the next turn: rest after a slice sent while busy, else let the next waiting sends go. */
  private armTurn(): void {
    if (this.turnArmed || this.resting) return;
    this.turnArmed = true;
    setImmediate(() => {
      this.turnArmed = false;
      if (this.foreground > 0 && this.sentThisTurn > 0) {
        const took = performance.now() - this.sliceStarted;
        this.sentThisTurn = 0;
        this.resting = true;
        setTimeout(
          () => {
            this.resting = false;
            this.releaseSends();
          },
          Math.min(20, took),
        );
        return;
      }
      this.sentThisTurn = 0;
      this.releaseSends();
    });
  }

  /** Lets the next slice of waiting sends go (all of them while no request is in flight). */
  private releaseSends(): void {
    const n = this.foreground > 0 ? this.sendSlice : this.sendWaiters.length;
    const released = this.sendWaiters.splice(0, n);
    this.sentThisTurn = released.length;
    this.sliceStarted = performance.now();
    for (const resolve of released) resolve();
    if (this.sendWaiters.length || released.length) this.armTurn();
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
      else {
        this.queues.set(tenant, [resolve]);
        this.turns.push(tenant);
      }
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
      const tenant = this.turns[this.head++]!;
      const queue = this.queues.get(tenant)!;
      const start = queue.shift()!;
      // The tenant goes to the back of the line while it has more queued.
      if (queue.length) this.turns.push(tenant);
      else this.queues.delete(tenant);
      if (this.head >= 1024 && this.head * 2 >= this.turns.length) {
        this.turns = this.turns.slice(this.head);
        this.head = 0;
      }
      this.queued--;
      this.running++;
      this.started++;
      start();
    }
    this.schedule();
  }
}
