import type { Redis } from 'ioredis';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** The budget decided on (e.g. `principal:<id>`, `account:<id>`, `ip:<address>`). */
  key: string;
}

/** Cost to take from one budget that allows `limit` per minute. */
export interface Charge {
  key: string;
  cost: number;
  limit: number;
}

/**
 * Cost budgets per key and minute (fixed window). `consume` is all or nothing: when every
 * budget has room for its cost, each is charged; when one has not, none is (a refused request
 * takes nothing from the caller's other budgets, e.g. its account's). One decision per charge.
 */
export interface RateLimiter {
  consume(charges: readonly Charge[]): Promise<RateDecision[]>;
  close(): Promise<void>;
}

const WINDOW_MS = 60_000;

function decide(
  charges: readonly Charge[],
  used: readonly number[],
  charged: boolean,
  windowStart: number,
): RateDecision[] {
  const resetSeconds = Math.max(1, Math.ceil((windowStart + WINDOW_MS - Date.now()) / 1000));
  return charges.map((c, i) => ({
    key: c.key,
    allowed: charged || used[i]! + c.cost <= c.limit,
    limit: c.limit,
    remaining: Math.max(0, c.limit - used[i]!),
    resetSeconds,
  }));
}

/** One process: counters in memory, old windows dropped as they pass. */
export class MemoryRateLimiter implements RateLimiter {
  private window = 0;
  private used = new Map<string, number>();

  async consume(charges: readonly Charge[]): Promise<RateDecision[]> {
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    if (start !== this.window) {
      this.window = start;
      this.used = new Map();
    }
    const used = charges.map((c) => this.used.get(c.key) ?? 0);
    const fits = charges.every((c, i) => used[i]! + c.cost <= c.limit);
    if (fits) {
      charges.forEach((c, i) => {
        used[i] = used[i]! + c.cost;
        this.used.set(c.key, used[i]!);
      });
    }
    return decide(charges, used, fits, start);
  }

  async close(): Promise<void> {}
}

/**
 * Checks every budget, then charges all or none, atomically (one script): KEYS are the window
 * counters, ARGV cost and limit per key, then the counters' lifetime. Answers 1 (charged) or 0,
 * then each counter's value.
 */
const CONSUME = `
local n = #KEYS
local used = {}
local fits = 1
for i = 1, n do
  used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used[i] + tonumber(ARGV[2 * i - 1]) > tonumber(ARGV[2 * i]) then fits = 0 end
end
if fits == 1 then
  for i = 1, n do
    used[i] = redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
    redis.call('PEXPIRE', KEYS[i], ARGV[2 * n + 1])
  end
end
table.insert(used, 1, fits)
return used
`;

type RedisWithConsume = Redis & {
  flowplaneConsume(n: number, ...args: (string | number)[]): Promise<number[]>;
};

/** Several gateway instances share the budgets through Redis. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisWithConsume;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('flowplaneConsume', { lua: CONSUME });
    this.redis = redis as RedisWithConsume;
  }

  async consume(charges: readonly Charge[]): Promise<RateDecision[]> {
    if (!charges.length) return [];
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    const keys = charges.map((c) => `${this.prefix}:rl:${c.key}:${start}`);
    const args = charges.flatMap((c) => [c.cost, c.limit]);
    const [fits, ...used] = await this.redis.flowplaneConsume(
      keys.length,
      ...keys,
      ...args,
      WINDOW_MS * 2,
    );
    return decide(charges, used.map(Number), fits === 1, start);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
