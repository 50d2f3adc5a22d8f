/**
 * Concurrent callers' writes joined into one statement (a "group commit"): while `maxInFlight`
 * statements run, what callers submit waits in a group, and the group goes as one statement when
 * one of them returns. Alone, a caller's write goes at once (no timer, no added wait); under load
 * the groups grow with the wait, and one statement, one socket write and one commit (one WAL
 * flush on PostgreSQL) serve many callers.
 *
 * Each caller still gets an answer of its own. A group whose statement fails is run again one
 * caller at a time, so that only the caller whose write fails sees the error (the failed
 * statement changed nothing: it ran alone, outside a transaction).
 */
export interface CoalescerOptions<T, R> {
  /** Runs the writes of several callers as one statement; answers in the callers' order. */
  run: (items: readonly T[]) => Promise<R[]>;
  /** A write's share of the statement's limit (bound parameters, say). */
  cost: (item: T) => number;
  /** A group's limit: a write that would pass it starts the next group. */
  maxCost: number;
  /** Statements running at once (default 1: the most joining). */
  maxInFlight?: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

interface Group<T, R> {
  callers: Waiting<T, R>[];
  cost: number;
}

export class Coalescer<T, R> {
  private running = 0;
  private readonly queue: Group<T, R>[] = [];
  /** Statements run and callers served (tests and benchmarks read them). */
  readonly stats = { statements: 0, callers: 0, retriedGroups: 0 };

  constructor(private readonly opts: CoalescerOptions<T, R>) {}

  /** Runs `item` with whatever else is submitted while statements are running. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const cost = this.opts.cost(item);
      const last = this.queue[this.queue.length - 1];
      const caller = { item, resolve, reject };
      if (last && last.cost + cost <= this.opts.maxCost) {
        last.callers.push(caller);
        last.cost += cost;
      } else this.queue.push({ callers: [caller], cost });
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < (this.opts.maxInFlight ?? 1) && this.queue.length) {
      const group = this.queue.shift()!;
      this.running++;
      void this.execute(group).finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private async execute(group: Group<T, R>): Promise<void> {
    const { callers } = group;
    this.stats.statements++;
    this.stats.callers += callers.length;
    let results: R[];
    try {
      results = await this.opts.run(callers.map((c) => c.item));
    } catch (err) {
      if (callers.length === 1) return callers[0]!.reject(err);
      // Which caller's write failed is not known: each runs again by itself.
      this.stats.retriedGroups++;
      await Promise.all(callers.map((c) => this.alone(c)));
      return;
    }
    callers.forEach((c, i) => c.resolve(results[i]!));
  }

  private async alone(c: Waiting<T, R>): Promise<void> {
    this.stats.statements++;
    try {
      c.resolve((await this.opts.run([c.item]))[0]!);
    } catch (err) {
      c.reject(err);
    }
  }
}
