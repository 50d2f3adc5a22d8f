import { errorField, log } from './log.js';
import { backgroundRuns } from './metrics.js';

/**
 * Background services of a subgraph (scheduler, late-run marker, …): each runs `runOnce` on an
 * interval while the subgraph runs. `runOnce` is also what tests call, with an injected clock,
 * to drive a service deterministically. Services must be safe on several instances at once
 * (row locks, SKIP LOCKED, unique keys): every instance runs every service.
 */
export interface BackgroundService {
  name: string;
  intervalMs: number;
  /** One pass; returns how many things it changed. */
  runOnce(now?: Date): Promise<number>;
}

/** Runs services on their intervals; a pass never overlaps the previous one of the same service. */
export class BackgroundRunner {
  private timers: NodeJS.Timeout[] = [];
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly services: BackgroundService[],
    private readonly source: string,
  ) {}

  start(): void {
    for (const service of this.services) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        const pass = service
          .runOnce()
          .then(() => backgroundRuns.inc({ service: service.name, outcome: 'ok' }))
          .catch((err) => {
            backgroundRuns.inc({ service: service.name, outcome: 'failed' });
            log.error(
              { source: this.source, service: service.name, error: errorField(err) },
              'background service failed',
            );
          })
          .finally(() => {
            busy = false;
            this.inFlight.delete(pass);
          });
        this.inFlight.add(pass);
      }, service.intervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops the timers and waits for passes under way. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([...this.inFlight]);
  }
}
