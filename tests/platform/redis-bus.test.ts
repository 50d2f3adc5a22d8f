import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
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

describe.skipIf(!enabled)('RedisBus positions', () => {
  it("says where its last published event is, and settles to another process's position without a round trip", async () => {
    const { publisher, reader } = await busPair();
    expect(publisher.position()).toBe('0-0');
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    reader.subscribeBroadcast(async (e) => {
      if (e.type === 'held') await gate;
      seen.push(e.type);
    });
    await reader.settle(2000);
    await new Promise((r) => setTimeout(r, 300));

    await publisher.publish([event('first'), event('held')]);
    const position = publisher.position();
    const raw = new Redis(process.env.REDIS_URL!);
    const stream = (publisher as unknown as { stream: string }).stream;
    const [[last]] = (await raw
      .xrevrange(stream, '+', '-', 'COUNT', 1)
      .finally(() => raw.disconnect())) as [[string, string[]]];
    expect(position).toBe(last);

    // Not yet handled by the reader's subscribers: waits, and gives up after its timeout.
    expect(await reader.settleTo(position, 100)).toBe(false);
    let settled: boolean | undefined;
    const settling = reader.settleTo(position, 5000).then((v) => (settled = v));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBeUndefined();
    release();
    await settling;
    expect(settled).toBe(true);
    expect(seen).toEqual(['first', 'held']);
    // Passed positions and ones that are not stream ids settle at once.
    expect(await reader.settleTo('0-0', 1)).toBe(true);
    expect(await reader.settleTo('not-an-id', 1)).toBe(true);
  });
});

describe.skipIf(!enabled)('RedisBus stream trimming', () => {
  it('drops only what every consumer group acknowledged; past the cap it drops unread entries, and says so', async () => {
    const prefix = `fp-test-${uid(4)}`;
    const url = process.env.REDIS_URL!;
    // Trimmed by hand here (trimEvery out of reach), capped at 200 entries, no recent floor.
    const publisher = new RedisBus(url, prefix, 'publisher', 200, {
      maxEntries: 200,
      trimEvery: 1e9,
      keepRecentMs: 0,
    });
    // The defaults keep the last minute whatever the groups did.
    const defaults = new RedisBus(url, prefix, 'defaults', 200);
    const reader = new RedisBus(url, prefix, 'reader', 200);
    const raw = new Redis(url);
    buses.push(publisher, reader, defaults);
    const stream = `${prefix}:events`;
    try {
      const got: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let first = true;
      reader.subscribeGroup('slow', async (events) => {
        if (first) {
          first = false;
          await gate; // the first batch is held: delivered, not acknowledged
        }
        got.push(...events.map((e) => e.type));
      });
      await publisher.publish(Array.from({ length: 50 }, (_, i) => event(`a${i}`)));
      for (let i = 0; i < 100 && first; i++) await new Promise((r) => setTimeout(r, 20));
      expect(first).toBe(false);
      await publisher.publish(Array.from({ length: 50 }, (_, i) => event(`b${i}`)));
      // The held batch is pending and the rest undelivered: nothing may go.
      expect(await publisher.trim()).toEqual({ trimmed: 0, unreadDropped: 0 });
      expect(await raw.xlen(stream)).toBe(100);

      release();
      for (let i = 0; i < 250 && got.length < 100; i++) await new Promise((r) => setTimeout(r, 20));
      const expected = [
        ...Array.from({ length: 50 }, (_, i) => `a${i}`),
        ...Array.from({ length: 50 }, (_, i) => `b${i}`),
      ];
      expect(got).toEqual(expected);
      // Acknowledged by the only group: all of it goes, except within the last minute.
      await new Promise((r) => setTimeout(r, 100));
      expect(await defaults.trim()).toEqual({ trimmed: 0, unreadDropped: 0 });
      expect(await publisher.trim()).toEqual({ trimmed: 100, unreadDropped: 0 });
      expect(await raw.xlen(stream)).toBe(0);

      // A group nobody reads any more pins the stream, up to the cap; past it, the oldest
      // unread entries are dropped (logged as an error) and counted.
      await raw.xgroup('CREATE', stream, 'abandoned', '$');
      await publisher.publish(Array.from({ length: 250 }, (_, i) => event(`c${i}`)));
      for (let i = 0; i < 250 && got.length < 350; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toHaveLength(350);
      expect(await publisher.trim()).toEqual({ trimmed: 50, unreadDropped: 50 });
      expect(await raw.xlen(stream)).toBe(200);
    } finally {
      await raw.del(stream);
      raw.disconnect();
    }
  });
});

describe.skipIf(!enabled)('RedisBus consumer groups by type', () => {
  it('hands a group only the types it handles, passes over the others unread and acknowledges them', async () => {
    const { publisher, reader } = await busPair();
    const url = process.env.REDIS_URL!;
    const raw = new Redis(url);
    const stream = `${(publisher as unknown as { stream: string }).stream}`;
    try {
      const got: string[] = [];
      const all: string[] = [];
      reader.subscribeGroup(
        'typed',
        async (events) => void got.push(...events.map((e) => e.type)),
        ['wanted'],
      );
      reader.subscribeGroup(
        'everything',
        async (events) => void all.push(...events.map((e) => e.type)),
      );
      await publisher.publish([event('other'), event('wanted'), event('other')]);
      // An entry whose event is not JSON: passed over unread by a group that does not handle its
      // type (no parse, so no error), read and skipped by one that handles every type.
      await raw.xadd(stream, '*', 't', 'other', 'e', '{not json');
      // An entry written before types were named beside events: read whatever its type.
      await raw.xadd(stream, '*', 'e', JSON.stringify(event('wanted')));
      await publisher.publish([event('wanted')]);
      for (let i = 0; i < 250 && (got.length < 3 || all.length < 5); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['wanted', 'wanted', 'wanted']);
      expect(all).toEqual(['other', 'wanted', 'other', 'wanted', 'wanted']);
      // Nothing left pending: what was passed over is acknowledged with the rest.
      for (const group of ['typed', 'everything']) {
        const [pending] = (await raw.xpending(stream, group)) as [number];
        expect(pending, group).toBe(0);
      }
    } finally {
      raw.disconnect();
    }
  });
});

/**
 * A Redis server of this test's own (unix socket, nothing persisted), so that its counters see
 * only this bus: `total_reads_processed` counts the writes clients sent it, one per round trip
 * however many commands a write holds. Needs `redis-server` on the PATH (scripts/services.sh).
 */
async function privateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-redis-'));
  const socket = join(dir, 'redis.sock');
  const server = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(socket)) throw new Error('redis-server did not start');
  return {
    url: socket,
    stop: async () => {
      server.kill();
      await new Promise((r) => server.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (enabled && !haveRedisServer) {
  if (process.env.CI === 'true')
    throw new Error('redis-server is not on the PATH: CI must run this test');
  console.log('skipping: redis-server is not on the PATH (scripts/services.sh installs it)');
}

describe.skipIf(!enabled || !haveRedisServer)('RedisBus round trips', () => {
  it("acknowledges a group's batch in the same write as its next read", async () => {
    const redis = await privateRedis();
    const raw = new Redis(redis.url);
    const prefix = `fp-test-${uid(4)}`;
    const publisher = new RedisBus(redis.url, prefix, 'publisher', 200);
    const reader = new RedisBus(redis.url, prefix, 'reader', 200);
    try {
      const handled: string[] = [];
      reader.subscribeGroup(
        'counted',
        async (events) => void handled.push(...events.map((e) => e.id)),
      );
      const waitFor = async (n: number) => {
        for (let i = 0; i < 250 && handled.length < n; i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(handled).toHaveLength(n);
      };
      await publisher.publish([event('warm-up')]);
      await waitFor(1);
      const reads = async () =>
        Number(/total_reads_processed:(\d+)/.exec(await raw.info('stats'))![1]);
      const N = 20;
      const before = await reads();
      for (let i = 0; i < N; i++) {
        await publisher.publish([event('one')]);
        await waitFor(2 + i);
      }
      const after = await reads();
      // Per event: the publisher's XADD and the group's read (the acknowledgement of the event
      // before rides in it); the INFO call that reads the counter is one more. An XACK of its
      // own would make it three per event.
      expect(after - before).toBeLessThanOrEqual(2 * N + 2);
      // The last batch's acknowledgement went out with the read that now waits for more.
      await new Promise((r) => setTimeout(r, 50));
      const [pending] = (await raw.xpending(`${prefix}:events`, 'counted')) as [number];
      expect(pending).toBe(0);
    } finally {
      await publisher.close();
      await reader.close();
      raw.disconnect();
      await redis.stop();
    }
  });
});

describe.skipIf(!enabled)('RedisBus consumer group linger', () => {
  it('reads what arrives while the group lingers after a batch as one batch, and acknowledges it on close', async () => {
    const prefix = `fp-test-${uid(4)}`;
    const url = process.env.REDIS_URL!;
    const publisher = new RedisBus(url, prefix, 'publisher', 200);
    const reader = new RedisBus(url, prefix, 'reader', 200, {}, { lingerMs: 1000 });
    buses.push(publisher, reader);
    const batches: string[][] = [];
    reader.subscribeGroup(
      'lingering',
      async (events) => void batches.push(events.map((e) => e.type)),
    );
    const until = async (n: number) => {
      for (let i = 0; i < 1000 && batches.length < n; i++)
        await new Promise((r) => setTimeout(r, 5));
    };
    await new Promise((r) => setTimeout(r, 100));
    await publisher.publish([event('first')]);
    await until(1);
    // Published one by one while the group lingers after the first: read together.
    for (const type of ['a', 'b', 'c']) await publisher.publish([event(type)]);
    await until(2);
    expect(batches).toEqual([['first'], ['a', 'b', 'c']]);
    // Closed while it lingers after a batch: the batch is acknowledged, nothing stays pending
    // under the name of a consumer that is gone.
    const raw = new Redis(url);
    try {
      const [pending] = (await raw.xpending(`${prefix}:events`, 'lingering')) as [number];
      expect(pending).toBe(3);
      await reader.close();
      const [after] = (await raw.xpending(`${prefix}:events`, 'lingering')) as [number];
      expect(after).toBe(0);
    } finally {
      raw.disconnect();
    }
  });
});

describe.skipIf(!enabled)('RedisBus consumer groups after a member is gone', () => {
  it('takes over the entries a gone member read and never acknowledged, and handles them', async () => {
    const prefix = `fp-test-${uid(4)}`;
    const url = process.env.REDIS_URL!;
    const stream = `${prefix}:events`;
    const raw = new Redis(url);
    const publisher = new RedisBus(url, prefix, 'publisher', 200);
    buses.push(publisher);
    try {
      // A member that read two entries and went (a crash mid-batch; its successor has another
      // consumer name, as a restarted process does).
      await raw.xgroup('CREATE', stream, 'shared', '0', 'MKSTREAM');
      await publisher.publish([event('lost-1'), event('lost-2')]);
      await raw.xreadgroup('GROUP', 'shared', 'gone', 'COUNT', 10, 'STREAMS', stream, '>');
      const [pendingBefore] = (await raw.xpending(stream, 'shared')) as [number];
      expect(pendingBefore).toBe(2);

      const survivor = new RedisBus(url, prefix, 'survivor', 100, {}, { claimIdleMs: 300 });
      buses.push(survivor);
      const got: string[] = [];
      survivor.subscribeGroup(
        'shared',
        async (events) => void got.push(...events.map((e) => e.type)),
      );
      await publisher.publish([event('new')]);
      for (let i = 0; i < 400 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual(['new', 'lost-1', 'lost-2']);
      expect(survivor.claimedEntries).toBe(2);
      for (let i = 0; i < 100; i++) {
        const [pending] = (await raw.xpending(stream, 'shared')) as [number];
        if (pending === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const [pendingAfter] = (await raw.xpending(stream, 'shared')) as [number];
      expect(pendingAfter).toBe(0);
    } finally {
      raw.disconnect();
    }
  });
});
