import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryWindowCounter,
  RedisWindowCounter,
  type WindowCounter,
} from '../../lib/window-counter.js';
import { requireService } from '../harness/services.js';
import { uid } from '../harness/stack.js';

/**
 * A window opens at a key's first count, not at a multiple of its length on the clock: so a
 * burst that starts just before a clock boundary cannot get twice the allowance, and a test
 * run that crosses such a boundary does not see its counts reset.
 */
describe('MemoryWindowCounter', () => {
  afterEach(() => vi.useRealTimers());

  it('anchors the window at the first count and opens a new one after it ends', async () => {
    vi.useFakeTimers();
    // One second before a 15-minute clock boundary: a fixed window would end in 1 s.
    const windowMs = 15 * 60_000;
    const start = Math.ceil(Date.now() / windowMs) * windowMs - 1000;
    vi.setSystemTime(start);
    const c = new MemoryWindowCounter();
    expect(await c.add('k', windowMs)).toEqual({ count: 1, windowStart: start, resetMs: windowMs });
    vi.setSystemTime(start + 2000); // past the clock boundary
    expect(await c.add('k', windowMs)).toEqual({
      count: 2,
      windowStart: start,
      resetMs: windowMs - 2000,
    });
    expect((await c.get('k', windowMs)).count).toBe(2);
    expect((await c.get('other', windowMs)).count).toBe(0);
    vi.setSystemTime(start + windowMs); // the window has ended
    expect((await c.get('k', windowMs)).count).toBe(0);
    const next = await c.add('k', windowMs, 3);
    expect(next).toEqual({ count: 3, windowStart: start + windowMs, resetMs: windowMs });
  });
});

const redisEnabled = requireService('REDIS_URL');

describe.skipIf(!redisEnabled)('RedisWindowCounter', () => {
  const counters: WindowCounter[] = [];
  afterAll(async () => {
    await Promise.all(counters.map((c) => c.close()));
  });

  it('shares one anchored window between instances and expires it after its length', async () => {
    const prefix = `fp-test-${uid(4)}`;
    const a = new RedisWindowCounter(process.env.REDIS_URL!, prefix);
    const b = new RedisWindowCounter(process.env.REDIS_URL!, prefix);
    counters.push(a, b);
    const windowMs = 400;
    const first = await a.add('k', windowMs);
    expect(first.count).toBe(1);
    expect(first.resetMs).toBeLessThanOrEqual(windowMs);
    await new Promise((r) => setTimeout(r, 150));
    // A later count does not push the window's end back: the time left shrinks.
    const second = await b.add('k', windowMs, 2);
    expect(second.count).toBe(3);
    expect(second.resetMs).toBeLessThan(first.resetMs);
    expect(Math.abs(second.windowStart - first.windowStart)).toBeLessThan(50);
    const seen = await a.get('k', windowMs);
    expect(seen.count).toBe(3);
    await new Promise((r) => setTimeout(r, windowMs));
    expect((await b.get('k', windowMs)).count).toBe(0);
    const fresh = await b.add('k', windowMs);
    expect(fresh.count).toBe(1);
    expect(fresh.windowStart).toBeGreaterThan(first.windowStart + windowMs - 50);
  });
});
