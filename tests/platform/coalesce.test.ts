/**
 * Issue 16, goal 2: lib/coalesce joins the writes callers submit while a statement runs into
 * the next statement, and still answers each caller alone: its own result, its own error.
 */
import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../lib/coalesce.js';

/** A statement runner the test releases by hand; records what each statement carried. */
function runner(fail: (item: number) => boolean = () => false) {
  const statements: number[][] = [];
  const pending: (() => void)[] = [];
  const run = (items: readonly number[]) => {
    statements.push([...items]);
    return new Promise<number[]>((resolve, reject) =>
      pending.push(() =>
        items.some(fail)
          ? reject(new Error(`statement with ${items.join(',')} failed`))
          : resolve(items.map((i) => i * 10)),
      ),
    );
  };
  /** Lets every statement sent so far answer, and the ones they start. */
  const release = async () => {
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { run, statements, release };
}

describe('Coalescer', () => {
  it('a caller alone goes at once, in a statement of its own', async () => {
    const r = runner();
    const c = new Coalescer<number, number>({ run: r.run, cost: () => 1, maxCost: 100 });
    const answer = c.submit(1);
    expect(r.statements).toEqual([[1]]);
    await r.release();
    expect(await answer).toBe(10);
    expect(c.stats).toEqual({ statements: 1, callers: 1, retriedGroups: 0 });
  });

  it('callers that come while a statement runs share the next one, each with its own answer', async () => {
    const r = runner();
    const c = new Coalescer<number, number>({ run: r.run, cost: () => 1, maxCost: 100 });
    const answers = [1, 2, 3, 4, 5].map((i) => c.submit(i));
    expect(r.statements).toEqual([[1]]);
    await r.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(r.statements).toEqual([[1], [2, 3, 4, 5]]);
    expect(c.stats).toEqual({ statements: 2, callers: 5, retriedGroups: 0 });
  });

  it('a group stays within its cost: a write that would pass it starts the next group', async () => {
    const r = runner();
    const c = new Coalescer<number, number>({ run: r.run, cost: (i) => i, maxCost: 6 });
    const answers = [1, 2, 3, 4, 5].map((i) => c.submit(i));
    await r.release();
    await Promise.all(answers);
    expect(r.statements).toEqual([[1], [2, 3], [4], [5]]);
  });

  it('with two in flight, the third caller waits and the rest join it', async () => {
    const r = runner();
    const c = new Coalescer<number, number>({
      run: r.run,
      cost: () => 1,
      maxCost: 100,
      maxInFlight: 2,
    });
    const answers = [1, 2, 3, 4].map((i) => c.submit(i));
    expect(r.statements).toEqual([[1], [2]]);
    await r.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    expect(r.statements).toEqual([[1], [2], [3, 4]]);
  });

  it('a failing group runs again one caller at a time: only the failing caller gets the error', async () => {
    const r = runner((i) => i === 3);
    const c = new Coalescer<number, number>({ run: r.run, cost: () => 1, maxCost: 100 });
    const answers = [1, 2, 3, 4].map((i) => c.submit(i).catch((e: Error) => e.message));
    await r.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 'statement with 3 failed', 40]);
    expect(r.statements).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
    expect(c.stats).toEqual({ statements: 5, callers: 4, retriedGroups: 1 });
  });

  it('a caller alone gets its error as it is, and the next callers go on', async () => {
    const r = runner((i) => i === 1);
    const c = new Coalescer<number, number>({ run: r.run, cost: () => 1, maxCost: 100 });
    const first = c.submit(1).catch((e: Error) => e.message);
    const second = c.submit(2);
    await r.release();
    expect(await first).toBe('statement with 1 failed');
    expect(await second).toBe(20);
    expect(r.statements).toEqual([[1], [2]]);
  });
});
