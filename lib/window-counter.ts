import { Redis } from 'ioredis';

/** A key's count in its current window. */
export interface WindowCount {
  count: number;
  /**
   * When the window began: at the key's first count (a window is anchored to it, not to the
   * clock, so a burst cannot straddle two windows and get twice the allowance).
   */
  windowStart: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

/**
 * Counters per key and time window (each window opens at the key's first count and lasts its
 * length; the next count after it ends opens a new one), and short-lived holds (locks): what the sign-in
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
    const entry = this.counts.get(key);
    if (entry && entry.expires > now) {
      entry.count += n;
      return {
        count: entry.count,
        windowStart: entry.expires - windowMs,
        resetMs: entry.expires - now,
      };
    }
    if (!entry) this.prune(now);
    this.counts.set(key, { count: n, expires: now + windowMs });
    return { count: n, windowStart: now, resetMs: windowMs };
  }

  async get(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    const entry = this.counts.get(key);
    if (entry && entry.expires > now)
      return {
        count: entry.count,
        windowStart: entry.expires - windowMs,
        resetMs: entry.expires - now,
      };
    return { count: 0, windowStart: now, resetMs: windowMs };
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

/**
 * INCRBY, and the window's expiry set only by the count that opened it (a key without a TTL),
 * in one atomic step; answers the count and the milliseconds left.
 */
const ADD_SCRIPT = `
local c = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {c, ttl}`;

/** Several processes share counts through Redis (one script per count: see ADD_SCRIPT). */
export class RedisWindowCounter implements WindowCounter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
  }

  async add(key: string, windowMs: number, n = 1): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(
      ADD_SCRIPT,
      1,
      `${this.prefix}:wc:${key}`,
      n,
      windowMs,
    )) as [number, number];
    return { count: Number(count), windowStart: Date.now() - (windowMs - ttl), resetMs: ttl };
  }

  async get(key: string, windowMs: number): Promise<WindowCount> {
    const k = `${this.prefix}:wc:${key}`;
    const res = await this.redis.multi().get(k).pttl(k).exec();
    const count = Number(res?.[0]?.[1] ?? 0);
    const ttl = Number(res?.[1]?.[1] ?? -2);
    if (!count || ttl <= 0) return { count: 0, windowStart: Date.now(), resetMs: windowMs };
    return { count, windowStart: Date.now() - (windowMs - ttl), resetMs: ttl };
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
