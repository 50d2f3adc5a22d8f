/**
 * The outbox relay takes its rows and marks them sent in one statement (PostgreSQL: locked with
 * SKIP LOCKED) and publishes them in the same transaction: a pass whose publishing fails leaves
 * its rows pending, and the next pass publishes them, in order, once. Its timer, the net for rows no
 * commit published, asks whether anything is pending in one statement before it opens a pass.
 * On PostgreSQL the statement that takes the rows also reads the consumers' hints for them, and
 * a pass takes the rows of the passes queued behind it in its own transaction.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Bus, DomainEvent } from '../../lib/bus.js';
import { isPostgres } from '../../lib/db.js';
import { chainedTakes, OutboxRelay, PENDING_PROBE, recordEvent } from '../../lib/outbox.js';
import { boundQuery } from '../../lib/plain-sql.js';
import {
  automationsOutboxHints,
  REVISION_HINT,
} from '../../subgraphs/operations/src/automations/evaluation/automation-cache.js';
import { EVENT_EMITTED } from '../../subgraphs/operations/src/event-store/emit.js';
import { everyStatement, startStack, uid, type Stack } from '../harness/stack.js';

let stack: Stack;
beforeAll(async () => {
  // No relay of the stack's own: the rows of this test are published by the relay under test.
  stack = await startStack({ runRelay: false });
});
afterAll(async () => {
  await stack?.stop();
});

describe('the outbox relay', () => {
  it('leaves the rows of a pass whose publishing failed pending; the next pass publishes them once, in order', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const type = `test.relay-${uid()}`;
    await orm.em.fork().transactional(async (em) => {
      for (let i = 0; i < 3; i++) recordEvent(em, type, { i });
    });
    const published: DomainEvent[] = [];
    let down = true;
    const bus = {
      publish: async (events: DomainEvent[]) => {
        if (down) throw new Error('the bus is down');
        published.push(...events);
      },
    } as unknown as Bus;
    const sent = async () =>
      (
        await boundQuery<{ sent_at: unknown }[]>(
          orm.em.fork(),
          'select sent_at from outbox where type = ? order by seq',
          [type],
        )
      ).map((r) => r.sent_at != null);

    const relay = new OutboxRelay(orm, bus, 'operations', 60_000);
    relay.start();
    try {
      await expect(relay.flush()).rejects.toThrow('the bus is down');
      expect(await sent()).toEqual([false, false, false]);

      down = false;
      await relay.flush();
      const mine = () => published.filter((e) => e.type === type);
      expect(mine().map((e) => e.payload.i)).toEqual([0, 1, 2]);
      expect(await sent()).toEqual([true, true, true]);

      // Nothing pending: another pass publishes nothing again.
      await relay.flush();
      expect(mine()).toHaveLength(3);
    } finally {
      await relay.stop();
    }
  });

  it('polls with one statement while nothing is pending, and publishes on its timer what no commit published', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const type = `test.poll-${uid()}`;
    const published: DomainEvent[] = [];
    const bus = {
      publish: async (events: DomainEvent[]) => void published.push(...events),
    } as unknown as Bus;
    const relay = new OutboxRelay(orm, bus, 'operations', 50);
    relay.start();
    const lines: string[] = [];
    const counter = stack.counters.operations;
    const record = counter.record.bind(counter);
    const spy = vi.spyOn(counter, 'record').mockImplementation((line: string) => {
      lines.push(line);
      record(line);
    });
    try {
      await relay.flush(); // what earlier work left
      lines.length = 0;
      await new Promise((r) => setTimeout(r, 400));
      const polls = lines.filter((l) => l.startsWith('[query] (outbox)'));
      expect(polls.length).toBeGreaterThanOrEqual(3);
      for (const l of polls) expect(l).toContain(PENDING_PROBE);

      await orm.em.fork().transactional(async (em) => {
        for (let i = 0; i < 3; i++) recordEvent(em, type, { i });
      });
      await vi.waitFor(
        () =>
          expect(published.filter((e) => e.type === type).map((e) => e.payload.i)).toEqual([
            0, 1, 2,
          ]),
        { timeout: 5_000, interval: 20 },
      );
    } finally {
      spy.mockRestore();
      await relay.stop();
    }
  });

  it("reads the consumers' hints with the rows it takes (PostgreSQL): the automations' revision of an event's workspace, none for another type", async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const published: DomainEvent[] = [];
    const bus = {
      publish: async (events: DomainEvent[]) => void published.push(...events),
    } as unknown as Bus;
    const relay = new OutboxRelay(orm, bus, 'operations', 60_000, automationsOutboxHints);
    relay.start();
    const [never, bumped] = [randomUUID(), randomUUID()];
    await boundQuery(
      orm.em.fork(),
      'insert into automation_revision (workspace_id, revision) values (?, ?)',
      [bumped, 3],
      'run',
    );
    const key = uid();
    const payloads = [
      { workspaceId: never, key },
      { workspaceId: bumped, key },
      // A workspace id the cast would refuse, and none: the relay goes on (no automation there).
      { workspaceId: `${never}'x`, key },
      { key },
    ];
    try {
      await orm.em.fork().transactional(async (em) => {
        for (const p of payloads) recordEvent(em, EVENT_EMITTED, p);
        recordEvent(em, `test.other-${key}`, { workspaceId: bumped, key });
      });
      await relay.flush();
      const mine = published.filter((e) => e.payload.key === key);
      expect(mine).toHaveLength(5);
      const hints = mine.map((e) => e.hints?.[REVISION_HINT]);
      if (isPostgres(orm)) expect(hints).toEqual([0, 3, 0, 0, undefined]);
      else expect(mine.every((e) => e.hints === undefined)).toBe(true);
    } finally {
      await relay.stop();
    }
  });
  /** A relay whose bus holds its first publish until `open()`, and fails where `failing` says. */
  function gatedRelay(failing: (call: number) => boolean = () => false) {
    const orm = stack.running.subgraphs.operations!.orm;
    const published: DomainEvent[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let calls = 0;
    let held = false;
    const bus = {
      publish: async (events: DomainEvent[]) => {
        const call = ++calls;
        if (call === 1) {
          held = true;
          await gate;
        }
        if (failing(call)) throw new Error(`publish ${call} fails`);
        published.push(...events);
      },
    } as unknown as Bus;
    const relay = new OutboxRelay(orm, bus, 'operations', 60_000);
    relay.start();
    const commit = (type: string, from: number, count: number) =>
      orm.em.fork().transactional(async (em) => {
        for (let i = from; i < from + count; i++) recordEvent(em, type, { i });
      });
    const sent = async (type: string) =>
      (
        await boundQuery<{ sent_at: unknown }[]>(
          orm.em.fork(),
          'select sent_at from outbox where type = ? order by seq',
          [type],
        )
      ).map((r) => r.sent_at != null);
    /**
     * Rows 0–1 committed and a pass for them, held in its publish; then rows 2–3 committed and
     * a pass asked for: the two callers' promises.
     */
    const heldThenQueued = async (type: string) => {
      await commit(type, 0, 2);
      const first = relay.flush();
      await vi.waitFor(() => expect(held).toBe(true), { timeout: 5_000 });
      await commit(type, 2, 2);
      return [first, relay.flush()] as const;
    };
    return { orm, relay, published, open, commit, sent, heldThenQueued };
  }

  it('takes the rows of the passes queued behind it in its own transaction (PostgreSQL): a COMMIT less, every row once, in order, each caller answered once its rows are sent', async () => {
    const type = `test.chain-${uid()}`;
    const r = gatedRelay();
    const statements = everyStatement(stack.counters.operations);
    const served = chainedTakes.count;
    try {
      // Two commits while the pass publishes: both ask for a pass, which they share.
      const [first, second] = await r.heldThenQueued(type);
      await r.commit(type, 4, 1);
      const third = r.relay.flush();
      expect(third).toBe(second);
      const answered: boolean[][] = [];
      void second.then(async () => answered.push(await r.sent(type)));
      r.open();
      await Promise.all([first, second, third]);
      const mine = r.published.filter((e) => e.type === type);
      expect(mine.map((e) => e.payload.i)).toEqual([0, 1, 2, 3, 4]);
      await vi.waitFor(() => expect(answered).toHaveLength(1));
      expect(answered[0]).toEqual([true, true, true, true, true]);
      const commits = statements.lines.filter((l) => /^\[query\] \(outbox\) commit/.test(l));
      if (isPostgres(r.orm)) {
        expect(chainedTakes.count).toBe(served + 1);
        // One transaction for both passes.
        expect(commits).toHaveLength(1);
      } else {
        // SQLite: a pass each, no transaction (nothing to chain).
        expect(chainedTakes.count).toBe(served);
      }
    } finally {
      statements.stop();
      await r.relay.stop();
    }
  });

  it('runs the passes it served again when its transaction fails (PostgreSQL): their rows and its own are published by them, none lost', async () => {
    const type = `test.chain-fail-${uid()}`;
    // The second publish fails: on PostgreSQL the chained take's, so the whole transaction.
    const r = gatedRelay((call) => call === 2);
    try {
      const [first, second] = await r.heldThenQueued(type);
      r.open();
      if (isPostgres(r.orm)) {
        await expect(first).rejects.toThrow('publish 2 fails');
        // Rolled back: the first rows are pending again, and the served pass publishes all.
        await second;
        expect(await r.sent(type)).toEqual([true, true, true, true]);
        const last = r.published.filter((e) => e.type === type).slice(-4);
        expect(last.map((e) => e.payload.i)).toEqual([0, 1, 2, 3]);
      } else {
        // SQLite: nothing chains; the first pass sent its rows, the second caller's pass failed.
        await first;
        await expect(second).rejects.toThrow('publish 2 fails');
        expect(await r.sent(type)).toEqual([true, true, false, false]);
      }
    } finally {
      await r.relay.stop();
    }
  });
});
