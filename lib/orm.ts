import { transactorPatch } from './knex-transactor.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Constructor, MigrationObject, Options } from '@mikro-orm/core';
import { MikroORM as SqliteOrm } from '@mikro-orm/better-sqlite';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import type { MikroORM } from '@mikro-orm/core';
import { MikroORM as PgOrm } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type pg from 'pg';
import { isPostgres } from './db.js';
import { log } from './log.js';
import { Lru } from './lru.js';
import { deferBegin } from './pg-pipeline.js';

/** Where a subgraph keeps its tables. */
export type DatabaseConfig =
  | { kind: 'sqlite'; /** a file path or ":memory:" */ path: string }
  | { kind: 'postgresql'; url: string; /** one schema per subgraph */ schema: string };

/** Migrations of one subgraph, per platform (the SQL differs). */
export interface SubgraphMigrations {
  sqlite: MigrationObject[];
  postgresql: MigrationObject[];
}

export type Orm = MikroORM<AbstractSqlDriver, SqlEntityManager>;
export type Em = SqlEntityManager;

/**
 * Counts SQL statements, so tests can assert the queries a request costs. Background work (the
 * outbox relay, background services) and the gateway's internal lookups are labelled and not
 * counted.
 */
export class QueryCounter {
  /** Statements of client operations. */
  count = 0;
  /** Statements of the gateway's internal lookups (credentials, grants). */
  internal = 0;
  readonly statements: string[] = [];
  readonly internalStatements: string[] = [];
  keep = false;
  record(line: string): void {
    // Background work is labelled; transaction control carries no label, and it does not
    // grow with the data a request touches.
    if (line.startsWith('[query] (outbox)') || line.startsWith('[query] (background)')) return;
    if (/^\[query\] (\(\w+\) )?(begin|commit|rollback|savepoint|release savepoint)\b/i.test(line))
      return;
    const internal = line.startsWith('[query] (internal)');
    if (internal) this.internal++;
    else this.count++;
    if (this.keep) (internal ? this.internalStatements : this.statements).push(line);
  }
  reset(keep = false): void {
    this.count = 0;
    this.internal = 0;
    this.statements.length = 0;
    this.internalStatements.length = 0;
    this.keep = keep;
  }
}

export interface CreateOrmOptions {
  name: string;
  entities: Constructor[];
  migrations: SubgraphMigrations;
  database: DatabaseConfig;
  queryCounter?: QueryCounter;
  /** Apply pending migrations on start (default true). */
  migrate?: boolean;
}

/** Whether the missing transactor patch was reported (once per process). */
let patchReported = false;

/** One MikroORM instance per subgraph: SQLite file or PostgreSQL schema, migrated on start. */
export async function createOrm(opts: CreateOrmOptions): Promise<Orm> {
  if (!transactorPatch.applied && !patchReported) {
    patchReported = true;
    // Still correct, only slower: each transaction builds a whole knex instance.
    log.warn({ reason: transactorPatch.reason }, 'knex transactors are built by knex itself');
  }
  const counter = opts.queryCounter;
  const common: Partial<Options> = {
    // Each subgraph's ORM gets its own async context: a consumer running inside another
    // subgraph's transaction (in-process bus) must not pick up that transaction.
    contextName: opts.name,
    entities: opts.entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    extensions: [Migrator],
    debug: counter ? ['query'] : false,
    logger: counter
      ? (msg: string) => {
          // Strip colour codes: MikroORM colours by terminal, whatever `colors` says.
          // eslint-disable-next-line no-control-regex
          const plain = msg.replace(/\x1b\[[0-9;]*m/g, '');
          if (plain.startsWith('[query]')) counter.record(plain);
        }
      : () => undefined,
    colors: false,
    schemaGenerator: { skipTables: ['mikro_orm_migrations'] },
    migrations: {
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      disableForeignKeys: false,
    },
  };
  let orm: Orm;
  if (opts.database.kind === 'sqlite') {
    const path = opts.database.path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    orm = (await SqliteOrm.init({
      ...common,
      dbName: path,
      migrations: { ...common.migrations, migrationsList: opts.migrations.sqlite },
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: SqliteDatabase, done: (err: Error | null, c: unknown) => void) => {
          cacheStatements(conn);
          done(null, conn);
        },
      },
    } as Options)) as unknown as Orm;
    await orm.em.getConnection().execute('pragma journal_mode = wal;');
    await orm.em.getConnection().execute('pragma busy_timeout = 5000;');
  } else {
    const { url, schema } = opts.database;
    await ensureSchema(url, schema);
    orm = (await PgOrm.init({
      ...common,
      clientUrl: url,
      schema,
      migrations: { ...common.migrations, migrationsList: opts.migrations.postgresql },
      driverOptions: { connection: { options: `-c search_path=${schema}` } },
      pool: {
        min: 0,
        max: 10,
        // Each transaction's BEGIN leaves with its first statement (lib/pg-pipeline).
        afterCreate: (conn: pg.Client, done: (err: Error | null, c: unknown) => void) =>
          done(null, deferBegin(conn)),
      },
    } as Options)) as unknown as Orm;
  }
  quietForks(orm);
  if (opts.migrate !== false) await migrate(orm);
  return orm;
}

/**
 * `EntityManager.fork` (one per request) sets `allowGlobalContext` on the shared configuration
 * and back again, and each `Configuration.set` re-derives the whole configuration (`sync`: it
 * writes `process.env.MIKRO_ORM_COLORS` and resets the logger's debug mode): 2 % of a small
 * subgraph request's CPU. Nothing `sync` derives depends on that key, so it is stored without the
 * re-derivation; every other key goes through MikroORM's own `set`. The global entity manager
 * still refuses context-specific work (tests/platform/orm-requests).
 */
function quietForks(orm: Orm): void {
  const config = orm.config;
  const set = config.set.bind(config);
  const options = config.getAll() as unknown as Record<string, unknown>;
  config.set = ((key: string, value: unknown) => {
    if (key === 'allowGlobalContext') options[key] = value;
    else set(key as never, value as never);
  }) as typeof config.set;
}

/** The part of a better-sqlite3 database the statement cache wraps. */
interface SqliteDatabase {
  prepare(sql: string): unknown;
}

/**
 * Keeps the last 500 prepared statements of a SQLite connection: knex prepares every query
 * afresh, which cost about 6 % of a subgraph's CPU per request. better-sqlite3 statements are
 * reusable (knex runs them with `all`/`run`, which finish before the next query), and SQLite
 * re-prepares one by itself when the schema it was prepared against changes.
 */
export function cacheStatements(db: SqliteDatabase): void {
  const prepare = db.prepare.bind(db);
  const statements = new Lru<string, unknown>(500);
  db.prepare = (sql: string) => statements.getOrCreate(sql, () => prepare(sql));
}

/**
 * Applies pending migrations. On PostgreSQL the migrator lists the tables of every schema on the
 * server (casting each name to `regclass`), which fails when another process drops a table or a
 * whole schema at that moment ("relation … does not exist", "schema … does not exist"): such
 * catalogue races are retried.
 */
async function migrate(orm: Orm): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await orm.getMigrator().up();
      return;
    } catch (err) {
      const race =
        /relation .* does not exist|schema .* does not exist|cache lookup failed|could not open relation/i;
      if (!isPostgres(orm) || attempt >= 8 || !race.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name ${schema}`);
  const orm = await PgOrm.init({
    clientUrl: url,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: true,
    pool: { min: 0, max: 1 },
  } as Options);
  try {
    await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  } finally {
    await orm.close(true);
  }
}

/** Reports whether the database answers (readiness). */
export async function isReachable(orm: Orm): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return true;
  } catch {
    return false;
  }
}
