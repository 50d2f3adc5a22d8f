import { compose } from '../../lib/module.js';
import { existsSync } from 'node:fs';
import type { Env } from '../../lib/env.js';
import { createOrm, type DatabaseConfig, type Orm } from '../../lib/orm.js';
import { OUTBOX_ENTITIES } from '../../lib/outbox.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../gateway/src/transport.js';
import { SUBGRAPHS } from '../registry.js';
import { databaseFor } from '../services.js';
import { UsageError } from './usage.js';

/** Subgraph names from the command line (all of them when none is given). */
export function subgraphNames(args: string[]): SubgraphName[] {
  for (const a of args)
    if (!(SUBGRAPH_NAMES as string[]).includes(a))
      throw new UsageError(`Unknown subgraph "${a}" (one of ${SUBGRAPH_NAMES.join(', ')})`);
  return args.length ? (args as SubgraphName[]) : [...SUBGRAPH_NAMES];
}

export function describeDatabase(db: DatabaseConfig): string {
  return db.kind === 'sqlite' ? `SQLite ${db.path}` : `PostgreSQL schema ${db.schema}`;
}

/** An embedded SQLite file that was never created (nothing has run on this DATA_DIR). */
export function missingSqlite(db: DatabaseConfig): boolean {
  return db.kind === 'sqlite' && db.path !== ':memory:' && !existsSync(db.path);
}

/** Opens one subgraph's database with its entities, migrating it or not. */
export function openDatabase(env: Env, name: SubgraphName, migrate: boolean): Promise<Orm> {
  const def = SUBGRAPHS[name];
  return createOrm({
    name,
    entities: [...compose.entities(def), ...OUTBOX_ENTITIES],
    migrations: def.migrations,
    database: databaseFor(env, name),
    migrate,
  });
}
