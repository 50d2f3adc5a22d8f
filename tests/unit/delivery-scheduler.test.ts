import { describe, expect, it } from 'vitest';
import { DeliveryScheduler } from '../../gateway/src/subscriptions/delivery-scheduler.js';

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
});
