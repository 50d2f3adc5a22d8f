import { afterEach, describe, expect, it } from 'vitest';
import { RedisBus, type DomainEvent } from '../../lib/bus.js';
import { requireService } from '../harness/services.js';
import { uid } from '../harness/stack.js';

/** The Redis bus's broadcast side and `settle`, against a real Redis. */
const enabled = requireService('REDIS_URL');
const buses: RedisBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

const event = (type: string): DomainEvent => ({
  id: uid(8),
  type,
  source: 'test',
  occurredAt: new Date().toISOString(),
  payload: {},
});

async function busPair() {
  const prefix = `fp-test-${uid(4)}`;
  const url = process.env.REDIS_URL!;
  const publisher = new RedisBus(url, prefix, 'publisher', 200);
  const reader = new RedisBus(url, prefix, 'reader', 200);
  buses.push(publisher, reader);
  return { publisher, reader };
}

describe.skipIf(!enabled)('RedisBus broadcast', () => {
  it('settle waits until every broadcast subscriber of the process has handled the event', async () => {
    const { publisher, reader } = await busPair();
    const fast: string[] = [];
    const slow: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Two subscribers, as the gateway has (identity cache, subscription engine): the slow one
    // must have finished before settle says this process has caught up.
    reader.subscribeBroadcast((e) => {
      fast.push(e.type);
    });
    reader.subscribeBroadcast(async (e) => {
      if (e.type === 'held') await gate;
      slow.push(e.type);
    });
    await reader.settle(2000);
    await new Promise((r) => setTimeout(r, 300)); // the reader is listening from the tail

    await publisher.publish([event('held')]);
    let settled: boolean | undefined;
    const settling = reader.settle(5000).then((v) => (settled = v));
    for (let i = 0; i < 100 && !fast.includes('held'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(fast).toContain('held');
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBeUndefined();
    expect(slow).toEqual([]);
    release();
    await settling;
    expect(settled).toBe(true);
    expect(slow).toEqual(['held']);
  });

  it('delivers each event once to each subscriber, in order, and stops delivering on unsubscribe', async () => {
    const { publisher, reader } = await busPair();
    const a: string[] = [];
    const b: string[] = [];
    reader.subscribeBroadcast((e) => {
      a.push(e.type);
    });
    const stopB = reader.subscribeBroadcast((e) => {
      b.push(e.type);
    });
    await reader.settle(2000);
    await new Promise((r) => setTimeout(r, 300));
    await publisher.publish([event('one'), event('two'), event('three')]);
    expect(await reader.settle(5000)).toBe(true);
    expect(a).toEqual(['one', 'two', 'three']);
    expect(b).toEqual(['one', 'two', 'three']);
    stopB();
    await publisher.publish([event('four')]);
    expect(await reader.settle(5000)).toBe(true);
    expect(a).toEqual(['one', 'two', 'three', 'four']);
    expect(b).toEqual(['one', 'two', 'three']);
  });
});
