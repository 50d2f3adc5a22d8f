/**
 * What each request's database work costs before its statements run.
 * - lib/orm `quietForks`: a request's fork of the entity manager no longer re-derives MikroORM's
 *   whole configuration (twice per fork), and nothing else changes: the global entity manager
 *   still refuses context-specific work, other settings still go through MikroORM's own `set`.
 * - lib/plain-sql on PostgreSQL: a plain statement runs as a named prepared statement, parsed and
 *   planned once per connection, whatever its values; batches of events of any size run one
 *   text. (SQLite has its own statement cache, lib/orm `cacheStatements`: that part is skipped
 *   there by design.)
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { boundQuery } from '../../lib/plain-sql.js';
import type { Orm } from '../../lib/orm.js';
import { testDatabase } from '../harness/services.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, uid, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { Flow } from '../../subgraphs/operations/src/flows/flow.entity.js';

let stack: Stack;
let orm: Orm;
beforeAll(async () => {
  stack = await startStack();
  orm = stack.running.subgraphs.operations!.orm;
});
afterAll(async () => {
  await stack?.stop();
});

describe("forks of a subgraph's entity manager", () => {
  it('fork without re-deriving the configuration, and leave the global context refused', async () => {
    const sync = vi.spyOn(orm.config as unknown as { sync(): void }, 'sync');
    try {
      const fork = orm.em.fork();
      expect(await fork.count(Flow, {})).toBeGreaterThanOrEqual(0);
      expect(sync).not.toHaveBeenCalled();
      expect(orm.config.get('allowGlobalContext')).toBe(false);
      await expect(orm.em.count(Flow, {})).rejects.toThrow(/global EntityManager/);
      // Any other setting is still MikroORM's own `set`.
      orm.config.set('debug', orm.config.get('debug'));
      expect(sync).toHaveBeenCalledTimes(1);
    } finally {
      sync.mockRestore();
    }
  });
});

describe.skipIf(testDatabase() !== 'postgres')('plain statements on PostgreSQL', () => {
  it('are prepared once per connection and answer each call with its own values', async () => {
    const marker = uid(4);
    const sql = `select ? || '-${marker}' as v`;
    await orm.em.fork().transactional(async (em) => {
      // One transaction: one connection for every statement below.
      const answers = [];
      for (const v of ['a', 'b', 'c']) answers.push(await boundQuery(em, sql, [v]));
      expect(answers).toEqual([
        [{ v: `a-${marker}` }],
        [{ v: `b-${marker}` }],
        [{ v: `c-${marker}` }],
      ]);
      const prepared = await boundQuery<{ name: string }[]>(
        em,
        'select name from pg_prepared_statements where statement = ?',
        [`select $1 || '-${marker}' as v`],
      );
      expect(prepared).toHaveLength(1);
      expect(prepared[0]!.name).toMatch(/^fp_\d+$/);
    });
  });

  it('stores a batch of events of any size with one statement text (one JSON document per table)', async () => {
    const marker = `acme.${uid(4)}`;
    const owner = await stack.signUp();
    const ws = await createWorkspace(owner, owner.accountId);
    const emit = (n: number, related: boolean) =>
      ok(owner, `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
        input: {
          workspaceId: ws.id,
          events: Array.from({ length: n }, (_, i) => ({
            event: `${marker}.e${i}`,
            resource: { id: `${marker}.r${i}` },
            ...(related ? { related: [{ id: `${marker}.q${i}`, role: 'thing' }] } : {}),
          })),
        },
      });
    stack.counters.operations.reset(true);
    // Batches of several events (one event is a VALUES row: its text never varies either).
    for (const [n, related] of [
      [2, false],
      [3, true],
      [40, true],
    ] as const)
      await emit(n, related);
    const texts = new Set(
      stack.counters.operations.statements
        .filter((s) => s.includes('fp_new as (insert into event'))
        .map((s) => s.replace(/ \[took [^\]]*\].*$/s, '')),
    );
    expect(texts.size).toBe(1);
    const stored = await boundQuery<{ n: number }[]>(
      orm.em.fork(),
      'select count(*)::int as n from event where workspace_id = ? and name like ?',
      [ws.id, `${marker}.%`],
    );
    expect(stored).toEqual([{ n: 45 }]);
    // The rows that hang off the new events went in with them, keyed to the right events.
    const related = await boundQuery<{ name: string; resource_id: string }[]>(
      orm.em.fork(),
      'select e.name, r.resource_id from event_related r join event e ' +
        'on e.workspace_id = r.workspace_id and e.id = r.event_id ' +
        'where r.workspace_id = ? and e.name like ? order by e.seq',
      [ws.id, `${marker}.%`],
    );
    expect(related).toHaveLength(43);
    // The event's own suffix (the marker's random part may hold ".e" too).
    for (const r of related) expect(r.resource_id).toBe(r.name.replace(/\.e(\d+)$/, '.q$1'));
    const outbox = await boundQuery<{ n: number }[]>(
      orm.em.fork(),
      "select count(*)::int as n from outbox where type = 'event.emitted' and payload->'event'->>'event' like ?",
      [`${marker}.%`],
    );
    expect(outbox).toEqual([{ n: 45 }]);
  });

  it('a long text runs unnamed', async () => {
    const marker = uid(4);
    const pad = ' '.repeat(2100);
    await orm.em.fork().transactional(async (em) => {
      expect(await boundQuery(em, `select ?::int as v${pad}-- ${marker}`, [1])).toEqual([{ v: 1 }]);
      const prepared = await boundQuery<unknown[]>(
        em,
        'select 1 from pg_prepared_statements where statement like ?',
        [`%-- ${marker}`],
      );
      expect(prepared).toEqual([]);
    });
  });
});
