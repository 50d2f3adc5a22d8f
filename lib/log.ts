import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, stdTimeFunctions, type Logger } from 'pino';

/** What every log line written during one request carries. */
export interface LogScope {
  requestId?: string;
  traceId?: string;
}

const scopes = new AsyncLocalStorage<LogScope>();

/** Runs `fn` with a log scope of its own (one per HTTP request or socket message). */
export function withLogScope<T>(fn: () => T, scope: LogScope = {}): T {
  return scopes.run(scope, fn);
}

/** Fills in the current scope once the request id (or trace id) is known. */
export function annotateLogScope(values: LogScope): void {
  const scope = scopes.getStore();
  if (scope) Object.assign(scope, values);
}

/**
 * Keys whose values never reach a log line, wherever they appear (credentials, passwords,
 * invitation codes, webhook and block secrets).
 */
const REDACT = [
  'authorization',
  'password',
  'token',
  'key',
  'secret',
  'code',
  'credential',
].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/**
 * The process's logger: JSON lines on stdout (through `process.stdout.write`, so whatever
 * watches the process's output sees them), ISO times, level names, and the request id and
 * trace id of the request being served on every line written while serving it.
 */
export const log: Logger = pino(
  {
    level: 'info',
    messageKey: 'msg',
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin: () => {
      const scope = scopes.getStore();
      return scope ? { requestId: scope.requestId, traceId: scope.traceId } : {};
    },
  },
  process.stdout,
);

/** LOG_LEVEL of the env module (read once at start). */
export function setLogLevel(level: string): void {
  log.level = level;
}

/** An error as a log field: its message only (stacks stay out of client-triggered lines). */
/** How an error is written into a log line: described, never with SQL or its values. */
export const errorField = (err: unknown) => describeError(err);

/** Properties of database errors (PostgreSQL, SQLite) that name what failed, never a value. */
const DB_ERROR_FIELDS = ['code', 'sqlState', 'table', 'column', 'constraint', 'routine'] as const;

/** A SQL statement at the start of a message, as drivers and MikroORM write it (`<sql> - <why>`). */
const SQL_TEXT =
  /^\s*(select|insert|update|delete|with|create|alter|drop|pragma|begin|commit|rollback|savepoint|release|set|lock|truncate)\b/i;

function isDatabaseError(e: Error & Record<string, unknown>): boolean {
  // MikroORM's DriverException and subclasses keep the driver's properties (code, sqlState, …).
  if (/Exception$/.test(e.name) && ('sqlState' in e || 'errno' in e || 'code' in e)) return true;
  if (
    typeof e.code === 'string' &&
    (/^SQLITE_/.test(e.code) || /^(?=.*\d)[0-9A-Z]{5}$/.test(e.code))
  )
    return true;
  return SQL_TEXT.test(e.message);
}

/**
 * What a log line may say about an error. A database error's message holds the statement with
 * its bound values (a name, an email, a secret being written), and PostgreSQL's detail repeats
 * values too: only the error's class, code and the names of the table, column or constraint are
 * kept. Other errors keep their message, unless it starts with SQL.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) {
    const text = typeof err === 'string' ? err : 'a non-error value was thrown';
    return SQL_TEXT.test(text) ? '[SQL text withheld]' : text.slice(0, 500);
  }
  const e = err as Error & Record<string, unknown>;
  if (isDatabaseError(e)) {
    const parts = DB_ERROR_FIELDS.filter(
      (k) => typeof e[k] === 'string' || typeof e[k] === 'number',
    ).map((k) => `${k}=${String(e[k]).slice(0, 100)}`);
    return `${e.name} (database error${parts.length ? `; ${parts.join(', ')}` : ''}; statement and values withheld)`;
  }
  return `${e.name}: ${e.message}`.slice(0, 2000);
}
