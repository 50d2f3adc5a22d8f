/**
 * lib/detached `detachRows` (rows as the database answers them, straight to detached
 * instances) gives the values MikroORM's own result mapper and hydrator give a managed entity,
 * for every entity of every subgraph (each is detachable), on the database the suite runs on:
 * values of every kind (text, numbers, booleans, dates, JSON and other custom types), nulls,
 * and columns left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityMetadata, EntityProperty } from '@mikro-orm/core';
import { isPostgres } from '../../lib/db.js';
import type { Orm } from '../../lib/orm.js';
import { detachRows } from '../../lib/detached.js';
import { startStack, type Stack } from '../harness/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A value of `prop` as the driver could read it (`variant` picks among a few). */
function sample(orm: Orm, prop: EntityProperty, variant: number): unknown {
  const postgres = isPostgres(orm);
  const platform = orm.em.getPlatform();
  const instant = new Date(Date.UTC(2026, 11, 6, 7, 4, 37, 523 + variant));
  let value: unknown;
  if (prop.runtimeType === 'Date')
    value = postgres
      ? instant.toISOString().replace('T', ' ').replace('Z', '+00')
      : instant.getTime();
  else if (prop.runtimeType === 'boolean') value = postgres ? variant % 2 === 0 : variant % 2;
  else if (prop.runtimeType === 'number') value = 40 + variant;
  else if (prop.runtimeType === 'string') value = `text-${variant}`;
  else value = variant % 2 ? { a: [variant, 'x'], b: null } : ['x', variant];
  const custom = prop.customType;
  if (!custom || prop.runtimeType === 'Date' || prop.runtimeType === 'boolean') return value;
  // JSON and other custom types: as MikroORM writes them (text), or parsed (pg's jsonb).
  return variant === 2 ? custom.convertToDatabaseValue(value, platform, { mode: 'query' }) : value;
}

function rowsOf(orm: Orm, meta: EntityMetadata): Record<string, unknown>[] {
  const columns = meta.props.filter((p) => p.fieldNames?.length === 1);
  const rows: Record<string, unknown>[] = [];
  for (const variant of [0, 1, 2]) {
    const row: Record<string, unknown> = {};
    for (const p of columns) row[p.fieldNames[0]!] = sample(orm, p, variant);
    rows.push(row);
  }
  // Nulls wherever a column allows them, and a row with every other column left out.
  rows.push(
    Object.fromEntries(
      columns.map((p) => [p.fieldNames[0]!, p.nullable ? null : sample(orm, p, 0)]),
    ),
  );
  rows.push(
    Object.fromEntries(
      columns.filter((_, i) => i % 2 === 0).map((p) => [p.fieldNames[0]!, sample(orm, p, 1)]),
    ),
  );
  return rows;
}

describe('detachRows', () => {
  it('reads every entity of every subgraph as the mapper and the hydrator do', () => {
    let compared = 0;
    for (const [name, sub] of Object.entries(stack.running.subgraphs)) {
      const orm = sub!.orm;
      const em = orm.em.fork();
      const driver = em.getDriver();
      for (const meta of Object.values(orm.getMetadata().getAll())) {
        if (meta.embeddable || meta.virtual || !meta.class) continue;
        const rows = rowsOf(orm, meta);
        const fast = detachRows(
          em,
          meta.class,
          rows.map((r) => ({ ...r })),
        );
        // MikroORM's path for a managed entity: the result mapper, then the hydrator with
        // custom types converted, into an object on the same prototype.
        const factory = em.getEntityFactory();
        const hydrator = em.config.getHydrator(orm.getMetadata());
        const slow = rows.map((r, i) => {
          const instance = Object.create(Object.getPrototypeOf(fast[i]!)) as object;
          const data = driver.mapResult({ ...r } as never, meta) as never;
          hydrator.hydrate(instance, meta, data, factory, 'full', false, true);
          return instance;
        });
        expect(fast, `${name} ${meta.className}`).toStrictEqual(slow);
        // Below the entity's own prototype: methods and instanceof hold.
        for (const f of fast) expect(f).toBeInstanceOf(meta.class);
        compared++;
      }
    }
    // Every subgraph's entities, not a vacuous loop.
    expect(compared).toBeGreaterThan(40);
  });
});
