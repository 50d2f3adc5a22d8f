import { Redis } from 'ioredis';

/** A key's count in its current fixed window. */
export interface WindowCount {
  count: number;
  /** When the window began (windows are aligned to multiples of their length). */
  windowStart: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

/**
 * Counters per key and fixed time window, and short-lived holds (locks): what the sign-in
 * throttle and the bounded audit of refusals count with. In memory for one process; shared
 * through Redis when REDIS_URL is set, so every instance sees the same counts.
 */
export interface WindowCounter {
  /** Adds `n` (default 1) to `key` in its current window of `windowMs` and returns the count. */
  add(key: string, windowMs: number, n?: number): Promise<WindowCount>;
  /** The count without adding to it. */
  get(key: string, windowMs: number): Promise<WindowCount>;
  /** Sets a hold on `key` for `ttlMs` (replacing a shorter one). */
  hold(key: string, ttlMs: number): Promise<void>;
  /** Milliseconds the hold on `key` still lasts (0: none). */
  held(key: string): Promise<number>;
  close(): Promise<void>;
}

const windowOf = (windowMs: number, now = Date.now()) => {
  const start = Math.floor(now / windowMs) * windowMs;
  return { start, resetMs: start + windowMs - now };
};

/** At most this many live keys in memory; beyond it the oldest windows go first. */
const MAX_MEMORY_KEYS = 100_000;

/** One process: counters in a map, expired ones dropped as new ones arrive. */
export class MemoryWindowCounter implements WindowCounter {
  private readonly counts = new Map<string, { count: number; expires: number }>();
  private readonly holds = new Map<string, number>();

  private prune(now: number): void {
    if (this.counts.size < MAX_MEMORY_KEYS && this.holds.size < MAX_MEMORY_KEYS) return;
    for (const [k, v] of this.counts) if (v.expires <= now) this.counts.delete(k);
    for (const [k, until] of this.holds) if (until <= now) this.holds.delete(k);
    // Still full: the oldest entries (insertion order) make room.
    for (const k of this.counts.keys()) {
      if (this.counts.size < MAX_MEMORY_KEYS) break;
      this.counts.delete(k);
    }
    for (const k of this.holds.keys()) {
      if (this.holds.size < MAX_MEMORY_KEYS) break;
      this.holds.delete(k);
    }
  }

  async add(key: string, windowMs: number, n = 1): Promise<WindowCount> {
    const now = Date.now();
    const w = windowOf(windowMs, now);
    const k = `${key}:${w.start}`;
    const entry = this.counts.get(k);
    const count = (entry && entry.expires > now ? entry.count : 0) + n;
    if (!entry) this.prune(now);
    this.counts.set(k, { count, expires: w.start + windowMs });
    return { count, windowStart: w.start, resetMs: w.resetMs };
  }

  async get(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    const w = windowOf(windowMs, now);
    const entry = this.counts.get(`${key}:${w.start}`);
    return {
      count: entry && entry.expires > now ? entry.count : 0,
      windowStart: w.start,
      resetMs: w.resetMs,
    };
  }

  async hold(key: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.prune(now);
    this.holds.set(key, Math.max(this.holds.get(key) ?? 0, now + ttlMs));
  }

  async held(key: string): Promise<number> {
    const until = this.holds.get(key) ?? 0;
    return Math.max(0, until - Date.now());
  }

  async close(): Promise<void> {}
}

/** Several processes share counts through Redis (INCRBY + PEXPIRE in one MULTI). */
export class RedisWindowCounter implements WindowCounter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  }

  async add(key: string, windowMs: number, n = 1): Promise<WindowCount> {
    const w = windowOf(windowMs);
    const k = `${this.prefix}:wc:${key}:${w.start}`;
    const res = await this.redis.multi().incrby(k, n).pexpire(k, windowMs).exec();
    const count = Number(res?.[0]?.[1] ?? n);
    return { count, windowStart: w.start, resetMs: w.resetMs };
  }

  async get(key: string, windowMs: number): Promise<WindowCount> {
    const w = windowOf(windowMs);
    const v = await this.redis.get(`${this.prefix}:wc:${key}:${w.start}`);
    return { count: Number(v ?? 0), windowStart: w.start, resetMs: w.resetMs };
  }

  async hold(key: string, ttlMs: number): Promise<void> {
    // Holds have one length per use, so the newest is always the longest.
    await this.redis.set(`${this.prefix}:hold:${key}`, '1', 'PX', ttlMs);
  }

  async held(key: string): Promise<number> {
    const ttl = await this.redis.pttl(`${this.prefix}:hold:${key}`);
    return ttl > 0 ? ttl : 0;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

/** Whether a count is one a bounded record keeps: the 1st, 10th, 100th, 1,000th … */
export function isMilestone(count: number): boolean {
  if (count < 1) return false;
  for (let m = 1; m <= count; m *= 10) if (m === count) return true;
  return false;
}
