import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, type EntityMetadata } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compose,
  defineModule,
  defineSubgraph,
  type SubgraphDefinition,
  type SubgraphRuntime,
} from '../../lib/module.js';
import { createOrm, type Em, type Orm } from '../../lib/orm.js';
import { OUTBOX_ENTITIES } from '../../lib/outbox.js';
import { MemoryWindowCounter } from '../../lib/window-counter.js';
import { operationsSubgraph } from '../../subgraphs/operations/src/index.js';

/** A module's entity that outlives its workspace (declared in `keepOnWorkspaceDeletion`). */
@Entity({ tableName: 'sweep_test_kept' })
class SweepTestKept {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;
}

/** A new module's entity with a workspaceId that nobody listed anywhere: swept all the same. */
@Entity({ tableName: 'sweep_test_new' })
class SweepTestNew {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;
}

const testModule = defineModule({
  name: 'sweep-test',
  layer: 'reactive',
  entities: [SweepTestKept, SweepTestNew],
  keepOnWorkspaceDeletion: [SweepTestKept],
});

const def: SubgraphDefinition = defineSubgraph({
  ...operationsSubgraph,
  modules: [...operationsSubgraph.modules, testModule],
});

let serial = 0;

/** A value of the column's type that SQLite binds (numbers for dates and booleans), unique. */
function valueFor(meta: EntityMetadata, prop: EntityMetadata['props'][number]): unknown {
  if (prop.enum && prop.items?.length) return prop.items[0];
  const type = String(prop.columnTypes?.[0] ?? prop.type).toLowerCase();
  if (/json/.test(type)) return '{}';
  if (/int|real|numeric|decimal|double|float|bool|date|time/.test(type))
    return /bool/.test(type) ? 1 : ++serial;
  if (prop.primary && prop.autoincrement) return undefined;
  return `${meta.className}-${prop.name}-${randomUUID()}`.slice(0, prop.length || 255);
}

/** One row in every table of an entity with a workspaceId, for `workspaceId`, every column set. */
async function insertRow(em: Em, meta: EntityMetadata, workspaceId: string): Promise<void> {
  const row: Record<string, unknown> = {};
  for (const prop of meta.props) {
    if (!prop.fieldNames?.length || prop.persist === false || prop.formula) continue;
    const value =
      prop.name === 'workspaceId'
        ? workspaceId
        : prop.type === 'uuid' || prop.columnTypes?.[0] === 'uuid'
          ? randomUUID()
          : valueFor(meta, prop);
    if (value !== undefined) row[prop.fieldNames[0]!] = value;
  }
  await em.getKnex().insert(row).into(meta.tableName);
}

async function count(em: Em, meta: EntityMetadata, workspaceId: string): Promise<number> {
  const [r] = await em
    .getKnex()
    .from(meta.tableName)
    .where(meta.properties.workspaceId!.fieldNames[0]!, workspaceId)
    .count({ n: '*' });
  return Number((r as { n: number }).n);
}

describe('deleting a workspace sweeps every module entity with a workspaceId', () => {
  let orm: Orm;
  let withWorkspace: EntityMetadata[];

  beforeAll(async () => {
    orm = await createOrm({
      name: 'operations-sweep-test',
      // As lib/subgraph composes them: deleting runs announces them (`flow-run.purged`).
      entities: [...compose.entities(def), ...OUTBOX_ENTITIES],
      migrations: def.migrations,
      database: { kind: 'sqlite', path: ':memory:' },
      migrate: false,
    });
    await orm.schema.createSchema();
    // Read from the ORM, not from the sweep: a new entity with the column is covered here too.
    withWorkspace = Object.values(orm.getMetadata().getAll()).filter(
      (m) => !m.embeddable && !m.virtual && m.properties.workspaceId,
    );
  });

  afterAll(async () => {
    await orm?.close(true);
  });

  it('deletes the rows of the deleted workspace in every such table, keeps the others and the kept entity', async () => {
    const names = withWorkspace.map((m) => m.className);
    // Every operations table of a workspace is in the test (not a vacuous loop).
    expect(names).toEqual(expect.arrayContaining(['Flow', 'Variable', 'SweepTestNew']));
    expect(names.length).toBeGreaterThan(15);

    const gone = randomUUID();
    const other = randomUUID();
    const em = orm.em.fork();
    for (const meta of withWorkspace) {
      await insertRow(em, meta, gone);
      await insertRow(em, meta, other);
    }
    for (const meta of withWorkspace) {
      expect([meta.className, await count(em, meta, gone)]).toEqual([meta.className, 1]);
    }

    const sub: SubgraphRuntime = {
      name: 'operations',
      orm,
      opts: { settings: {} },
      counters: new MemoryWindowCounter(),
      publish: async () => undefined,
      contextFor: () => {
        throw new Error('not used by the workspace.deleted consumers');
      },
    };
    const handler = compose.consumers(def, sub)['workspace.deleted']!;
    const event = {
      id: randomUUID(),
      type: 'workspace.deleted',
      source: 'workspaces',
      payload: { workspaceId: gone },
    } as never;
    // Twice: a redelivery deletes nothing more and does not fail.
    for (let i = 0; i < 2; i++)
      await orm.em.fork().transactional((tx) => handler({ workspaceId: gone }, tx, event));

    const after: Record<string, [number, number]> = {};
    for (const meta of withWorkspace)
      after[meta.className] = [await count(em, meta, gone), await count(em, meta, other)];
    const expected = Object.fromEntries(
      withWorkspace.map((m) => [m.className, [m.className === 'SweepTestKept' ? 1 : 0, 1]]),
    );
    expect(after).toEqual(expected);
  });
});
