/**
 * Issue 16, goal 5: pages read in plain SQL (lib/plain-sql `plainCondition`, `plainPage`) find
 * the same rows in the same order as MikroORM does for the same filter, on both databases, and
 * every filter they do not write is left to MikroORM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterQuery } from '@mikro-orm/core';
import { boundQuery, plainCondition, plainPage, readDetachedWhere } from '../../lib/plain-sql.js';
import { Event } from '../../subgraphs/operations/src/event-store/event.entity.js';
import { paginate } from '../../lib/pagination.js';
import { FlowRun } from '../../subgraphs/operations/src/flow-runs/flow-run.entity.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createFlow, createRun, setState } from '../operations/fixtures.js';

let stack: Stack;
let owner: Actor;
let ws1: string;
let ws2: string;
let middle: FlowRun;

const em = () => stack.running.subgraphs.operations!.orm.em.fork();

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  ws1 = (await createWorkspace(owner, owner.accountId)).id;
  ws2 = (await createWorkspace(owner, owner.accountId)).id;
  for (const ws of [ws1, ws2]) {
    const flow = await createFlow(owner, ws);
    for (let i = 0; i < 5; i++) {
      const run = await createRun(owner, { flowId: flow.id, tags: [`t${i}`] });
      if (i % 2) await setState(owner, run.id, { type: 'PENDING' });
      if (i === 3) await setState(owner, run.id, { type: 'RUNNING' });
    }
  }
  const all = await em().find(
    FlowRun,
    { workspaceId: ws1 },
    { orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  middle = all[2]!;
});
afterAll(async () => {
  await stack?.stop();
});

/** Ids of the runs matching `where`, as plain SQL finds them and as MikroORM does. */
async function both(where: object) {
  const e = em();
  const page = plainPage(e, FlowRun, where, 1000, true);
  expect(page, JSON.stringify(where)).not.toBeNull();
  const rows = await boundQuery<Record<string, unknown>[]>(e, page!.sql, page!.params);
  const orm = await e.find(FlowRun, where as FilterQuery<FlowRun>, {
    orderBy: { createdAt: 'asc', id: 'asc' },
  });
  return {
    plain: rows.map((r) => r.id),
    orm: orm.map((r) => r.id),
    total: rows.length ? Number(rows[0]!.fp_total) : 0,
  };
}

describe('pages in plain SQL', () => {
  const filters: [string, () => object][] = [
    ['everything', () => ({ workspaceId: { $in: [ws1, ws2] } })],
    ['an empty condition (an ability allowing all)', () => ({ $and: [{}, { workspaceId: ws1 }] })],
    [
      'equality and $in',
      () => ({ $and: [{ workspaceId: ws1 }, { stateType: { $in: ['PENDING', 'RUNNING'] } }] }),
    ],
    ['$nin', () => ({ workspaceId: ws2, stateType: { $nin: ['SCHEDULED'] } })],
    [
      '$or with null',
      () => ({ workspaceId: ws1, $or: [{ stateName: 'Running' }, { deploymentId: null }] }),
    ],
    ['$not', () => ({ workspaceId: { $in: [ws1, ws2] }, $not: { stateType: 'SCHEDULED' } })],
    [
      '$ne null and $ne',
      () => ({ workspaceId: ws1, stateId: { $ne: null }, stateType: { $ne: 'PENDING' } }),
    ],
    ['a boolean', () => ({ workspaceId: ws1, autoScheduled: false })],
    ['numbers', () => ({ workspaceId: ws2, runCount: { $gte: 0, $lt: 1 } })],
    [
      'a keyset cursor on dates',
      () => ({
        $and: [
          { workspaceId: ws1 },
          {
            $or: [
              { createdAt: { $gt: middle.createdAt } },
              { createdAt: middle.createdAt, id: { $gt: middle.id } },
            ],
          },
        ],
      }),
    ],
    ['nothing', () => ({ workspaceId: ws1, stateType: 'CRASHED' })],
  ];
  for (const [name, where] of filters)
    it(`finds what MikroORM finds: ${name}`, async () => {
      const { plain, orm, total } = await both(where());
      expect(plain).toEqual(orm);
      expect(total).toBe(orm.length);
    });

  it('found something for most filters (the comparisons are not vacuous)', async () => {
    expect((await both(filters[0]![1]())).plain).toHaveLength(10);
    expect((await both(filters[2]![1]())).plain).toHaveLength(2);
    expect((await both(filters[9]![1]())).plain).toHaveLength(2);
    expect((await both(filters[5]![1]())).plain).toHaveLength(4);
  });

  it('leaves to MikroORM what it does not write', () => {
    const e = em();
    const refused: unknown[] = [
      { workspaceId: ws1, parameters: { a: 1 } },
      { workspaceId: { $in: [] } },
      { $or: [] },
      { name: { $like: 'x%' } },
      { workspaceId: undefined },
      { workspaceId: { $in: [ws1, null] } },
      { noSuchProperty: 1 },
      { stateType: { $gt: null } },
      { id: { $in: e.getKnex().select('id').from('flow_run') } },
    ];
    for (const where of refused)
      expect(plainCondition(e, FlowRun, where), String(Object.keys(where as object))).toBeNull();
  });

  it('a page through paginate keeps its order, size, count and cursor in plain SQL', async () => {
    const e = em();
    const first = await paginate(e, FlowRun, { workspaceId: ws1 }, { first: 2 });
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = await paginate(
      e,
      FlowRun,
      { workspaceId: ws1 },
      { first: 10, after: first.pageInfo.endCursor },
    );
    const all = await e.find(
      FlowRun,
      { workspaceId: ws1 },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    expect([...first.edges, ...next.edges].map((x) => x.node.id)).toEqual(all.map((r) => r.id));
    expect(next.pageInfo.hasNextPage).toBe(false);
    // Detached rows carry the same values as MikroORM's entities (JSON, dates, booleans).
    const byId = new Map(all.map((r) => [r.id, r]));
    for (const { node } of [...first.edges, ...next.edges]) {
      const managed = byId.get(node.id)!;
      for (const prop of [
        'parameters',
        'labels',
        'tags',
        'createdAt',
        'stateTimestamp',
        'autoScheduled',
        'runCount',
        'stateDetails',
      ] as const)
        expect(node[prop], prop).toEqual(managed[prop]);
      expect(node.createdAt).toBeInstanceOf(Date);
    }
  });

  it('reads rows by property values as MikroORM finds them (readDetachedWhere), key included', async () => {
    const e = em();
    const stored = await e.find(
      Event,
      { workspaceId: { $in: [ws1, ws2] } },
      { orderBy: { seq: 'asc' } },
    );
    expect(stored.length).toBeGreaterThan(4);
    const one = stored[3]!;
    const [read] = await readDetachedWhere(
      e,
      Event,
      { id: one.id, workspaceId: [ws2, ws1] },
      {
        orderBy: 'seq',
        limit: 1,
      },
    );
    expect(read).toEqual({ ...one });
    expect(read!.occurred).toBeInstanceOf(Date);
    // Lists, order by the autoincrement key, limits; another workspace's id finds nothing.
    const firstFour = await readDetachedWhere(
      e,
      Event,
      { workspaceId: [ws1, ws2] },
      {
        orderBy: 'seq',
        limit: 4,
      },
    );
    expect(firstFour.map((x) => x.seq)).toEqual(stored.slice(0, 4).map((x) => x.seq));
    const other = one.workspaceId === ws1 ? ws2 : ws1;
    expect(
      await readDetachedWhere(
        e,
        Event,
        { id: one.id, workspaceId: other },
        { orderBy: 'seq', limit: 1 },
      ),
    ).toEqual([]);
    expect(
      await readDetachedWhere(
        e,
        Event,
        { id: one.id, workspaceId: [] },
        { orderBy: 'seq', limit: 1 },
      ),
    ).toEqual([]);
    await expect(
      readDetachedWhere(e, Event, { nope: 1 }, { orderBy: 'seq', limit: 1 }),
    ).rejects.toThrow(/no column for nope/);
  });
});
