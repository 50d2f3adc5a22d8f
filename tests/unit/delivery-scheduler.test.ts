import { describe, expect, it } from 'vitest';
import { DeliveryScheduler } from '../../gateway/src/subscriptions/delivery-scheduler.js';
import { RecentIds } from '../../gateway/src/subscriptions/stream.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Asks for `count` sends in order; `sent` records each as it is let go. */
function ask(s: DeliveryScheduler, count: number, sent: number[]) {
  for (let i = 0; i < count; i++) {
    const wait = s.sendTurn();
    if (!wait) sent.push(i);
    else void wait.then(() => sent.push(i));
  }
}

describe('DeliveryScheduler', () => {
  it('lets every send go at once while no request is in flight', () => {
    const s = new DeliveryScheduler({ sendSlice: 2 });
    for (let i = 0; i < 100; i++) expect(s.sendTurn()).toBeUndefined();
  });

  it('while a request is in flight, sends go in slices of `sendSlice` with rests between, in order', async () => {
    const s = new DeliveryScheduler({ sendSlice: 3 });
    const done = s.requestStarted();
    const sent: number[] = [];
    ask(s, 8, sent);
    expect(sent).toEqual([0, 1, 2]);
    // After a slice the fan-out rests: the next turn lets nothing more go, later ones the rest.
    await nextTurn();
    expect(sent).toEqual([0, 1, 2]);
    for (let t = 0; t < 200 && sent.length < 8; t++) await sleep(1);
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    done();
  });

  it('lets all waiting sends go once the requests end, and never stops sending', async () => {
    const s = new DeliveryScheduler({ sendSlice: 1 });
    const done = s.requestStarted();
    const sent: number[] = [];
    ask(s, 50, sent);
    expect(sent).toEqual([0]);
    done();
    await sleep(25);
    expect(sent).toHaveLength(50);
    // With a request in flight the whole time, every send still goes, a slice at a time.
    s.requestStarted();
    await sleep(25);
    const late: number[] = [];
    ask(s, 5, late);
    for (let t = 0; t < 100 && late.length < 5; t++) await sleep(1);
    expect(late).toEqual([0, 1, 2, 3, 4]);
  });

  it('tenants take turns, one delivery each, until every queue is empty', async () => {
    const s = new DeliveryScheduler({ concurrency: 1 });
    const order: string[] = [];
    const queued = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'].map((d) =>
      s.run(d[0]!, async () => void order.push(d)),
    );
    await Promise.all(queued);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    expect(s.pending).toBe(0);
  });

  it('keeps the round-robin order across thousands of tenants (the turn list is compacted)', async () => {
    const s = new DeliveryScheduler({ concurrency: 4, slice: 64 });
    const order: string[] = [];
    const tenants = Array.from({ length: 3000 }, (_, i) => `t${i}`);
    const queued = [0, 1].flatMap((round) =>
      tenants.map((t) => s.run(t, async () => void order.push(`${t}/${round}`))),
    );
    await Promise.all(queued);
    expect(order).toEqual([0, 1].flatMap((round) => tenants.map((t) => `${t}/${round}`)));
    // A tenant that comes back after its queue emptied takes a turn again.
    await s.run('t7', async () => void order.push('again'));
    expect(order.at(-1)).toBe('again');
  });
});

describe('RecentIds', () => {
  it('remembers exactly the last `capacity` ids', () => {
    const ids = new RecentIds(3);
    expect(['a', 'b', 'c'].map((id) => ids.add(id))).toEqual([true, true, true]);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('d')).toBe(true); // 'a' is forgotten
    expect(ids.add('a')).toBe(true); // now 'b' is
    expect(['c', 'd', 'a'].map((id) => ids.add(id))).toEqual([false, false, false]);
    expect(ids.add('b')).toBe(true);
  });

  it('stays exact over many laps of its ring', () => {
    const ids = new RecentIds(1000);
    for (let i = 0; i < 25_000; i++) expect(ids.add(`e${i}`)).toBe(true);
    expect(ids.add('e24999')).toBe(false);
    expect(ids.add('e24000')).toBe(false);
    expect(ids.add('e23999')).toBe(true);
  });
});
