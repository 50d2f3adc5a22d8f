import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter, RedisRateLimiter } from '../../gateway/src/limits/rate-limit.js';
import type { RateLimiter } from '../../gateway/src/limits/rate-limit.js';
import { requireService } from '../harness/services.js';
import { uid } from '../harness/stack.js';

/**
 * The budgets behind issue 10's L6, against a real Redis: gateway instances share them, and a
 * charge is all or nothing (a request refused by one budget takes nothing from the others, e.g.
 * a throttled user does not drain the account's budget with refused requests). The in-memory
 * limiter of the embedded mode behaves the same.
 */
const enabled = requireService('REDIS_URL');
const limiters: RateLimiter[] = [];
afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
});

function redisPair(): [RateLimiter, RateLimiter] {
  const prefix = `fp-test-${uid(4)}`;
  const make = () => new RedisRateLimiter(new Redis(process.env.REDIS_URL!), prefix);
  const pair: [RateLimiter, RateLimiter] = [make(), make()];
  limiters.push(...pair);
  return pair;
}

async function allOrNothing(a: RateLimiter, b: RateLimiter) {
  const principal = { key: `principal:${uid(4)}`, cost: 4, limit: 10 };
  const account = { key: `account:${uid(4)}`, cost: 4, limit: 100 };
  // Two instances draw on one budget: 4 + 4 fit in 10, a third 4 does not.
  expect((await a.consume([principal, account])).every((d) => d.allowed)).toBe(true);
  expect((await b.consume([principal, account])).every((d) => d.allowed)).toBe(true);
  const refused = await a.consume([principal, account]);
  expect(refused.map((d) => d.allowed)).toEqual([false, true]);
  expect(refused[0]).toMatchObject({ key: principal.key, limit: 10, remaining: 2 });
  // The refused charge took nothing: the account has 100 − 8 left, the principal still 2.
  const cheap = await b.consume([
    { ...principal, cost: 2 },
    { ...account, cost: 2 },
  ]);
  expect(cheap.map((d) => [d.allowed, d.remaining])).toEqual([
    [true, 0],
    [true, 90],
  ]);
  expect(cheap[0]!.resetSeconds).toBeGreaterThan(0);
}

describe('rate-limit budgets', () => {
  it('in memory: all or nothing', async () => {
    const memory = new MemoryRateLimiter();
    await allOrNothing(memory, memory);
  });

  it.skipIf(!enabled)('in Redis: shared by instances, all or nothing, atomically', async () => {
    const [a, b] = redisPair();
    await allOrNothing(a, b);
    // Concurrent charges from both instances never overspend.
    const key = { key: `principal:${uid(4)}`, cost: 1, limit: 50 };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).consume([key])),
    );
    expect(results.filter(([d]) => d!.allowed)).toHaveLength(50);
  });
});
