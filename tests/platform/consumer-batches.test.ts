/**
 * Issue 16, goal 2: a consumer group applies a bus batch in one transaction (handled marks read
 * with one `in (…)`, written in one flush), and exactly-once stays as it was: a failing event
 * fails alone, the events before it stay applied, a redelivery applies each event once.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus, type DomainEvent } from '../../lib/bus.js';
import {
  combineConsumers,
  consumeEvents,
  filteredBy,
  HandledEvent,
  onlyWhen,
  PENDING_PROBE,
  plainStatements,
} from '../../lib/outbox.js';
import { isPostgres } from '../../lib/db.js';
import { boundQuery, inPlainTransaction, plainFallbacks } from '../../lib/plain-sql.js';
import { verifyChain } from '../../subgraphs/access/src/audit/audit-chain.js';
import { auditConsumers } from '../../subgraphs/access/src/audit/audit.consumers.js';
import { eventConsumers } from '../../subgraphs/operations/src/events/event.consumers.js';
import { automationState, createAutomation } from '../operations/automation-fixtures.js';
import { createWorkspace } from '../harness/seed.js';
import {
  everyStatement as everyOperationsStatement,
  startStack,
  uid,
  type Actor,
  type Stack,
} from '../harness/stack.js';

let stack: Stack;
let owner: Actor;
beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;

/** An automation counting `expect` events about any `acme.thing.*`, firing (DO_NOTHING) at `threshold`. */
const countingAutomation = (workspaceId: string, name: string, expect: string, threshold: number) =>
  createAutomation(owner, {
    workspaceId,
    name,
    trigger: {
      event: {
        match: { ids: ['acme.thing.*'] },
        expect: [expect],
        posture: 'REACTIVE',
        threshold,
        withinSeconds: 60,
      },
    },
    actions: [{ type: 'DO_NOTHING' }],
  });

/** Every statement of the operations subgraph from now on (see the harness's `everyStatement`). */
const everyStatement = () => everyOperationsStatement(stack.counters.operations);

/** A domain event of `type` whose payload's key is its id. */
const event = (type: string): DomainEvent => {
  const id = randomUUID();
  return { id, type, source: 'test', occurredAt: new Date().toISOString(), payload: { key: id } };
};

describe('consumer batches', () => {
  it('the bookkeeping of a batch of 50 events costs the statements of a batch of 5', async () => {
    const ws = await createWorkspace(owner, owner.accountId);
    // An automation that never fires (no acme.never event): the consumer applies every event.
    await countingAutomation(ws.id, 'Never', 'acme.never', 1);
    const ops = stack.running.subgraphs.operations!;
    const marks = () => ops.orm.em.fork().count(HandledEvent, {});
    const { lines, stop } = everyStatement();
    /** Operations statements (request and background) for one call of n events. */
    const cost = async (n: number) => {
      await stack.quiesce();
      const before = await marks();
      lines.length = 0;
      const res = await owner.gql(EMIT, {
        input: {
          workspaceId: ws.id,
          events: Array.from({ length: n }, (_, i) => ({
            event: 'acme.batched',
            resource: { id: `acme.thing.${i}` },
          })),
        },
      });
      expect(res.errors).toBeUndefined();
      expect(res.data.emitEvents).toBe(n);
      await stack.quiesce();
      // Relay passes that found nothing (kicks after a commit; on PostgreSQL each in a
      // transaction of its own, interleaved with others) and the timer's probes for pending rows
      // come and go with timing: they and transaction control are left out; what remains is the
      // work the events cost.
      const statements = lines.filter(
        (q) =>
          !/from .?outbox.? .*\b0 results/.test(q) &&
          !q.includes(PENDING_PROBE) &&
          // (a plain transaction's control carries its context's label: `[query] (outbox) begin`)
          !/^\[query\] (\(\w+\) )?(begin|commit)\b/.test(q),
      );
      // Each event was applied by the consumers that take it, once each.
      const applied = (await marks()) - before;
      return { statements, applied };
    };
    await cost(3); // warm-up: caches, prepared statements
    const five = await cost(5);
    const fifty = await cost(50);
    stop();
    expect(five.applied).toBeGreaterThanOrEqual(5);
    expect(fifty.applied).toBe((five.applied / 5) * 50);
    const inserts = (s: string[]) => s.filter((q) => /insert into .?handled_event/i.test(q)).length;
    // One multi-row insert of marks per consumer group and batch, whatever the batch's size.
    expect(inserts(fifty.statements)).toBe(inserts(five.statements));
    expect(fifty.statements.length, fifty.statements.join('\n')).toBe(five.statements.length);
  });

  it('events of a workspace without automations cost the automations consumer one read at most (PostgreSQL: none, the relay reads it), no transaction', async () => {
    const ws = await createWorkspace(owner, owner.accountId);
    const ops = stack.running.subgraphs.operations!;
    const marks = (consumer: string) => ops.orm.em.fork().count(HandledEvent, { consumer });
    const send = async (n: number, name: string) => {
      await stack.quiesce();
      const { lines, stop } = everyStatement();
      const res = await owner.gql(EMIT, {
        input: {
          workspaceId: ws.id,
          events: Array.from({ length: n }, (_, i) => ({
            event: name,
            resource: { id: `acme.thing.${i}` },
          })),
        },
      });
      expect(res.errors).toBeUndefined();
      await stack.quiesce();
      stop();
      return lines.filter(
        (q) => q.includes('(outbox)') && !/from .?outbox.? .*\b0 results/.test(q),
      );
    };
    const before = await marks('operations.automations');
    const background = await send(20, 'acme.nothing');
    // The relay's pass and one read of the workspace's revision: no handled marks. On PostgreSQL
    // the relay's statement reads the revision with the events (their hint): no read of its own.
    const pg = isPostgres(ops.orm);
    const relayed = background.filter((q) => /^\[query\] \(outbox\) update .?outbox/.test(q));
    expect(relayed.some((q) => /automation_revision/.test(q))).toBe(pg);
    const reads = background.filter((q) => /^\[query\] \(outbox\) select revision /.test(q));
    expect(reads, background.join('\n')).toHaveLength(pg ? 0 : 1);
    expect(background.filter((q) => /handled_event/.test(q))).toEqual([]);
    expect(await marks('operations.automations')).toBe(before);
    // Once the workspace has an automation, its events are applied (and marked) again.
    const a = await countingAutomation(ws.id, 'Three in a row', 'acme.counted', 3);
    await stack.quiesce();
    const withAutomation = await marks('operations.automations');
    await send(2, 'acme.counted');
    expect(await marks('operations.automations')).toBe(withAutomation + 2);
    // Counted by the automation: 2 of the 3 it expects.
    const state = await automationState(owner, a.id);
    expect(state.triggered).toBe(false);
    expect(state.buckets.map((b) => b.count)).toEqual([2]);
  });

  it('a failing event fails alone; a redelivery applies every event exactly once', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const bus = new InProcessBus();
    const consumer = `test.batches.${uid()}`;
    const effect = `${consumer}.effect`;
    let failing = true;
    // The handler's effect is a row written in the consumer's transaction.
    const record = (p: Record<string, unknown>, em: EntityManager) => {
      em.persist(Object.assign(new HandledEvent(), { consumer: effect, eventId: p.key }));
    };
    consumeEvents(orm, bus, consumer, {
      'test.ok': async (p, em) => record(p, em),
      'test.flaky': async (p, em) => {
        if (failing) throw new Error('not yet');
        record(p, em);
      },
    });
    const [a, b, c, d] = [
      event('test.ok'),
      event('test.ok'),
      event('test.flaky'),
      event('test.ok'),
    ];
    const effects = async () =>
      (await orm.em.fork().find(HandledEvent, { consumer: effect })).map((h) => h.eventId).sort();
    const done = async () =>
      (await orm.em.fork().find(HandledEvent, { consumer })).map((h) => h.eventId).sort();

    // a, b, a again (a retried publish), the flaky c, then d: the batch fails as a whole, and
    // the events are applied again one at a time: a and b stay, c fails, d waits behind it.
    await expect(bus.publish([a!, b!, a!, c!, d!])).rejects.toThrow('not yet');
    expect(await effects()).toEqual([a!.id, b!.id].sort());
    expect(await done()).toEqual([a!.id, b!.id].sort());

    // Redelivered once c can be applied: a and b are skipped, c and d applied, each once.
    failing = false;
    await bus.publish([a!, b!, a!, c!, d!]);
    const all = [a!.id, b!.id, c!.id, d!.id].sort();
    expect(await effects()).toEqual(all);
    expect(await done()).toEqual(all);
    // And again: nothing changes.
    await bus.publish([a!, b!, c!, d!]);
    expect(await effects()).toEqual(all);
    await bus.close?.();
  });

  it('handlers of plain statements apply a batch in a plain transaction; a type that needs the ORM goes to MikroORM’s from then on, applied once', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const postgres = isPostgres(orm);
    const bus = new InProcessBus();
    const consumer = `test.plain.${uid()}`;
    const effect = `${consumer}.effect`;
    const seen: string[] = [];
    // The effect: a row written by a plain statement in the consumer's transaction.
    const record = async (p: { key: string }, em: EntityManager) => {
      seen.push(`${p.key}:${inPlainTransaction(em as SqlEntityManager) ? 'plain' : 'orm'}`);
      await boundQuery(
        em as SqlEntityManager,
        'insert into handled_event (consumer, event_id, handled_at) values (?, ?, ?)',
        [effect, p.key, new Date()],
        'run',
      );
    };
    consumeEvents(orm, bus, consumer, {
      'test.plain': plainStatements(async (p, em) => record(p, em)),
      // Written first, then the ORM: the plain attempt is refused and rolled back.
      'test.orm': plainStatements(async (p, em) => {
        await record(p, em);
        await em.count(HandledEvent, { consumer: effect });
      }),
    });
    const effects = async () =>
      (await orm.em.fork().find(HandledEvent, { consumer: effect })).map((h) => h.eventId).sort();
    const fallbacks = () => plainFallbacks.count;

    const [a, b] = [event('test.plain'), event('test.plain')];
    const before = fallbacks();
    await bus.publish([a!, b!]);
    expect(await effects()).toEqual([a!.id, b!.id].sort());
    expect(seen).toEqual([
      `${a!.id}:${postgres ? 'plain' : 'orm'}`,
      `${b!.id}:${postgres ? 'plain' : 'orm'}`,
    ]);
    expect(fallbacks()).toBe(before);

    seen.length = 0;
    const [c, d] = [event('test.orm'), event('test.orm')];
    await bus.publish([c!, d!]);
    expect(await effects()).toEqual([a!.id, b!.id, c!.id, d!.id].sort());
    if (postgres) {
      // Tried plain (c), refused, rolled back; then both in MikroORM's transaction.
      expect(seen).toEqual([`${c!.id}:plain`, `${c!.id}:orm`, `${d!.id}:orm`]);
      expect(fallbacks()).toBe(before + 1);
    } else console.log('SQLite: every consumer transaction is MikroORM’s (nothing to choose)');

    // Learned: the next test.orm events go to MikroORM's at once; test.plain stays plain.
    seen.length = 0;
    const [e, f] = [event('test.orm'), event('test.plain')];
    await bus.publish([e!]);
    await bus.publish([f!]);
    expect(seen).toEqual([`${e!.id}:orm`, `${f!.id}:${postgres ? 'plain' : 'orm'}`]);
    expect(fallbacks()).toBe(before + (postgres ? 1 : 0));
    expect(await effects()).toEqual([a, b, c, d, e, f].map((x) => x!.id).sort());
    await bus.close?.();
  });

  it('the audit entries of a delivery are stored as events with one statement (PostgreSQL), each once', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const bus = new InProcessBus();
    consumeEvents(orm, bus, `test.audit-events.${uid()}`, eventConsumers);
    const workspaceId = randomUUID();
    const announcement = (i: number): DomainEvent => ({
      ...event('audit.recorded'),
      payload: {
        workspaceId,
        accountId: randomUUID(),
        entryId: randomUUID(),
        action: 'flow_run.created',
        resourceType: 'FlowRun',
        resourceId: randomUUID(),
        occurredAt: new Date().toISOString(),
        actor: { type: 'USER', id: randomUUID(), apiKeyId: null },
        summary: { i },
      },
    });
    const { lines, stop } = everyStatement();
    /** The statements that insert events for one delivery. */
    const insertsFor = async (events: DomainEvent[]) => {
      lines.length = 0;
      await bus.publish(events);
      return lines.filter((l) => /insert into .?event.? /.test(l)).length;
    };
    const inserts = (n: number) => insertsFor(Array.from({ length: n }, (_, i) => announcement(i)));
    const stored = async () =>
      (
        await boundQuery<{ n: number | string }[]>(
          orm.em.fork(),
          'select count(*) as n from event where workspace_id = ?',
          [workspaceId],
        )
      )[0]!.n;
    try {
      const [two, ten] = [await inserts(2), await inserts(10)];
      if (isPostgres(orm)) expect([two, ten]).toEqual([1, 1]);
      else expect([two, ten]).toEqual([2, 10]); // SQLite: an insert per event, as before
      expect(Number(await stored())).toBe(12);
      // An entry announced again (a new announcement of a stored entry, as after its handled
      // mark was pruned) and a new one announced twice in the same delivery: each stored once.
      const stored0 = announcement(0);
      await bus.publish([stored0]);
      const fresh = announcement(1);
      const reannounced = (e: DomainEvent): DomainEvent => ({
        ...event('audit.recorded'),
        payload: e.payload,
      });
      // Still one statement on PostgreSQL (the delivery was not applied again event by event).
      expect(await insertsFor([reannounced(stored0), fresh, reannounced(fresh)])).toBe(
        isPostgres(orm) ? 1 : 3,
      );
      expect(Number(await stored())).toBe(14);
    } finally {
      stop();
      await bus.close?.();
    }
  });

  it('the audit entries of a delivery go into their chain with one statement (PostgreSQL), in order, the chain intact', async () => {
    const orm = stack.running.subgraphs.access!.orm;
    const bus = new InProcessBus();
    consumeEvents(orm, bus, `test.audit-chain.${uid()}`, auditConsumers);
    const key = uid();
    const audited = (i: number): DomainEvent => ({
      ...event('test.audited'),
      payload: { accountId: owner.accountId, id: `${key}-${i}`, i },
    });
    const { lines, stop } = everyOperationsStatement(stack.counters.access);
    const inserts = async (n: number) => {
      lines.length = 0;
      await bus.publish(Array.from({ length: n }, (_, i) => audited(i)));
      return lines.filter((l) => /insert into .?audit_event.? /.test(l)).length;
    };
    try {
      const [two, ten] = [await inserts(2), await inserts(10)];
      if (isPostgres(orm)) expect([two, ten]).toEqual([1, 1]);
      else expect([two, ten]).toEqual([2, 10]); // SQLite: an insert per event, as before
      const entries = await boundQuery<{ resource_id: string }[]>(
        orm.em.fork(),
        'select resource_id from audit_event where account_id = ? and resource_id like ? order by seq',
        [owner.accountId, `${key}-%`],
      );
      expect(entries.map((e) => e.resource_id)).toEqual(
        [...Array(2).keys(), ...Array(10).keys()].map((i) => `${key}-${i}`),
      );
      expect(await verifyChain(orm.em.fork(), owner.accountId)).toMatchObject({ ok: true });
      // Two chains in one delivery: one statement still, each chain intact.
      const other = await stack.signUp();
      lines.length = 0;
      await bus.publish(
        [owner, other, owner].map((a, i) => ({
          ...event('test.audited'),
          payload: { accountId: a.accountId, id: `${key}-both-${i}`, i },
        })),
      );
      const both = lines.filter((l) => /insert into .?audit_event.? /.test(l)).length;
      expect(both).toBe(isPostgres(orm) ? 1 : 3);
      for (const a of [owner, other])
        expect(await verifyChain(orm.em.fork(), a.accountId)).toMatchObject({ ok: true });
    } finally {
      stop();
      await bus.close?.();
    }
  });

  it('events a predicate passes over cost no statement and no mark; a chain runs the parts that want them', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const bus = new InProcessBus();
    const consumer = `test.when.${uid()}`;
    const ran: string[] = [];
    const part = (name: string) => async (p: { key: string }) => void ran.push(`${name}:${p.key}`);
    consumeEvents(
      orm,
      bus,
      consumer,
      combineConsumers(
        { 'test.state': onlyWhen((p: { to?: string }) => p?.to === 'FAILED', part('failures')) },
        { 'test.state': onlyWhen((p: { to?: string }) => p?.to !== 'RUNNING', part('ends')) },
        // A predicate that throws leaves the decision to its handler.
        {
          'test.other': onlyWhen(() => {
            throw new Error('bad payload');
          }, part('other')),
        },
      ),
    );
    const { lines, stop } = everyStatement();
    const event = (type: string, to: string): DomainEvent => ({
      id: randomUUID(),
      type,
      source: 'test',
      occurredAt: new Date().toISOString(),
      payload: { key: to, to },
    });
    try {
      await stack.quiesce();
      lines.length = 0;
      const running = [event('test.state', 'RUNNING'), event('test.state', 'RUNNING')];
      await bus.publish(running);
      expect(lines).toEqual([]);
      const failed = event('test.state', 'FAILED');
      const completed = event('test.state', 'COMPLETED');
      const other = event('test.other', 'X');
      await bus.publish([failed, completed, other, ...running]);
      expect(ran).toEqual(['failures:FAILED', 'ends:FAILED', 'ends:COMPLETED', 'other:X']);
      const marks = (await orm.em.fork().find(HandledEvent, { consumer })).map((h) => h.eventId);
      expect(marks.sort()).toEqual([failed.id, completed.id, other.id].sort());
    } finally {
      stop();
      await bus.close?.();
    }
  });

  it('in a chain, a delivery filter passes an event over for its part alone; no part acting costs no statement', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const bus = new InProcessBus();
    const consumer = `test.filtered.${uid()}`;
    const other = `test.filtered.all.${uid()}`;
    const ran: string[] = [];
    const accepted = new Set<string>();
    const part = (name: string) => async (p: { key: string }) => void ran.push(`${name}:${p.key}`);
    const keyOf = (e: DomainEvent) => (e.payload as { key: string }).key;
    const filters: string[][] = [];
    consumeEvents(
      orm,
      bus,
      consumer,
      combineConsumers(
        {
          'test.state': onlyWhen(
            (p: { to?: string }) => p?.to !== 'RUNNING',
            filteredBy(async (events) => {
              filters.push(events.map(keyOf));
              return events.filter((e) => accepted.has(keyOf(e)));
            }, part('filtered')),
          ),
        },
        { 'test.state': onlyWhen((p: { to?: string }) => p?.to === 'FAILED', part('failures')) },
      ),
    );
    // Another group gets the same event objects from the in-process bus, its filter takes all.
    consumeEvents(orm, bus, other, {
      'test.state': filteredBy(async (events) => events, part('other')),
    });
    const { lines, stop } = everyStatement();
    const event = (key: string, to: string): DomainEvent => ({
      id: randomUUID(),
      type: 'test.state',
      source: 'test',
      occurredAt: new Date().toISOString(),
      payload: { key, to },
    });
    const marks = async (c: string) =>
      (await orm.em.fork().find(HandledEvent, { consumer: c })).map((h) => h.eventId).sort();
    try {
      await stack.quiesce();
      const done = event('done', 'COMPLETED');
      const failed = event('failed', 'FAILED');
      const kept = event('kept', 'COMPLETED');
      accepted.add('kept');
      lines.length = 0;
      // Nothing in the chain acts on `done`: its filter passes it over, the other part does
      // not want it. Only the other group's transaction runs.
      await bus.publish([done]);
      expect(ran).toEqual(['other:done']);
      expect(lines.filter((l) => l.includes(consumer))).toEqual([]);
      expect(await marks(consumer)).toEqual([]);
      // `failed`: the filter passes it over, the failures part still runs (and marks it);
      // `kept`: the filter accepts it. A RUNNING event reaches no filter.
      ran.length = 0;
      await bus.publish([failed, kept, event('running', 'RUNNING')]);
      expect(ran.filter((r) => !r.startsWith('other:'))).toEqual([
        'failures:failed',
        'filtered:kept',
      ]);
      expect(filters.at(-1)).toEqual(['failed', 'kept']);
      expect(await marks(consumer)).toEqual([failed.id, kept.id].sort());
      // `done` had no mark: delivered again once its filter accepts it, it is applied then
      // (the other group marked it the first time: it skips it).
      accepted.add('done');
      ran.length = 0;
      await bus.publish([done]);
      expect(ran).toEqual(['filtered:done']);
      expect(await marks(consumer)).toEqual([done.id, failed.id, kept.id].sort());
    } finally {
      stop();
      await bus.close?.();
    }
  });
});
