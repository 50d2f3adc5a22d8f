import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOrm, QueryCounter, type Orm } from '../../lib/orm.js';
import { OUTBOX_ENTITIES } from '../../lib/outbox.js';
import { OutboxEvent, outboxRow } from '../../lib/outbox.js';
import {
  boundQuery,
  entityOf,
  gatherForCommit,
  plainFallbacks,
  plainFirst,
  plainTransaction,
  PlainTransactionRefused,
  runLastWrites,
} from '../../lib/plain-sql.js';
import { deferredWrites } from '../../lib/pg-pipeline.js';
import { DATABASE_URL, requireService } from '../harness/services.js';
import { everyStatement } from '../harness/stack.js';

type Em = Parameters<typeof boundQuery>[0];

/** knex's PostgreSQL client as far as these tests use its pool. */
interface PoolClient {
  pool: { numFree(): number };
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): Promise<void>;
}

const schema = `fp_plaintx_${randomBytes(4).toString('hex')}`;

/**
 * lib/plain-sql `plainTransaction` (the outbox relay's pass on PostgreSQL): a transaction on one
 * pooled connection without MikroORM's machinery. It must keep a transaction's meaning (atomic,
 * isolated, locks held to the end, rolled back on a throw), give its connection back to the pool
 * whatever happens, and refuse ORM work instead of running it outside the transaction.
 */
describe.skipIf(!requireService('DATABASE_URL'))('a plain transaction (PostgreSQL)', () => {
  let orm: Orm;
  const counter = new QueryCounter();
  const em = () => orm.em.fork({ loggerContext: { label: 'plain' } }) as unknown as Em;
  const names = async () =>
    (await boundQuery<{ name: string }[]>(em(), 'select name from item order by id', [])).map(
      (r) => r.name,
    );

  beforeAll(async () => {
    orm = await createOrm({
      name: 'plaintx',
      entities: [...OUTBOX_ENTITIES],
      migrations: { sqlite: [], postgresql: [] },
      migrate: false,
      database: { kind: 'postgresql', url: DATABASE_URL!, schema },
      queryCounter: counter,
    });
    // The outbox's tables, from the entities.
    await orm.getSchemaGenerator().createSchema();
    await boundQuery(em(), 'create table item (id int primary key, name text not null)', [], 'run');
  });
  afterAll(async () => {
    await orm?.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
    await orm?.close(true);
  });

  it('commits its statements together, logged with the caller’s label', async () => {
    const { lines, stop } = everyStatement(counter);
    const result = await plainTransaction(em(), async (tx) => {
      await boundQuery(tx, 'insert into item values (?, ?)', [1, 'one'], 'run');
      await boundQuery(tx, 'insert into item values (?, ?)', [2, 'two'], 'run');
      return 'done';
    });
    stop();
    expect(result).toBe('done');
    expect(await names()).toEqual(['one', 'two']);
    expect(lines.map((l) => l.replace(/ \[took.*$/, ''))).toEqual([
      '[query] (plain) begin',
      '[query] (plain) insert into item values (?, ?)',
      '[query] (plain) insert into item values (?, ?)',
      '[query] (plain) commit',
    ]);
  });

  it('rolls back everything when its body throws, and hands the error on unchanged', async () => {
    const failure = new Error('the body failed');
    await expect(
      plainTransaction(em(), async (tx) => {
        await boundQuery(tx, 'insert into item values (?, ?)', [3, 'three'], 'run');
        throw failure;
      }),
    ).rejects.toBe(failure);
    // A failing statement: its driver error, converted as boundQuery converts them.
    await expect(
      plainTransaction(em(), async (tx) => {
        await boundQuery(tx, 'insert into item values (?, ?)', [4, 'four'], 'run');
        await boundQuery(tx, 'insert into item values (?, ?)', [1, 'again'], 'run');
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await names()).toEqual(['one', 'two']);
  });

  it('sends its last writes with the COMMIT once the connection has prepared them; their error is the COMMIT’s, rolled back', async () => {
    const insert = (id: number, name: string) => ({
      sql: 'insert into item values (?, ?)',
      params: [id, name],
    });
    /** Runs `id` as a transaction's last write until one goes with its COMMIT (each pooled
     * connection prepares the statement on its first run); the statements of that one. */
    const deferredRun = async (id: (attempt: number) => number) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const before = deferredWrites.combined;
        const { lines, stop } = everyStatement(counter);
        const outcome = await plainTransaction(em(), async (tx) => {
          await boundQuery(tx, 'select 1', []);
          await runLastWrites(tx, [insert(id(attempt), `last ${attempt}`)]);
        }).then(
          () => null,
          (err: Error) => err,
        );
        stop();
        if (deferredWrites.combined > before) {
          return { outcome, lines: lines.map((l) => l.replace(/ \[took.*$/, '')) };
        }
        if (outcome) expect(outcome.message).toMatch(/duplicate key/);
      }
      throw new Error('no write went with its COMMIT in 20 transactions');
    };
    const ok = await deferredRun((n) => 500 + n);
    expect(ok.outcome).toBeNull();
    expect(ok.lines).toEqual([
      '[query] (plain) begin',
      '[query] (plain) select 1',
      '[query] (plain) insert into item values (?, ?)',
      '[query] (plain) commit',
    ]);
    const stored = await names();
    expect(stored.filter((n) => n.startsWith('last ')).length).toBeGreaterThan(0);
    // A duplicate id: the COMMIT fails with the write's error, and the transaction is rolled back
    // before its connection goes back to the pool.
    const failed = await deferredRun(() => 1);
    expect(failed.outcome?.message).toMatch(/duplicate key/);
    expect(failed.lines).toEqual([
      '[query] (plain) begin',
      '[query] (plain) select 1',
      '[query] (plain) insert into item values (?, ?)',
      '[query] (plain) commit',
      '[query] (plain) rollback',
    ]);
    expect(await names()).toEqual(stored);
    // Every idle pooled connection is outside any transaction (none was given back aborted or
    // open): each is taken at once and asked whether its statement is its transaction's first.
    const knex = (
      orm.em.getConnection() as unknown as { getKnex(): { client: PoolClient } }
    ).getKnex().client;
    const idle = await Promise.all(
      Array.from({ length: knex.pool.numFree() }, () => knex.acquireConnection()),
    );
    try {
      expect(idle.length).toBeGreaterThan(0);
      for (const c of idle) {
        const { rows } = await c.query('select now() = statement_timestamp() as outside');
        expect(rows).toEqual([{ outside: true }]);
      }
    } finally {
      await Promise.all(idle.map((c) => knex.releaseConnection(c)));
    }
    await boundQuery(em(), 'delete from item where id >= 500', [], 'run');
  });

  it('gathers items for one write per key before its COMMIT, in order; a failing one rolls back; none outside it', async () => {
    const inserts = { key: 'inserts' };
    const notes = { key: 'notes' };
    const flushes: string[] = [];
    const insertAll = async (tx: Em, items: [number, string][]) => {
      flushes.push(`items ${items.map(([id]) => id).join(',')}`);
      await runLastWrites(tx, [
        {
          sql: `insert into item values ${items.map(() => '(?, ?)').join(', ')}`,
          params: items.flat(),
        },
      ]);
    };
    const { lines, stop } = everyStatement(counter);
    await plainTransaction(em(), async (tx) => {
      expect(gatherForCommit(tx, inserts, [700, 'g0'] as [number, string], insertAll)).toBe(true);
      expect(
        gatherForCommit(tx, notes, 'a note', async (_tx, items: string[]) => {
          flushes.push(`notes ${items.join(',')}`);
        }),
      ).toBe(true);
      // Another flush given later under the same key is not used: the first one is.
      gatherForCommit(tx, inserts, [701, 'g1'] as [number, string], async () => {
        flushes.push('never');
      });
      await boundQuery(tx, 'select 1', []);
      // Not written yet: the body reads nothing it gathered.
      expect(await boundQuery(tx, 'select name from item where id >= 700', [])).toEqual([]);
    });
    stop();
    expect(flushes).toEqual(['items 700,701', 'notes a note']);
    expect(lines.map((l) => l.replace(/ \[took.*$/, ''))).toEqual([
      '[query] (plain) begin',
      '[query] (plain) select 1',
      '[query] (plain) select name from item where id >= 700',
      '[query] (plain) insert into item values (?, ?), (?, ?)',
      '[query] (plain) commit',
    ]);
    expect((await names()).filter((n) => n.startsWith('g'))).toEqual(['g0', 'g1']);
    // A write at the end that fails (a duplicate id) fails the transaction: nothing of it stays.
    await expect(
      plainTransaction(em(), async (tx) => {
        await boundQuery(tx, 'insert into item values (?, ?)', [710, 'kept?'], 'run');
        gatherForCommit(tx, inserts, [700, 'again'] as [number, string], insertAll);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await boundQuery(em(), 'select id from item where id = 710', [])).toEqual([]);
    // Outside a plain transaction the caller writes itself.
    expect(gatherForCommit(em(), inserts, [720, 'no'] as [number, string], insertAll)).toBe(false);
    await orm.em.fork().transactional(async (tx) => {
      expect(gatherForCommit(tx as unknown as Em, inserts, [721, 'no'], insertAll)).toBe(false);
    });
    await boundQuery(em(), 'delete from item where id >= 700', [], 'run');
  });

  it('is isolated until it commits and holds its locks to the end', async () => {
    const other = new pg.Client({ connectionString: DATABASE_URL });
    await other.connect();
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const tx = plainTransaction(em(), async (t) => {
        await boundQuery(t, 'update item set name = ? where id = ?', ['ONE', 1], 'run');
        locked();
        await held;
      });
      await lockTaken;
      const seen = await other.query(`select name from "${schema}".item where id = 1`);
      expect(seen.rows).toEqual([{ name: 'one' }]);
      const busy = await other
        .query(`select id from "${schema}".item where id = 1 for update nowait`)
        .then(
          () => 'free',
          (err: Error) => err.message,
        );
      expect(busy).toMatch(/could not obtain lock/);
      release();
      await tx;
      const after = await other.query(`select name from "${schema}".item where id = 1`);
      expect(after.rows).toEqual([{ name: 'ONE' }]);
    } finally {
      await other.end();
    }
  });

  it('refuses ORM work inside it, rolls back, and gives its connection back every time', async () => {
    for (let i = 0; i < 25; i++) {
      await expect(
        plainTransaction(em(), async (tx) => {
          await boundQuery(tx, 'insert into item values (?, ?)', [100 + i, 'lost'], 'run');
          await tx.getConnection().execute('select 1', [], 'all', tx.getTransactionContext());
        }),
      ).rejects.toThrow(/plain transaction runs plain statements only/);
    }
    // 25 failures on a pool of 10: a connection kept by any of them would have stalled the rest.
    expect(await names()).toEqual(['ONE', 'two']);
    const pool = (orm.em.getConnection().getKnex().client as { pool: { numUsed(): number } }).pool;
    expect(pool.numUsed()).toBe(0);
  });
  it('refuses even when its body catches the refusal, and what MikroORM would flush at commit', async () => {
    await expect(
      plainTransaction(em(), async (tx) => {
        await boundQuery(tx, 'insert into item values (?, ?)', [200, 'lost'], 'run');
        await tx.transactional(async () => undefined).catch(() => 'swallowed');
      }),
    ).rejects.toBeInstanceOf(PlainTransactionRefused);
    // An entity persisted and left for the commit's flush (as recordEvent leaves an outbox row).
    await expect(
      plainTransaction(em(), async (tx) => {
        await boundQuery(tx, 'insert into item values (?, ?)', [201, 'lost'], 'run');
        tx.persist(entityOf(OutboxEvent, outboxRow('test.plain', {})));
      }),
    ).rejects.toBeInstanceOf(PlainTransactionRefused);
    expect(await names()).toEqual(['ONE', 'two']);
  });

  it('plain first: a body that needs the ORM runs again, whole, in an ORM transaction', async () => {
    const before = plainFallbacks.count;
    let attempts = 0;
    await plainFirst(em(), async (tx) => {
      attempts++;
      await boundQuery(tx, 'insert into item values (?, ?)', [300, 'three hundred'], 'run');
      // A branch that needs the unit of work: refused in the plain attempt, flushed in the second.
      tx.persist(entityOf(OutboxEvent, outboxRow('test.plain-first', { n: 300 })));
    });
    expect(attempts).toBe(2);
    expect(plainFallbacks.count).toBe(before + 1);
    // Applied once: the plain attempt's insert was rolled back before the second one.
    expect(await names()).toEqual(['ONE', 'two', 'three hundred']);
    const outbox = await boundQuery<{ type: string }[]>(
      em(),
      "select type from outbox where type = 'test.plain-first'",
      [],
    );
    expect(outbox).toHaveLength(1);

    // A plain body stays plain: no second attempt.
    await plainFirst(em(), (tx) =>
      boundQuery(tx, 'update item set name = ? where id = ?', ['3 hundred', 300], 'run'),
    );
    expect(plainFallbacks.count).toBe(before + 1);
    // A body's own error is its own: no second attempt either.
    await expect(
      plainFirst(em(), async () => {
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    expect(plainFallbacks.count).toBe(before + 1);
  });
  it('without a statement log (production) runs the same: rows, converted errors, a rollback', async () => {
    // Statements skip MikroORM's query log when nothing reads it (lib/plain-sql `logged`).
    const quiet = await createOrm({
      name: 'plaintx-quiet',
      entities: [...OUTBOX_ENTITIES],
      migrations: { sqlite: [], postgresql: [] },
      migrate: false,
      database: { kind: 'postgresql', url: DATABASE_URL!, schema },
    });
    try {
      expect(quiet.config.getLogger().isEnabled('query')).toBe(false);
      const q = () => quiet.em.fork() as unknown as Em;
      const log = vi.spyOn(
        quiet.em.getConnection() as unknown as { executeQuery: () => Promise<unknown> },
        'executeQuery',
      );
      await plainTransaction(q(), async (tx) => {
        await boundQuery(tx, 'insert into item values (?, ?)', [901, 'quiet'], 'run');
      });
      const read = () =>
        boundQuery<{ id: number }[]>(q(), 'select id from item where id > ?', [900]);
      expect(await read()).toEqual([{ id: 901 }]);
      await expect(
        plainTransaction(q(), async (tx) => {
          await boundQuery(tx, 'insert into item values (?, ?)', [902, 'gone'], 'run');
          await boundQuery(tx, 'insert into item values (?, ?)', [901, 'again'], 'run');
        }),
      ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
      await expect(
        boundQuery(q(), 'insert into item values (?, ?)', [901, 'again'], 'run'),
      ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
      expect(await read()).toEqual([{ id: 901 }]);
      // None of them went through MikroORM's query log.
      expect(log).not.toHaveBeenCalled();
    } finally {
      await quiet.close(true);
    }
  });
});
