import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The only error codes a client ever sees (ARCHITECTURE.md, "Schema as a product"). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
};

function error(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...extra, ...(status ? { http: { status } } : {}) },
  });
}

export const unauthenticated = (message = 'Authentication required') =>
  error('UNAUTHENTICATED', message);
export const forbidden = (permission: string, message?: string) =>
  error('FORBIDDEN', message ?? `Missing permission: ${permission}`, { permission });
/** What a refused request asked for, kept off the wire (audit log, lib/subgraph.ts). */
export interface Denial {
  /**
   * MISSING_PERMISSION: a member without the permission (FORBIDDEN). NOT_A_MEMBER: the object
   * belongs to a tenant the caller is not in (the caller sees NOT_FOUND; the tenant's owners
   * see the probe). IP_NOT_ALLOWED: a member whose grants in the tenant were withheld for the
   * request's address (the account's IP allow-list).
   */
  reason: 'MISSING_PERMISSION' | 'NOT_A_MEMBER' | 'IP_NOT_ALLOWED';
  /** CASL action and subject type, e.g. `create` `Flow`. */
  action: string;
  subject: string;
  permission: string;
  accountId: string | null;
  workspaceId: string | null;
}

const DENIALS = new WeakMap<object, Denial>();

/** The `permission` of a denial caused by an account's IP allow-list (not a real permission). */
export const IP_ALLOW_LIST = 'ip-allow-list';
export const IP_NOT_ALLOWED_MESSAGE =
  "This account accepts requests only from the addresses on its IP allow-list, and this request's address is not on it";

/** FORBIDDEN (HTTP 403) for a request refused outright by an account's IP allow-list. */
export const ipNotAllowed = () =>
  new GraphQLError(IP_NOT_ALLOWED_MESSAGE, {
    extensions: { code: 'FORBIDDEN', reason: 'IP_NOT_ALLOWED', http: { status: 403 } },
  });

/** A FORBIDDEN error that the subgraph's audit plugin will record as a denied request. */
export function forbiddenDenial(denial: Denial, message?: string): GraphQLError {
  const err =
    denial.permission === IP_ALLOW_LIST
      ? error('FORBIDDEN', IP_NOT_ALLOWED_MESSAGE, { reason: 'IP_NOT_ALLOWED' })
      : forbidden(denial.permission, message);
  DENIALS.set(err, denial);
  return err;
}

/**
 * The NOT_FOUND a non-member gets for an object of another tenant; the subgraph's audit plugin
 * records the probe in that tenant's log (bounded). The answer itself is a plain NOT_FOUND.
 */
export function notFoundDenial(what: string, denial: Denial): GraphQLError {
  return withDenial(notFound(what), denial);
}

/** Marks any error (e.g. a BAD_USER_INPUT that must not disclose a tenant) as a denied request. */
export function withDenial<E extends object>(err: E, denial: Denial): E {
  DENIALS.set(err, denial);
  return err;
}

/** The denial behind an error (or the error it wraps), if `authorize` raised it. */
export function denialOf(err: unknown): Denial | undefined {
  if (!err || typeof err !== 'object') return undefined;
  return (
    DENIALS.get(err) ?? denialOf((err as { originalError?: unknown }).originalError ?? undefined)
  );
}

export const notFound = (what: string) => error('NOT_FOUND', `${what} not found`);

/** RATE_LIMITED (HTTP 429 with Retry-After at the gateway, see gateway/src/retry-after.ts). */
export const rateLimited = (retryAfterSeconds: number, message: string) =>
  error('RATE_LIMITED', message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
export const conflict = (field: string, message: string) => error('CONFLICT', message, { field });
export const badInput = (field: string, message: string) =>
  error('BAD_USER_INPUT', message, { field });

const KNOWN: ReadonlySet<string> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
]);

/** Apollo's own codes for documents that fail to parse or validate. */
const CLIENT_DOCUMENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * One formatter for every server: known codes pass through, client document errors become
 * BAD_USER_INPUT, anything else is masked as INTERNAL_SERVER_ERROR (no stack, path, SQL, or
 * subgraph name: the planner's "Error while fetching subquery from service …" and the
 * `serviceName` it adds never reach clients).
 */
export function formatError(
  formatted: GraphQLFormattedError,
  original?: unknown,
): GraphQLFormattedError {
  const ext = { ...(formatted.extensions ?? {}) } as Record<string, unknown>;
  delete ext.stacktrace;
  delete ext.http;
  // The gateway's planner names the subgraph a fetched error came from: internal topology.
  delete ext.serviceName;
  const code = typeof ext.code === 'string' ? ext.code : undefined;
  // Apollo labels any thrown error INTERNAL_SERVER_ERROR, message (SQL included) and all: only
  // the already-masked message passes through.
  const masked = code === 'INTERNAL_SERVER_ERROR' && formatted.message !== 'Internal server error';
  if (code && KNOWN.has(code) && !masked) return { ...formatted, extensions: ext };
  if (code && CLIENT_DOCUMENT_CODES.has(code)) {
    return { ...formatted, extensions: { ...ext, code: 'BAD_USER_INPUT' } };
  }
  if (!code && formatted.message.startsWith('Variable "$')) {
    return { ...formatted, extensions: { ...ext, code: 'BAD_USER_INPUT' } };
  }
  if (process.env.FLOWPLANE_LOG_ERRORS !== 'false') {
    const cause = (original as { originalError?: unknown })?.originalError ?? original;
    console.error(
      JSON.stringify({ level: 'error', msg: 'unexpected error', error: describeError(cause) }),
    );
  }
  return {
    message: 'Internal server error',
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ext.requestId },
  };
}

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
