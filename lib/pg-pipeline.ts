/**
 * PostgreSQL: a transaction's BEGIN sent together with its first statement.
 *
 * knex (under MikroORM) opens a transaction by sending `BEGIN;` alone and waiting for the answer:
 * a round trip that carries nothing, one write and one read on each side of the socket. On this
 * kind of machine a socket write that wakes the database costs more CPU than most statements'
 * planning. Each pooled connection here holds its BEGIN back and sends it in the same write as
 * the transaction's first statement (as one simple-protocol text when that statement has no
 * parameters; as a Parse/Bind/Execute of BEGIN before the statement's own messages, under the
 * same Sync, when it has). PostgreSQL runs BEGIN first either way, so the statement runs inside
 * the transaction, exactly as before; a transaction that ends before any statement (a COMMIT
 * or ROLLBACK right after BEGIN) sends nothing at all.
 *
 * Errors keep their meaning: BEGIN cannot fail on a healthy connection; when the first statement
 * fails, the transaction is open and aborted, as it would be after a separate BEGIN, and the
 * caller's ROLLBACK ends it. A statement whose text holds several statements of its own is not
 * combined (its results would be ambiguous) and runs after a BEGIN of its own.
 *
 * The other end of a transaction the same way: a write whose result nobody reads (a plain
 * transaction's last, lib/plain-sql `runLastWrites`) can be handed to `deferStatement`, and
 * leaves in the same write as the connection's next statement, usually the COMMIT: its Parse (or
 * Bind alone, once prepared), Bind and Execute go before that statement's messages, under the
 * same Sync. PostgreSQL runs it first; when it fails, the statement after it is skipped and the
 * transaction is aborted, so the error reaches whoever sent that statement (a failing COMMIT is
 * then followed by a ROLLBACK, see `plainTransaction`), and a ROLLBACK drops it unsent. A write
 * held back while the BEGIN still is (the transaction's only statement) runs alone at the
 * COMMIT, as its own transaction: one statement is atomic by itself, and this one round trip
 * replaces two (BEGIN with the write, then COMMIT).
 */
import { createRequire } from 'node:module';
import pg from 'pg';

/** pg's own conversion of a bound value to its text (dates, buffers, arrays, JSON). */
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown, index: number) => unknown;
};

/** How many BEGINs went with a statement, and how many transactions needed no round trip. */
export const deferredBegins = { combined: 0, skipped: 0 };

/**
 * How many writes went with the statement after them, how many a ROLLBACK dropped, and how many
 * were their transaction's only statement and ran alone.
 */
export const deferredWrites = { combined: 0, dropped: 0, alone: 0 };

type Callback = (err: Error | null, res?: unknown) => void;

interface QueryConfig {
  text: string;
  values?: unknown[];
  [k: string]: unknown;
}

/** The parts of pg's Query this touches (not in its typings). */
interface PgQuery {
  text: string;
  prepare(connection: PgConnection): void;
  requiresPreparation(): boolean;
}

interface PgConnection {
  parse(msg: { text: string; name?: string }): void;
  bind(msg: {
    values: unknown[];
    statement?: string;
    valueMapper?: (value: unknown, index: number) => unknown;
  }): void;
  describe(msg: { type: 'P' | 'S'; name: string }): void;
  execute(msg: { rows?: number }): void;
  parsedStatements: Record<string, string>;
}

/** A statement `deferStatement` holds for the connection's next one. */
interface Deferred {
  text: string;
  values: unknown[];
  name?: string;
}

/** What each wrapped client holds back: a BEGIN, or a write. */
interface HeldBack {
  begin: string | null;
  write: Deferred | null;
}

const held = new WeakMap<pg.Client, HeldBack>();

const BEGIN = /^\s*begin\b[^;]*;?\s*$/i;
/** A BEGIN with no options (isolation level, read only, …): the default transaction. */
const PLAIN_BEGIN = /^\s*begin\s*;?\s*$/i;
const END = /^\s*(commit|rollback)\s*;?\s*$/i;
const COMMIT = /^\s*commit\s*;?\s*$/i;
const ROLLBACK = /^\s*rollback\s*;?\s*$/i;

const EMPTY = (command: string) => ({ command, rowCount: null, rows: [], fields: [] });

/** Wraps a pooled pg client's `query` so that its transactions' BEGINs travel with a statement. */
export function deferBegin(client: pg.Client): pg.Client {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const state: HeldBack = { begin: null, write: null };
  held.set(client, state);
  const answer = (result: unknown, callback: Callback | undefined) => {
    if (callback) {
      process.nextTick(callback, null, result);
      return undefined;
    }
    return Promise.resolve(result);
  };
  /** A held-back statement (a BEGIN's text, or a write) sent as a query of its own. */
  const send = (statement: string | Deferred) =>
    original(
      typeof statement === 'string'
        ? statement
        : { text: statement.text, values: statement.values, name: statement.name },
    ) as Promise<unknown>;
  (client as unknown as { query: unknown }).query = (
    config: string | QueryConfig | { submit: unknown },
    values?: unknown,
    callback?: Callback,
  ) => {
    if (typeof values === 'function') {
      callback = values as Callback;
      values = undefined;
    }
    // Submittables (cursors, streams) and anything this does not recognise go as they are.
    if (config === null || typeof config !== 'object' || 'submit' in config) {
      if (typeof config !== 'string') {
        // It would run before the held-back write: refused, the write stays for the COMMIT.
        if (state.write) throw new Error('pg-pipeline: a query object after a held-back write');
        return original(config, values, callback);
      }
      config = { text: config, ...(Array.isArray(values) ? { values } : {}) };
    }
    const q = config as QueryConfig;
    const params = q.values ?? (Array.isArray(values) ? values : undefined);
    if (state.write && state.begin !== null) {
      // The write was held back with the BEGIN: nothing of the transaction has been sent.
      const write = state.write;
      const begin = state.begin;
      state.write = null;
      state.begin = null;
      if (END.test(q.text) && !params?.length) {
        if (!COMMIT.test(q.text)) {
          deferredWrites.dropped++;
          deferredBegins.skipped++;
          return answer(EMPTY('ROLLBACK'), callback);
        }
        // The transaction's only statement: atomic by itself, it runs as its own transaction
        // (one round trip, no BEGIN and COMMIT); its error is the COMMIT's.
        deferredWrites.alone++;
        return sendAfter(send(write), () => answer(EMPTY('COMMIT'), callback), callback);
      }
      // A statement after it after all (rare: it was to be the last): BEGIN, the write, then
      // that statement, each in turn; a failing write fails that statement with its error.
      return sendAfter(
        send(begin).then(() => send(write)),
        () => original(q, params, callback),
        callback,
      );
    }
    if (state.write) {
      const write = state.write;
      state.write = null;
      if (ROLLBACK.test(q.text) && !params?.length) {
        deferredWrites.dropped++;
        return original(q, params, callback);
      }
      if (oneStatement(q.text)) {
        deferredWrites.combined++;
        return after(original, write, { ...q, values: params ?? [] }, callback);
      }
      // Several statements in one text cannot go under the extended protocol: the write first.
      return sendAfter(
        after(original, write, { text: 'select 1', values: [] }, undefined) as Promise<unknown>,
        () => original(q, params, callback),
        callback,
      );
    }
    if (state.begin === null) {
      if (BEGIN.test(q.text) && !params?.length) {
        state.begin = q.text;
        return answer(EMPTY('BEGIN'), callback);
      }
      return original(q, params, callback);
    }
    const begin = state.begin;
    state.begin = null;
    if (END.test(q.text) && !params?.length) {
      // A transaction without a statement: nothing was started, nothing to end.
      deferredBegins.skipped++;
      return answer(EMPTY(q.text.trim().split(/\s|;/)[0]!.toUpperCase()), callback);
    }
    if (!oneStatement(q.text))
      return sendAfter(send(begin), () => original(q, params, callback), callback);
    deferredBegins.combined++;
    return combined(original, begin, { ...q, values: params }, callback);
  };
  return client;
}

/**
 * `next()` once `first` has gone through; when `first` fails, its error is the answer (through
 * `callback`, or the promise returned) and `next` is not called.
 */
function sendAfter(
  first: Promise<unknown>,
  next: () => unknown,
  callback: Callback | undefined,
): Promise<unknown> {
  return first.then(next, (err: Error) => {
    if (callback) callback(err);
    else throw err;
  });
}

/** A text of one statement (no `;` but a trailing one): its results stay those of one statement. */
function oneStatement(text: string): boolean {
  const semi = text.indexOf(';');
  return semi === -1 || semi === text.trimEnd().length - 1;
}

/**
 * `q` as a pg query that runs after statements sent before it under its Sync, answering (through
 * `callback`, or the promise returned when there is none) with `q`'s result alone: the results of
 * the statements before it come first, `q`'s last.
 */
function lastResult(
  q: QueryConfig,
  callback: Callback | undefined,
): { query: PgQuery; promise: Promise<unknown> | undefined } {
  let settle!: Callback;
  const promise = callback
    ? undefined
    : new Promise((resolve, reject) => {
        settle = (err, res) => (err ? reject(err) : resolve(res));
      });
  const done: Callback = (err, res) => {
    const result = Array.isArray(res) ? res[res.length - 1] : res;
    (callback ?? settle)(err, err ? undefined : result);
  };
  const query = new pg.Query(q as never, undefined, done as never) as unknown as PgQuery;
  return { query, promise };
}

/** Runs `begin` and `q` in one write; answers with `q`'s result alone. */
function combined(
  original: (...args: unknown[]) => unknown,
  begin: string,
  q: QueryConfig,
  callback: Callback | undefined,
): unknown {
  const { query, promise } = lastResult(q, callback);
  if (query.requiresPreparation()) {
    const prepare = query.prepare.bind(query);
    query.prepare = (connection) => {
      // Corked by pg around prepare: these and the statement's messages leave in one write.
      connection.parse({ text: begin.replace(/;\s*$/, '') });
      connection.bind({ values: [] });
      connection.execute({});
      prepare(connection);
    };
  } else {
    const sep = /;\s*$/.test(begin) ? ' ' : '; ';
    query.text = `${begin}${sep}${query.text}`;
  }
  original(query);
  return promise;
}

/**
 * Holds `write` back for `client`'s next statement (see the module's comment); false when it must
 * be sent now: the client is not wrapped, another write is held back already, its transaction's
 * BEGIN is held back with options (an isolation level, say), or `write` is a named statement
 * this connection has not prepared yet while the transaction is under way (its first run
 * prepares it the usual way; pg records a name only for the statement it is running). Held back
 * with a plain BEGIN (the transaction has sent nothing yet), a COMMIT next runs it alone, as its
 * own transaction: one round trip where BEGIN with the write and then COMMIT took two.
 */
export function deferStatement(client: pg.Client, write: Deferred): boolean {
  const state = held.get(client);
  if (!state || state.write) return false;
  if (state.begin !== null && !PLAIN_BEGIN.test(state.begin)) return false;
  const connection = (client as unknown as { connection: PgConnection }).connection;
  // (With the BEGIN held back, it goes as a query of its own: pg prepares it then if need be.)
  if (state.begin === null && write.name && connection.parsedStatements[write.name] !== write.text)
    return false;
  state.write = write;
  return true;
}

/** Runs `write` then `q` in one write; answers with `q`'s result alone (or `write`'s error). */
function after(
  original: (...args: unknown[]) => unknown,
  write: Deferred,
  q: QueryConfig,
  callback: Callback | undefined,
): unknown {
  // The extended protocol whatever `q` is, so that both go under one Sync.
  const { query, promise } = lastResult({ ...q, queryMode: 'extended' }, callback);
  const prepare = query.prepare.bind(query);
  query.prepare = (connection) => {
    // Corked by pg around prepare: these and the statement's messages leave in one write.
    if (!write.name) connection.parse({ text: write.text });
    connection.bind({
      statement: write.name ?? '',
      values: write.values,
      valueMapper: prepareValue,
    });
    connection.describe({ type: 'P', name: '' });
    connection.execute({});
    prepare(connection);
  };
  original(query);
  return promise;
}
