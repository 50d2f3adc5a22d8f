/**
 * lib/plain-sql on PostgreSQL: a plain statement runs as a named prepared statement, parsed and
 * planned once per connection, whatever its values (SQLite has its own statement cache, lib/orm
 * `cacheStatements`; this file is skipped there by design).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundQuery } from '../../lib/plain-sql.js';
import type { Orm } from '../../lib/orm.js';
import { testDatabase } from '../harness/services.js';
import { startStack, uid, type Stack } from '../harness/stack.js';

let stack: Stack;
let orm: Orm;
beforeAll(async () => {
  stack = await startStack();
  orm = stack.running.subgraphs.operations!.orm;
});
afterAll(async () => {
  await stack?.stop();
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
