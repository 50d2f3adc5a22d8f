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
export const errorField = (err: unknown) => (err instanceof Error ? err.message : String(err));
