/**
 * The workspace event store as clients use it: emitEvents (validation, de-duplication, all or
 * none), queries (filters, keyset paging, bounded window), counts for charts, retention, and
 * the agreement of the store's SQL with the in-memory filter of lib/event-filter.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundService } from '../../lib/background.js';
import { eventMatches, type EventFilterSpec, type LiveEvent } from '../../lib/event-filter.js';
import { OutboxEvent } from '../../lib/outbox.js';
import {
  EVENT_EMITTED,
  eventRows,
  joinedWriteStats,
  storeNewEventsJoined,
  toEventJson,
} from '../../subgraphs/operations/src/event-store/emit.js';
import { Event, EventRelated } from '../../subgraphs/operations/src/event-store/event.entity.js';
import { testDatabase } from '../harness/services.js';
import { createWorkspace, expectError } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { ok } from './fixtures.js';

const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const EVENTS = `query($id: ID!, $first: Int, $after: String, $filter: EventFilter, $order: EventOrder) {
  workspace(id: $id) { events(first: $first, after: $after, filter: $filter, order: $order) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id event occurred follows payload
      resource { id labels } related { id role labels } } } } } }`;
const COUNTS = `query($id: ID!, $filter: EventFilter!, $by: EventCountBy!, $bucket: TimeBucket) {
  eventCounts(workspaceId: $id, filter: $filter, countBy: $by, bucket: $bucket) { value count startTime endTime } }`;
const RETENTION = `mutation($input: SetEventRetentionInput!) { setEventRetention(input: $input) { id eventRetentionDays } }`;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let stack: Stack;
let alice: Actor;
const service = (name: string): BackgroundService =>
  stack.running.subgraphs.operations!.services.find((s) => s.name === name)!;
const db = () => stack.running.subgraphs.operations!.orm.em.fork();

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

const emit = (workspaceId: string, events: Record<string, unknown>[]) =>
  alice.gql(EMIT, { input: { workspaceId, events } });

async function emitted(workspaceId: string, events: Record<string, unknown>[]): Promise<number> {
  const res = await emit(workspaceId, events);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.emitEvents;
}

async function page(
  workspaceId: string,
  filter: Record<string, unknown> | null,
  opts: { first?: number; after?: string | null; order?: string } = {},
) {
  const res = await ok(alice, EVENTS, {
    id: workspaceId,
    first: opts.first ?? 200,
    after: opts.after ?? null,
    filter,
    order: opts.order ?? 'OCCURRED_DESC',
  });
  return res.workspace.events as {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: any }[];
  };
}

/** The client events stored (audit actions arrive in every new workspace, asynchronously). */
const stored = (workspaceId: string) =>
  db().count(Event, { workspaceId, name: { $like: 'acme.%' } });

describe('emitEvents', () => {
  let ws: string;
  beforeAll(async () => {
    ws = (await createWorkspace(alice, alice.accountId)).id;
  });

  const valid = (over: Record<string, unknown> = {}) => ({
    event: 'acme.order.shipped',
    resource: { id: 'acme.order.1' },
    ...over,
  });

  it('stores events with their resource, related resources, payload, time and follows', async () => {
    const id = randomUUID();
    const occurred = new Date(Date.now() - 3 * MIN).toISOString();
    expect(
      await emitted(ws, [
        valid({
          id,
          occurred,
          resource: {
            id: 'acme.order.7',
            labels: { 'flowplane.resource.name': 'Order 7', tier: 'gold' },
          },
          related: [{ id: 'acme.customer.3', role: 'customer', labels: { region: 'eu' } }],
          payload: { items: 3, nested: { ok: true } },
          follows: randomUUID(),
        }),
      ]),
    ).toBe(1);
    const e = await ok(
      alice,
      `query($id: ID!) { event(id: $id) { id event occurred received follows payload
      resource { id name role labels } related { id role name labels } workspace { id } } }`,
      { id },
    );
    expect(e.event).toMatchObject({
      id,
      event: 'acme.order.shipped',
      occurred,
      payload: { items: 3, nested: { ok: true } },
      resource: {
        id: 'acme.order.7',
        name: 'Order 7',
        role: null,
        labels: { tier: 'gold', 'flowplane.resource.name': 'Order 7' },
      },
      related: [{ id: 'acme.customer.3', role: 'customer', name: null, labels: { region: 'eu' } }],
      workspace: { id: ws },
    });
    expect(Date.parse(e.event.received)).toBeGreaterThan(Date.parse(occurred));
  });

  it('a client id already stored is accepted and not stored twice (also within one batch)', async () => {
    const id = randomUUID();
    const before = await stored(ws);
    expect(await emitted(ws, [valid({ id }), valid({ id }), valid()])).toBe(2);
    expect(await emitted(ws, [valid({ id })])).toBe(0);
    expect(await emitted(ws, [valid({ id }), valid({ id: randomUUID() })])).toBe(1);
    expect(await stored(ws)).toBe(before + 3);
    expect(await db().count(Event, { id })).toBe(1);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['empty name', valid({ event: '' }), 'events.0.event'],
    ['name over 1024', valid({ event: `a.${'b'.repeat(1023)}` }), 'events.0.event'],
    ['name not dotted', valid({ event: 'shipped' }), 'events.0.event'],
    ['empty part', valid({ event: 'acme..shipped' }), 'events.0.event'],
    ['white space', valid({ event: 'acme.order shipped' }), 'events.0.event'],
    ['reserved prefix', valid({ event: 'flowplane.flow-run.Completed' }), 'events.0.event'],
    ['empty resource id', valid({ resource: { id: '' } }), 'events.0.resource.id'],
    [
      'resource id over 1024',
      valid({ resource: { id: 'r'.repeat(1025) } }),
      'events.0.resource.id',
    ],
    [
      '51 labels',
      valid({
        resource: {
          id: 'r.1',
          labels: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
        },
      }),
      'events.0.resource.labels',
    ],
    [
      'label key over 255',
      valid({ resource: { id: 'r.1', labels: { ['k'.repeat(256)]: 'v' } } }),
      'events.0.resource.labels',
    ],
    [
      'label value over 1024',
      valid({ resource: { id: 'r.1', labels: { k: 'v'.repeat(1025) } } }),
      'events.0.resource.labels.k',
    ],
    [
      'label value not a string',
      valid({ resource: { id: 'r.1', labels: { k: 5 } } }),
      'events.0.resource.labels.k',
    ],
    [
      'labels not an object',
      valid({ resource: { id: 'r.1', labels: ['a'] } }),
      'events.0.resource.labels',
    ],
    [
      '51 related',
      valid({ related: Array.from({ length: 51 }, (_, i) => ({ id: `r.${i}`, role: 'x' })) }),
      'events.0.related',
    ],
    [
      'related without a role',
      valid({ related: [{ id: 'r.1', role: '' }] }),
      'events.0.related.0.role',
    ],
    ['related without an id', valid({ related: [{ id: '', role: 'x' }] }), 'events.0.related.0.id'],
    [
      'related label value not a string',
      valid({ related: [{ id: 'r.1', role: 'x', labels: { a: true } }] }),
      'events.0.related.0.labels.a',
    ],
    ['payload not an object', valid({ payload: [1, 2] }), 'events.0.payload'],
    ['payload over 64 KiB', valid({ payload: { big: 'x'.repeat(64 * 1024) } }), 'events.0.payload'],
    [
      'occurred more than 5 minutes ahead',
      valid({ occurred: new Date(Date.now() + 6 * MIN).toISOString() }),
      'events.0.occurred',
    ],
    ['id not a UUID', valid({ id: 'abc' }), 'events.0.id'],
    ['follows not a UUID', valid({ follows: 'abc' }), 'events.0.follows'],
  ];

  it.each(cases)('refuses %s (BAD_USER_INPUT naming the field)', async (_name, event, field) => {
    expectError(await emit(ws, [event]), 'BAD_USER_INPUT', field);
  });

  it("announces each stored event with its JSON, whether it came alone or in a batch (the database builds a batch's)", async () => {
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    const first = randomUUID();
    const spec = (n: number, extra: Record<string, unknown> = {}) => ({
      id: randomUUID(),
      event: `acme.thing.${n}`,
      occurred: new Date(Date.now() - n * 1000).toISOString(),
      resource: { id: `acme.widget.${n}`, labels: { 'acme.colour': 'blue', 'acme.ünï': '✓' } },
      related: [
        { id: `acme.owner.${n}`, role: 'owner', labels: { 'acme.team': 'a' } },
        { id: `acme.tag.${n}`, role: 'tag' },
      ],
      payload: { n, nested: { list: [1, 'two', null, { three: 3.5 }], empty: {} }, quote: '"\\' },
      ...extra,
    });
    const alone = { ...spec(0), id: first };
    const batch = [spec(1, { follows: first }), spec(2), spec(3, { payload: {} })];
    expect(await emitted(ws, [alone])).toBe(1);
    expect(await emitted(ws, batch)).toBe(3);
    const ids: string[] = [alone, ...batch].map((e) => e.id);
    const events = await db().find(Event, { id: { $in: ids } });
    const announced = new Map(
      (await db().find(OutboxEvent, { type: EVENT_EMITTED }, { orderBy: { seq: 'asc' } }))
        .filter((o) => ids.includes((o.payload.event as { id: string }).id))
        .map((o) => [(o.payload.event as { id: string }).id, o]),
    );
    expect([...announced.keys()]).toEqual(ids);
    for (const e of events)
      expect(announced.get(e.id)!.payload, e.name).toEqual({
        workspaceId: ws,
        event: toEventJson(e),
      });
    // And as the client sent it.
    const third = announced.get(batch[0]!.id)!.payload.event as Record<string, unknown>;
    expect(third).toMatchObject({
      event: 'acme.thing.1',
      occurred: batch[0]!.occurred,
      follows: first,
      payload: batch[0]!.payload,
      resource: batch[0]!.resource,
    });
    expect(announced.get(batch[1]!.id)!.payload.event).toMatchObject({ follows: null });
  });

  it('names the failing event by index, and a failing batch stores nothing', async () => {
    const before = await stored(ws);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const res = await emit(ws, [
      valid({ id: ids[0] }),
      valid({ id: ids[1] }),
      valid({ id: ids[2] }),
      valid({ event: 'flowplane.mine' }),
    ]);
    expectError(res, 'BAD_USER_INPUT', 'events.3.event');
    expect(await stored(ws)).toBe(before);
    expect(await db().count(Event, { id: { $in: ids } })).toBe(0);
  });

  it('accepts up to 500 events a call, a time up to 5 minutes ahead, and 64 KiB payloads', async () => {
    expectError(
      await emit(
        ws,
        Array.from({ length: 501 }, () => valid()),
      ),
      'BAD_USER_INPUT',
      'events',
    );
    expect(
      await emitted(
        ws,
        Array.from({ length: 500 }, (_, i) => valid({ payload: { i } })),
      ),
    ).toBe(500);
    expect(
      await emitted(ws, [
        valid({
          occurred: new Date(Date.now() + 4 * MIN).toISOString(),
          payload: { big: 'x'.repeat(64 * 1024 - 20) },
          resource: {
            id: 'r'.repeat(1024),
            labels: Object.fromEntries(
              Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(1024)]),
            ),
          },
          related: Array.from({ length: 50 }, (_, i) => ({ id: `r.${i}`, role: 'x' })),
        }),
      ]),
    ).toBe(1);
  });
});

describe('requests at the same moment', () => {
  let ws: string;
  let other: string;
  const postgres = testDatabase() === 'postgres';
  beforeAll(async () => {
    ws = (await createWorkspace(alice, alice.accountId)).id;
    other = (await createWorkspace(alice, alice.accountId)).id;
  });
  const one = (id: string, n: number) => ({
    id,
    event: 'acme.order.shipped',
    resource: { id: `acme.order.${n}` },
    related: [{ id: `acme.customer.${n}`, role: 'customer' }],
    payload: { n },
  });
  /** `event.emitted` outbox rows of these event ids. */
  const outboxRows = async (ids: string[]) =>
    (
      await db().find(
        OutboxEvent,
        { type: EVENT_EMITTED },
        { orderBy: { seq: 'desc' }, limit: 500 },
      )
    )
      .map((r) => (r.payload.event as { id: string }).id)
      .filter((id) => ids.includes(id));
  /** The joined writes so far (none before the first). */
  const stats = () => ({
    ...(joinedWriteStats(db()) ?? { statements: 0, callers: 0, retriedGroups: 0 }),
  });

  it('each gets its own answer, every event is stored with its related row and one outbox row, in fewer statements on PostgreSQL', async () => {
    const ids = Array.from({ length: 24 }, () => randomUUID());
    const before = postgres ? stats() : null;
    const answers = await Promise.all(
      ids.map((id, n) => emitted(n % 2 ? other : ws, [one(id, n)])),
    );
    expect(answers).toEqual(ids.map(() => 1));
    const events = await db().find(Event, { id: { $in: ids } });
    expect(events.map((e) => [e.id, e.workspaceId, e.payload]).sort()).toEqual(
      ids.map((id, n) => [id, n % 2 ? other : ws, { n }]).sort(),
    );
    expect(await db().count(EventRelated, { eventId: { $in: ids } })).toBe(24);
    expect((await outboxRows(ids)).sort()).toEqual([...ids].sort());
    if (postgres) {
      const after = stats();
      expect(after.callers - before!.callers).toBe(24);
      // Requests that arrived while a statement ran went together in the next one.
      expect(after.statements - before!.statements).toBeLessThan(24);
    } else console.log('SQLite writes each request in its own transaction: nothing to join');
  });

  it('an id sent by several at once is stored once, for one of them', async () => {
    const id = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) => emitted(ws, [one(id, n)])),
    );
    expect(answers.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await db().count(Event, { id })).toBe(1);
    expect(await db().count(EventRelated, { eventId: id })).toBe(1);
    expect(await outboxRows([id])).toEqual([id]);
  });

  it('inside a transaction, a caller’s events are the transaction’s own (rolled back with it)', async () => {
    const before = stats();
    const id = randomUUID();
    const rolledBack = new Error('rolled back');
    await expect(
      db().transactional(async (tx) => {
        const rows = [eventRows({ ...one(id, 0), workspaceId: ws })];
        expect(await storeNewEventsJoined(tx as never, rows)).toEqual(rows);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(await db().count(Event, { id })).toBe(0);
    expect(stats()).toEqual(before);
  });

  if (!postgres)
    console.log('skipping the failing joined statement: statements are joined on PostgreSQL only');
  it.runIf(postgres)(
    'a statement that fails runs again for each caller alone: only the failing caller gets the error',
    async () => {
      const before = stats();
      const rows = (workspaceId: string) => [eventRows({ ...one(randomUUID(), 0), workspaceId })];
      const good = [rows(ws), rows(other), rows(ws), rows(other)];
      // Two statements run at once: the first two go alone.
      const alone = good.slice(0, 2).map((r) => storeNewEventsJoined(db(), r));
      // Sent while those run: these go together, and the statement fails on the bad id.
      const bad = storeNewEventsJoined(db(), rows('not-a-uuid')).then(
        () => 'stored',
        (err: Error) => err.name,
      );
      const joined = good.slice(2).map((r) => storeNewEventsJoined(db(), r));
      for (const r of [...alone, ...joined]) expect((await r).length).toBe(1);
      expect(await bad).not.toBe('stored');
      const ids = good.map((r) => r[0]!.event.id);
      expect(await db().count(Event, { id: { $in: ids } })).toBe(4);
      expect((await outboxRows(ids)).sort()).toEqual([...ids].sort());
      const after = stats();
      expect(after.retriedGroups - before.retriedGroups).toBe(1);
      // The two alone, the group of three, then each of the group's three alone.
      expect(after.statements - before.statements).toBe(6);
    },
  );
});

describe('queries', () => {
  let ws: string;
  const base = Date.now() - 2 * HOUR;
  beforeAll(async () => {
    ws = (await createWorkspace(alice, alice.accountId)).id;
    // 25 events, one a minute, every fifth pair at the same instant (ties ordered by the store).
    const events = Array.from({ length: 25 }, (_, i) => ({
      event: i % 2 ? 'acme.order.shipped' : 'acme.order.created',
      occurred: new Date(base + Math.floor(i / 2) * MIN).toISOString(),
      resource: { id: `acme.order.${i % 5}`, labels: { tier: i % 3 ? 'gold' : 'silver' } },
      related: i % 4 ? [] : [{ id: 'acme.customer.9', role: 'customer' }],
      payload: { i },
    }));
    expect(await emitted(ws, events)).toBe(25);
  });

  it('pages newest first on (occurred, store order), and oldest first, without gaps or repeats', async () => {
    for (const order of ['OCCURRED_DESC', 'OCCURRED_ASC']) {
      const seen: number[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const p = await page(ws, { namePrefixes: ['acme.'] }, { first: 10, after, order });
        expect(p.totalCount).toBe(25);
        seen.push(...p.edges.map((e) => e.node.payload.i as number));
        pages++;
        if (!p.pageInfo.hasNextPage) break;
        after = p.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      const ascending = Array.from({ length: 25 }, (_, i) => i);
      expect(seen).toEqual(order === 'OCCURRED_ASC' ? ascending : [...ascending].reverse());
    }
    expectError(await alice.gql(EVENTS, { id: ws, first: 201 }), 'BAD_USER_INPUT', 'first');
    expectError(await alice.gql(EVENTS, { id: ws, after: 'nope' }), 'BAD_USER_INPUT', 'after');
  });

  it('filters by name, prefix, resource, labels and related resources', async () => {
    const is = async (filter: Record<string, unknown>) =>
      (await page(ws, filter, { order: 'OCCURRED_ASC' })).edges.map((e) => e.node.payload.i);
    const all = Array.from({ length: 25 }, (_, i) => i);
    expect(await is({ names: ['acme.order.created'] })).toEqual(all.filter((i) => i % 2 === 0));
    expect(await is({ namePrefixes: ['acme.order.sh'] })).toEqual(all.filter((i) => i % 2));
    expect(await is({ namePrefixes: ['ACME.'] })).toEqual([]);
    expect(await is({ resourceIds: ['acme.order.0', 'acme.order.4'] })).toEqual(
      all.filter((i) => i % 5 === 0 || i % 5 === 4),
    );
    expect(await is({ resourceIdPrefixes: ['acme.order.3'] })).toEqual(
      all.filter((i) => i % 5 === 3),
    );
    expect(await is({ labels: [{ name: 'tier', values: ['silver'] }] })).toEqual(
      all.filter((i) => i % 3 === 0),
    );
    expect(await is({ relatedResourceIds: ['acme.customer.9'] })).toEqual(
      all.filter((i) => i % 4 === 0),
    );
    expect(
      await is({
        names: ['acme.order.created'],
        labels: [{ name: 'tier', values: ['gold'] }],
        relatedResourceIds: ['acme.customer.9'],
      }),
    ).toEqual(all.filter((i) => i % 2 === 0 && i % 3 !== 0 && i % 4 === 0));
    expect(
      await is({
        occurredAfter: new Date(base + 3 * MIN).toISOString(),
        occurredBefore: new Date(base + 5 * MIN).toISOString(),
      }),
    ).toEqual([6, 7, 8, 9]);
  });

  it('searches a bounded window: the last 24 hours by default, at most the retention', async () => {
    const old = (await createWorkspace(alice, alice.accountId)).id;
    await emitted(old, [
      {
        event: 'acme.old.one',
        resource: { id: 'r.1' },
        occurred: new Date(Date.now() - 2 * DAY).toISOString(),
      },
      { event: 'acme.new.one', resource: { id: 'r.1' } },
    ]);
    const acme = { namePrefixes: ['acme.'] };
    expect((await page(old, acme)).edges.map((e) => e.node.event)).toEqual(['acme.new.one']);
    const threeDays = { ...acme, occurredAfter: new Date(Date.now() - 3 * DAY).toISOString() };
    expect((await page(old, threeDays)).totalCount).toBe(2);
    const tooLong = { ...acme, occurredAfter: new Date(Date.now() - 31 * DAY).toISOString() };
    expectError(
      await alice.gql(EVENTS, { id: old, filter: tooLong }),
      'BAD_USER_INPUT',
      'filter.occurredAfter',
    );
    await ok(alice, RETENTION, { input: { workspaceId: old, days: 60 } });
    expect((await page(old, tooLong)).totalCount).toBe(2);
    expectError(
      await alice.gql(EVENTS, {
        id: old,
        filter: {
          occurredAfter: new Date().toISOString(),
          occurredBefore: new Date(Date.now() - MIN).toISOString(),
        },
      }),
      'BAD_USER_INPUT',
      'filter.occurredBefore',
    );
    expectError(
      await alice.gql(EVENTS, {
        id: old,
        filter: { names: Array.from({ length: 101 }, () => 'a.b') },
      }),
      'BAD_USER_INPUT',
      'filter.names',
    );
  });

  it('a page costs two queries (page and count), whatever its size', async () => {
    const cost = async (first: number) => {
      stack.counters.operations.reset(true);
      await page(
        ws,
        { namePrefixes: ['acme.'], labels: [{ name: 'tier', values: ['gold'] }] },
        { first },
      );
      return stack.counters.operations.count;
    };
    expect(await cost(2)).toBe(2);
    expect(await cost(20)).toBe(2);
  });
});

describe('eventCounts', () => {
  let ws: string;
  // Four whole hours, aligned to the hour, ending an hour ago.
  const start = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
  beforeAll(async () => {
    ws = (await createWorkspace(alice, alice.accountId)).id;
    const at = (h: number, m: number) => new Date(start + h * HOUR + m * MIN).toISOString();
    await emitted(ws, [
      { event: 'acme.a.x', resource: { id: 'r.1' }, occurred: at(0, 5) },
      { event: 'acme.a.x', resource: { id: 'r.2' }, occurred: at(0, 59) },
      { event: 'acme.b.y', resource: { id: 'r.1' }, occurred: at(2, 0) },
      { event: 'acme.a.x', resource: { id: 'r.1' }, occurred: at(3, 30) },
      { event: 'acme.c.z', resource: { id: 'r.3' }, occurred: at(3, 31) },
      { event: 'other.d', resource: { id: 'r.1' }, occurred: at(1, 0) },
    ]);
  });
  const window = () => ({
    occurredAfter: new Date(start).toISOString(),
    occurredBefore: new Date(start + 4 * HOUR).toISOString(),
    namePrefixes: ['acme.'],
  });

  it('by event name and by resource, most frequent first, with first and last times', async () => {
    const byName = (await ok(alice, COUNTS, { id: ws, filter: window(), by: 'EVENT' })).eventCounts;
    expect(byName).toEqual([
      {
        value: 'acme.a.x',
        count: 3,
        startTime: new Date(start + 5 * MIN).toISOString(),
        endTime: new Date(start + 3 * HOUR + 30 * MIN).toISOString(),
      },
      {
        value: 'acme.b.y',
        count: 1,
        startTime: new Date(start + 2 * HOUR).toISOString(),
        endTime: new Date(start + 2 * HOUR).toISOString(),
      },
      {
        value: 'acme.c.z',
        count: 1,
        startTime: new Date(start + 3 * HOUR + 31 * MIN).toISOString(),
        endTime: new Date(start + 3 * HOUR + 31 * MIN).toISOString(),
      },
    ]);
    const byResource = (await ok(alice, COUNTS, { id: ws, filter: window(), by: 'RESOURCE' }))
      .eventCounts;
    expect(byResource.map((c: any) => [c.value, c.count])).toEqual([
      ['r.1', 3],
      ['r.2', 1],
      ['r.3', 1],
    ]);
  });

  it('by hour: every bucket of the window, empty ones too, in one query', async () => {
    stack.counters.operations.reset(true);
    const res = await ok(alice, COUNTS, { id: ws, filter: window(), by: 'TIME', bucket: 'HOUR' });
    expect(stack.counters.operations.count).toBe(1);
    expect(res.eventCounts).toEqual(
      [2, 0, 1, 2].map((count, h) => ({
        value: new Date(start + h * HOUR).toISOString(),
        count,
        startTime: new Date(start + h * HOUR).toISOString(),
        endTime: new Date(start + (h + 1) * HOUR).toISOString(),
      })),
    );
    const byDay = await ok(alice, COUNTS, { id: ws, filter: window(), by: 'TIME', bucket: 'DAY' });
    expect(byDay.eventCounts.reduce((n: number, c: any) => n + c.count, 0)).toBe(5);
    for (const c of byDay.eventCounts) expect(c.startTime.endsWith('T00:00:00.000Z')).toBe(true);
  });

  it('is bounded: at most 1000 buckets, and TIME needs a bucket', async () => {
    const day = { occurredAfter: new Date(Date.now() - 23 * HOUR).toISOString() };
    expectError(
      await alice.gql(COUNTS, { id: ws, filter: day, by: 'TIME', bucket: 'MINUTE' }),
      'BAD_USER_INPUT',
      'bucket',
    );
    expectError(
      await alice.gql(COUNTS, { id: ws, filter: day, by: 'TIME' }),
      'BAD_USER_INPUT',
      'bucket',
    );
    const fifteenHours = { occurredAfter: new Date(Date.now() - 15 * HOUR).toISOString() };
    expect(
      (await ok(alice, COUNTS, { id: ws, filter: fifteenHours, by: 'TIME', bucket: 'MINUTE' }))
        .eventCounts.length,
    ).toBeLessThanOrEqual(901);
  });
});

describe('retention', () => {
  it('purges each workspace’s events older than its retention, in batches, once', async () => {
    const a = (await createWorkspace(alice, alice.accountId)).id;
    const b = (await createWorkspace(alice, alice.accountId)).id;
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * DAY).toISOString();
    // 1,200 events of workspace a past the default 30 days: two batches.
    for (let i = 0; i < 3; i++)
      await emitted(
        a,
        Array.from({ length: 400 }, () => ({
          event: 'acme.old',
          resource: { id: 'r.1' },
          related: [{ id: 'r.2', role: 'other' }],
          occurred: ago(40),
        })),
      );
    await emitted(a, [
      { event: 'acme.recent', resource: { id: 'r.1' }, occurred: ago(20) },
      { event: 'acme.now', resource: { id: 'r.1' } },
    ]);
    await emitted(b, [
      {
        event: 'acme.b.old',
        resource: { id: 'r.1' },
        related: [{ id: 'r.2', role: 'x' }],
        occurred: ago(10),
      },
      { event: 'acme.b.recent', resource: { id: 'r.1' }, occurred: ago(3) },
    ]);
    expectError(
      await alice.gql(RETENTION, { input: { workspaceId: b, days: 0 } }),
      'BAD_USER_INPUT',
      'days',
    );
    expectError(
      await alice.gql(RETENTION, { input: { workspaceId: b, days: 366 } }),
      'BAD_USER_INPUT',
      'days',
    );
    expect(
      (await ok(alice, `query($id: ID!) { workspace(id: $id) { eventRetentionDays } }`, { id: b }))
        .workspace.eventRetentionDays,
    ).toBe(30);
    expect(
      (await ok(alice, RETENTION, { input: { workspaceId: b, days: 7 } })).setEventRetention,
    ).toEqual({
      id: b,
      eventRetentionDays: 7,
    });
    const related = async (workspaceId: string) =>
      db().count(EventRelated, { workspaceId, resourceId: 'r.2' });
    expect(await related(a)).toBe(1200);

    const purge = service('event-retention');
    expect(await purge.runOnce(new Date(now))).toBeGreaterThanOrEqual(1201);
    const names = async (workspaceId: string) =>
      (
        await db().find(
          Event,
          { workspaceId, name: { $like: 'acme.%' } },
          { orderBy: { seq: 'asc' } },
        )
      ).map((e) => e.name);
    expect(await names(a)).toEqual(['acme.recent', 'acme.now']);
    expect(await names(b)).toEqual(['acme.b.recent']);
    expect(await related(a)).toBe(0);
    expect(await related(b)).toBe(0);
    // Nothing left to purge for these; a later pass takes what has aged since.
    await purge.runOnce(new Date(now));
    expect(await names(a)).toEqual(['acme.recent', 'acme.now']);
    await purge.runOnce(new Date(now + 11 * DAY));
    expect(await names(a)).toEqual(['acme.now']);
    expect(await names(b)).toEqual([]);
  });
});

describe('the store’s SQL and the in-memory filter agree', () => {
  it('on a set of events and filters chosen to tell them apart', async () => {
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    const t0 = Date.now() - HOUR;
    const at = (m: number) => new Date(t0 + m * MIN).toISOString();
    const specs: Record<string, unknown>[] = [
      {
        event: 'acme.order.created',
        resource: { id: 'acme.order.1', labels: { env: 'prod', team: 'a' } },
        occurred: at(0),
      },
      {
        event: 'acme.order.Created',
        resource: { id: 'ACME.order.2', labels: { env: 'Prod' } },
        occurred: at(1),
      },
      {
        event: 'acme.order_x.created',
        resource: { id: 'acme.order%1', labels: { env: 'dev' } },
        occurred: at(2),
      },
      {
        event: 'acme.orderXcreated.y',
        resource: { id: 'acme.orderX1', labels: { 'a.b': 'c' } },
        occurred: at(3),
      },
      {
        event: 'acme.ünï.cødé',
        resource: { id: 'acme.ünï.1', labels: { ключ: 'значение', 'q"uote': "it's" } },
        related: [
          { id: 'acme.customer.1', role: 'customer' },
          { id: 'acme.tag.x', role: 'tag' },
        ],
        occurred: at(4),
      },
      {
        event: 'acme.shipment.sent',
        resource: { id: 'acme.shipment.1', labels: { env: 'prod' } },
        related: [
          { id: 'acme.customer.1', role: 'payer' },
          { id: 'acme.customer.1', role: 'receiver' },
        ],
        occurred: at(5),
      },
      {
        event: 'acme.shipment.sent',
        resource: { id: 'acme.shipment.2', labels: { env: '' } },
        occurred: at(6),
      },
      {
        event: 'acme.a.b',
        resource: { id: 'acme.a.1', labels: { constructor: 'x' } },
        occurred: at(7),
      },
      {
        event: 'acme.a.b',
        resource: { id: 'acme.a.2' },
        related: [{ id: 'acme.other', role: 'r' }],
        occurred: at(8),
      },
      {
        event: 'acme.a.b',
        resource: { id: 'acme.a.3', labels: { env: 'prod ' } },
        occurred: at(9),
      },
    ];
    expect(await emitted(ws, specs)).toBe(specs.length);
    const window = { occurredAfter: new Date(t0 - MIN), occurredBefore: new Date(t0 + 30 * MIN) };
    const all: LiveEvent[] = (
      await page(ws, {
        occurredAfter: window.occurredAfter.toISOString(),
        occurredBefore: window.occurredBefore.toISOString(),
      })
    ).edges.map((e) => ({
      id: e.node.id,
      workspaceId: ws,
      occurred: e.node.occurred,
      event: e.node.event,
      resource: e.node.resource,
      related: e.node.related,
      payload: e.node.payload,
      follows: e.node.follows,
    }));
    expect(all).toHaveLength(specs.length);
    const filters: EventFilterSpec[] = [
      {},
      { names: ['acme.order.created'] },
      { names: ['ACME.ORDER.CREATED'] },
      { namePrefixes: ['acme.order.'] },
      { namePrefixes: ['acme.order_'] },
      { namePrefixes: ['acme.order%'] },
      { namePrefixes: ['acme.order.C'] },
      { namePrefixes: ['acme.ün'] },
      { namePrefixes: ['acme.a', 'acme.shipment'] },
      { namePrefixes: [''] },
      { resourceIds: ['acme.order.1', 'acme.order.2'] },
      { resourceIdPrefixes: ['ACME.'] },
      { resourceIdPrefixes: ['acme.order%'] },
      { resourceIdPrefixes: ['acme.order_'] },
      { labels: [{ name: 'env', values: ['prod'] }] },
      { labels: [{ name: 'env', values: ['prod', 'Prod'] }] },
      { labels: [{ name: 'env', values: [''] }] },
      { labels: [{ name: 'env', values: [] }] },
      { labels: [{ name: 'a.b', values: ['c'] }] },
      { labels: [{ name: 'ключ', values: ['значение'] }] },
      { labels: [{ name: 'q"uote', values: ["it's"] }] },
      { labels: [{ name: 'constructor', values: ['x'] }] },
      { labels: [{ name: 'hasOwnProperty', values: ['x'] }] },
      { labels: [{ name: 'flowplane.resource.id', values: ['acme.a.2', 'acme.a.3'] }] },
      {
        labels: [
          { name: 'env', values: ['prod'] },
          { name: 'team', values: ['a'] },
        ],
      },
      { relatedResourceIds: ['acme.customer.1'] },
      { relatedResourceIds: ['acme.customer.1', 'acme.other'] },
      { relatedResourceIds: ['acme.customer'] },
      {
        namePrefixes: ['acme.shipment'],
        relatedResourceIds: ['acme.customer.1'],
        labels: [{ name: 'env', values: ['prod'] }],
      },
      { occurredAfter: new Date(t0 + 2 * MIN), occurredBefore: new Date(t0 + 5 * MIN) },
      { occurredAfter: new Date(t0 + 2 * MIN + 1) },
    ];
    for (const f of filters) {
      const spec = {
        ...f,
        occurredAfter: f.occurredAfter ?? window.occurredAfter,
        occurredBefore: f.occurredBefore ?? window.occurredBefore,
      };
      const expected = all
        .filter((e) => eventMatches(e, spec))
        .map((e) => e.id)
        .sort();
      const gql = {
        ...spec,
        occurredAfter: new Date(spec.occurredAfter).toISOString(),
        occurredBefore: new Date(spec.occurredBefore).toISOString(),
      };
      const got = (await page(ws, gql)).edges.map((e) => e.node.id).sort();
      expect(got, JSON.stringify(f)).toEqual(expected);
    }
  });
});
