import { createRequire } from 'node:module';
import { subject } from '@casl/ability';
import { describe, expect, it } from 'vitest';
import { abilityFor, defineAbilityFor } from '../../lib/ability.js';
import { cacheStatements } from '../../lib/orm.js';
import { NO_GRANTS, type Grants } from '../../lib/principal.js';

// The better-sqlite3 that MikroORM's SQLite driver loads (not a direct dependency of ours).
const require = createRequire(import.meta.url);
const Database = createRequire(require.resolve('@mikro-orm/better-sqlite'))('better-sqlite3');

const user = { type: 'user' as const, id: 'u-1' };
const grantsOf = (workspaceId: string, permissions: string[]): Grants =>
  ({ ...NO_GRANTS, workspaces: { [workspaceId]: { permissions } } }) as unknown as Grants;

describe('abilities are shared by requests with equal grants', () => {
  it('returns one ability per grants, built as defineAbilityFor builds it', () => {
    const g = grantsOf('w1', ['see_flows']);
    const a = abilityFor(user, g);
    expect(abilityFor({ ...user, id: 'u-2' }, grantsOf('w1', ['see_flows']))).toBe(a);
    expect(a.rules).toEqual(defineAbilityFor(user, g).rules);
    expect(a.can('read', subject('Flow', { workspaceId: 'w1' }))).toBe(true);
    expect(a.can('read', subject('Flow', { workspaceId: 'w2' }))).toBe(false);
  });

  it('never hands one principal the ability of other grants, or of the system', () => {
    const reader = abilityFor(user, grantsOf('w1', ['see_flows']));
    const writer = abilityFor(user, grantsOf('w1', ['see_flows', 'manage_flows']));
    const elsewhere = abilityFor(user, grantsOf('w2', ['see_flows']));
    const system = abilityFor({ type: 'system', id: 'gateway' }, NO_GRANTS);
    expect(new Set([reader, writer, elsewhere, system]).size).toBe(4);
    expect(abilityFor(user, NO_GRANTS)).not.toBe(system);
    expect(system.can('manage', 'all')).toBe(true);
    expect(abilityFor(user, NO_GRANTS).can('manage', 'all')).toBe(false);
    expect(elsewhere.can('read', subject('Flow', { workspaceId: 'w1' }))).toBe(false);
    expect(elsewhere.can('read', subject('Flow', { workspaceId: 'w2' }))).toBe(true);
  });
});

describe('SQLite statements are prepared once per SQL text', () => {
  it('reuses statements, answers correctly, survives a schema change, and stays bounded', () => {
    const db = new Database(':memory:');
    const prepared: string[] = [];
    const raw = db.prepare.bind(db);
    (db as any).prepare = (sql: string) => {
      prepared.push(sql);
      return raw(sql);
    };
    cacheStatements(db as any);
    db.prepare('create table t (id integer primary key, name text)').run();
    const insert = db.prepare('insert into t (name) values (?)');
    insert.run('a');
    expect(db.prepare('insert into t (name) values (?)')).toBe(insert);
    db.prepare('insert into t (name) values (?)').run('b');
    const select = 'select * from t order by id';
    expect(db.prepare(select).all()).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    db.prepare('alter table t add column extra text').run();
    expect(db.prepare(select).all()).toEqual([
      { id: 1, name: 'a', extra: null },
      { id: 2, name: 'b', extra: null },
    ]);
    expect(prepared.filter((s) => s === select)).toHaveLength(1);
    for (let i = 0; i < 600; i++) db.prepare(`select ${i} as n`).get();
    // The oldest fell out of the 500 kept: preparing it again reaches better-sqlite3.
    db.prepare(select).all();
    expect(prepared.filter((s) => s === select)).toHaveLength(2);
    db.close();
  });
});
