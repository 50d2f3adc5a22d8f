/**
 * knex's transactions without knex's per-transaction object building.
 *
 * Every transaction knex opens (every MikroORM `em.transactional`) makes a "transactor": a whole
 * knex instance around the transaction's client. knex builds one by giving a fresh function
 * ~120 own closures (one per query-builder method), a dozen property definitions, a context
 * object of a dozen more closures and the members of an EventEmitter. On this machine that was
 * about 60 % of the CPU of an empty `em.transactional` (16 % of it in `redefineProperties`
 * alone, most of the rest in collecting the garbage it left): ~0.1 ms per transaction, on paths
 * that run two or three transactions per request.
 *
 * Here a transactor is built the same way but shares what never differs between transactors:
 * the query-builder methods, the property definitions and the context's methods live on
 * prototypes made once. What each transactor owns stays its own: its context (client,
 * userParams), its events and the listeners that pass its client's events on, and whatever
 * knex's transaction code sets on it afterwards (`commit`, `rollback`, `savepoint`,
 * `isTransaction`, the context's `transaction` and `withUserParams`). A knex that is not a
 * transactor (the pool's own instance) is still made by knex itself.
 *
 * knex's `transaction.js` takes `makeKnex` from the module cache when it is first loaded, so this
 * module must be imported before anything loads knex: first thing in the CLI (scripts/cli.ts) and
 * the test setup, and first in lib/orm.ts for any other entry point. If knex was loaded already,
 * or is not the version this was written against, nothing is changed: `transactorPatch` says
 * why, and `createOrm` logs it once.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The knex version whose `make-knex.js` this reproduces for transactors. */
const KNOWN_VERSION = '3.2.10';

/** Whether transactors are built here, or why not. */
export const transactorPatch: { applied: boolean; reason?: string } = { applied: false };

type KnexFn = ((table?: unknown, options?: unknown) => unknown) & Record<string, any>;
/** A transactor's context (its client and the methods knex's transaction code calls on it). */
type Ctx = {
  client: KnexClient & Record<string, (...args: unknown[]) => unknown>;
  transaction(container: unknown, config: unknown): unknown;
};
type Processing = {
  userParams: Record<string, unknown>;
  client: { config: Record<string, unknown> };
};
interface KnexClient extends EventEmitter {
  transacting?: boolean;
  queryBuilder(): Record<string, (...args: unknown[]) => unknown>;
  schemaBuilder(): unknown;
  raw(...args: unknown[]): unknown;
  ref(ref: unknown): unknown;
  logger: { warn(msg: string): void };
}

function apply(): void {
  const makeKnexPath = require.resolve('knex/lib/knex-builder/make-knex');
  const transactionPath = require.resolve('knex/lib/execution/transaction');
  const version = (require('knex/package.json') as { version: string }).version;
  if (version !== KNOWN_VERSION) {
    transactorPatch.reason = `knex ${version}, written for ${KNOWN_VERSION}`;
    return;
  }
  if (require.cache[transactionPath]) {
    transactorPatch.reason = 'knex was loaded before lib/knex-transactor';
    return;
  }
  const original = require(makeKnexPath) as (client: KnexClient) => KnexFn;
  const methods = require('knex/lib/query/method-constants') as string[];
  const { Migrator } = require('knex/lib/migrations/migrate/Migrator') as {
    Migrator: new (knex: unknown) => unknown;
  };
  const Seeder = require('knex/lib/migrations/seed/Seeder') as new (knex: unknown) => unknown;
  const FunctionHelper = require('knex/lib/knex-builder/FunctionHelper') as new (
    client: unknown,
  ) => unknown;
  const batchInsert = require('knex/lib/execution/batch-insert') as (...args: unknown[]) => unknown;

  // What knex's `redefineProperties` gives each instance as own members, once, on a prototype
  // between the function and Function.prototype.
  const knexProto: Record<string, any> = Object.create(Function.prototype);
  for (const method of methods) {
    knexProto[method] = function (this: KnexFn, ...args: unknown[]) {
      const builder = this.queryBuilder();
      return builder[method]!.apply(builder, args);
    };
  }
  // `client` and `userParams` read and write the context's.
  const ofContext = (key: string): PropertyDescriptor => ({
    get(this: KnexFn) {
      return this.context[key];
    },
    set(this: KnexFn, value: unknown) {
      this.context[key] = value;
    },
    configurable: true,
  });
  Object.defineProperties(knexProto, {
    client: ofContext('client'),
    userParams: ofContext('userParams'),
    schema: {
      get(this: KnexFn) {
        return this.client.schemaBuilder();
      },
      configurable: true,
    },
    migrate: {
      get(this: KnexFn) {
        return new Migrator(this);
      },
      configurable: true,
    },
    seed: {
      get(this: KnexFn) {
        return new Seeder(this);
      },
      configurable: true,
    },
    fn: {
      get(this: KnexFn) {
        return new FunctionHelper(this.client);
      },
      configurable: true,
    },
  });
  const contextMethods = [
    'raw',
    'batchInsert',
    'transaction',
    'transactionProvider',
    'initialize',
    'destroy',
    'ref',
    'withUserParams',
    'queryBuilder',
    'disableProcessing',
    'enableProcessing',
  ];
  for (const m of contextMethods) {
    Object.defineProperty(knexProto, m, {
      value(this: KnexFn, ...args: unknown[]) {
        return this.context[m](...args);
      },
      configurable: true,
    });
  }
  // EventEmitter's methods, as knex copies them onto each instance.
  for (const key in EventEmitter.prototype) {
    knexProto[key] = (EventEmitter.prototype as unknown as Record<string, unknown>)[key];
  }

  // knex's `initContext` methods (a transactor replaces `transaction` and `withUserParams`).
  const contextProto: Record<string, unknown> = {
    queryBuilder(this: { client: KnexClient }) {
      return this.client.queryBuilder();
    },
    raw(this: { client: KnexClient }, ...args: unknown[]) {
      return this.client.raw(...args);
    },
    batchInsert(this: unknown, table: unknown, batch: unknown, chunkSize = 1000) {
      return batchInsert(this, table, batch, chunkSize);
    },
    ref(this: { client: KnexClient }, ref: unknown) {
      return this.client.ref(ref);
    },
    _transaction(this: Ctx, container: unknown, config: unknown, outerTx: unknown = null) {
      if (container) return this.client.transaction(container, config, outerTx);
      return new Promise((resolve, reject) => {
        (this.client.transaction(resolve, config, outerTx) as Promise<unknown>).catch(reject);
      });
    },
    transactionProvider(this: Ctx, config: unknown) {
      let trx: unknown;
      return () => (trx ??= this.transaction(undefined, config));
    },
    initialize(this: Ctx, config: unknown) {
      return this.client.initializePool(config);
    },
    destroy(this: Ctx, callback: unknown) {
      return this.client.destroy(callback);
    },
    // As knex's own: they switch identifier wrapping and response processing off and on.
    disableProcessing(this: Processing) {
      if (this.userParams.isProcessingDisabled) return;
      this.userParams.wrapIdentifier = this.client.config.wrapIdentifier;
      this.userParams.postProcessResponse = this.client.config.postProcessResponse;
      this.client.config.wrapIdentifier = null;
      this.client.config.postProcessResponse = null;
      this.userParams.isProcessingDisabled = true;
    },
    enableProcessing(this: Processing) {
      if (!this.userParams.isProcessingDisabled) return;
      this.client.config.wrapIdentifier = this.userParams.wrapIdentifier;
      this.client.config.postProcessResponse = this.userParams.postProcessResponse;
      this.userParams.isProcessingDisabled = false;
    },
  };

  const makeKnex = (client: KnexClient): KnexFn => {
    if (client.transacting !== true) return original(client);
    const knex = function knex(tableName?: unknown, options?: unknown): unknown {
      const qb = (knex as KnexFn).context.queryBuilder();
      if (!tableName)
        (knex as KnexFn).context.client.logger.warn(
          'calling knex without a tableName is deprecated. Use knex.queryBuilder() instead.',
        );
      return tableName ? qb.table(tableName, options) : qb;
    } as KnexFn;
    Object.setPrototypeOf(knex, knexProto);
    knex.context = Object.create(contextProto);
    knex.context.client = client;
    knex.context.userParams = {};
    EventEmitter.call(knex as unknown as EventEmitter);
    const internal: { eventName: string; listener: (...args: unknown[]) => void }[] = [];
    const pass = (eventName: string) => {
      const listener = (...args: unknown[]) => knex.emit(eventName, ...args);
      client.on(eventName, listener);
      internal.push({ eventName, listener });
    };
    pass('start');
    pass('query');
    pass('query-error');
    pass('query-response');
    knex._internalListeners = internal;
    return knex;
  };
  require.cache[makeKnexPath]!.exports = makeKnex;
  transactorPatch.applied = true;
}

apply();
