import type { Redis } from 'ioredis';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** A cost budget per key and minute (fixed window). */
export interface RateLimiter {
  consume(key: string, cost: number, limit: number): Promise<RateDecision>;
  close(): Promise<void>;
}

const WINDOW_MS = 60_000;

function decision(used: number, limit: number, windowStart: number): RateDecision {
  return {
    allowed: used <= limit,
    limit,
    remaining: Math.max(0, limit - used),
    resetSeconds: Math.max(1, Math.ceil((windowStart + WINDOW_MS - Date.now()) / 1000)),
  };
}

/** One process: counters in memory, old windows dropped as they pass. */
export class MemoryRateLimiter implements RateLimiter {
  private window = 0;
  private used = new Map<string, number>();

  async consume(key: string, cost: number, limit: number): Promise<RateDecision> {
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    if (start !== this.window) {
      this.window = start;
      this.used = new Map();
    }
    const used = (this.used.get(key) ?? 0) + cost;
    this.used.set(key, used);
    return decision(used, limit, start);
  }

  async close(): Promise<void> {}
}

/** Several gateway instances share one budget through Redis (INCRBY + PEXPIRE in one MULTI). */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async consume(key: string, cost: number, limit: number): Promise<RateDecision> {
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    const k = `${this.prefix}:rl:${key}:${start}`;
    const res = await this.redis
      .multi()
      .incrby(k, cost)
      .pexpire(k, WINDOW_MS * 2)
      .exec();
    const used = Number(res?.[0]?.[1] ?? cost);
    return decision(used, limit, start);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
