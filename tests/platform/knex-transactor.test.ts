import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactorPatch } from '../../lib/knex-transactor.js';

/**
 * lib/knex-transactor builds knex's transactors on shared prototypes: everything a transaction
 * offers must still work as knex's own (commit, rollback, savepoints, query building, raw,
 * schema, fn, events), on a real database (SQLite in memory, through better-sqlite3 as MikroORM
 * uses it). The whole suite runs its transactions through it on both databases too.
 */
describe('knex transactors on shared prototypes', () => {
  let db: Knex;
  beforeAll(async () => {
    db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    await db.schema.createTable('item', (t) => {
      t.integer('id').primary();
      t.string('name');
    });
  });
  afterAll(() => db?.destroy());

  it('is applied where knex loads after it (the test setup imports it first)', () => {
    expect(transactorPatch).toEqual({ applied: true });
  });

  it('commits, and a transactor owns no copy of the query builder methods', async () => {
    let own: string[] = [];
    await db.transaction(async (trx) => {
      expect(trx.isTransaction).toBe(true);
      own = Object.getOwnPropertyNames(trx);
      await trx('item').insert({ id: 1, name: 'one' });
      await trx.insert({ id: 2, name: 'two' }).into('item');
      expect(await trx.select('name').from('item').orderBy('id')).toEqual([
        { name: 'one' },
        { name: 'two' },
      ]);
      expect(await trx.raw('select count(*) as n from item')).toEqual([{ n: 2 }]);
      expect(trx.fn.now()).toBeDefined();
      expect(await trx.schema.hasTable('item')).toBe(true);
    });
    expect(own).not.toContain('select');
    expect(own).not.toContain('where');
    expect(await db('item').count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('rolls back on a throw, and a savepoint rolls back alone', async () => {
    await expect(
      db.transaction(async (trx) => {
        await trx('item').insert({ id: 3, name: 'three' });
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    await db.transaction(async (trx) => {
      await trx('item').insert({ id: 4, name: 'four' });
      await trx
        .transaction(async (inner) => {
          await inner('item').insert({ id: 5, name: 'five' });
          throw new Error('inner');
        })
        .catch(() => undefined);
      await trx.savepoint(async (sp) => {
        await sp('item').insert({ id: 6, name: 'six' });
      });
    });
    const ids = (await db('item').select('id').orderBy('id')).map((r) => r.id);
    expect(ids).toEqual([1, 2, 4, 6]);
  });

  it('commits and rolls back by hand, and says when it is completed', async () => {
    const trx = await db.transaction();
    await trx('item').insert({ id: 7, name: 'seven' });
    expect(trx.isCompleted()).toBe(false);
    await trx.commit();
    expect(trx.isCompleted()).toBe(true);
    const other = await db.transaction();
    await other('item').insert({ id: 8, name: 'eight' });
    await other.rollback();
    const ids = (await db('item').select('id').orderBy('id')).map((r) => r.id);
    expect(ids).toEqual([1, 2, 4, 6, 7]);
    // A transactor refuses user params, as knex's own does.
    expect(() => trx.withUserParams({ a: 1 })).toThrow(/Cannot set user params/);
  });

  it('passes its queries on to its own listeners and to the instance that opened it', async () => {
    const seen: string[] = [];
    const outer = (q: { sql: string }) => seen.push(`db:${q.sql}`);
    db.on('query', outer);
    try {
      await db.transaction(async (trx) => {
        trx.on('query', (q: { sql: string }) => seen.push(`trx:${q.sql}`));
        await trx('item').where({ id: 1 }).first();
      });
    } finally {
      db.removeListener('query', outer);
    }
    const select = 'select * from `item` where `id` = ? limit ?';
    expect(seen).toContain(`trx:${select}`);
    expect(seen).toContain(`db:${select}`);
  });
});
