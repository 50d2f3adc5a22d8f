import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { logsUnexpectedErrors } from './env.js';
import { errorField, log } from './log.js';

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

/**
 * A document that does not validate against the schema keeps Apollo's code (what Apollo
 * clients and tools look for); the other document errors read as BAD_USER_INPUT.
 */
export const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';

/** Apollo's own codes for documents that fail to parse or cannot run. */
const CLIENT_DOCUMENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
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
  if (code && (KNOWN.has(code) || code === VALIDATION_FAILED) && !masked)
    return { ...formatted, extensions: ext };
  if (code && CLIENT_DOCUMENT_CODES.has(code)) {
    return { ...formatted, extensions: { ...ext, code: 'BAD_USER_INPUT' } };
  }
  // Apollo Server's own refusals of a request that carry no code name their 4xx status (a
  // persisted query whose hash does not match its text).
  const status = (original as { extensions?: { http?: { status?: unknown } } } | undefined)
    ?.extensions?.http?.status;
  if (
    code === 'INTERNAL_SERVER_ERROR' &&
    !(original as { extensions?: { code?: unknown } } | undefined)?.extensions?.code &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  )
    return { ...formatted, extensions: { ...ext, code: 'BAD_USER_INPUT' } };
  if (!code && formatted.message.startsWith('Variable "$')) {
    return { ...formatted, extensions: { ...ext, code: 'BAD_USER_INPUT' } };
  }
  if (logsUnexpectedErrors()) {
    const cause = (original as { originalError?: unknown })?.originalError ?? original;
    log.error({ error: errorField(cause) }, 'unexpected error');
  }
  return {
    message: 'Internal server error',
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ext.requestId },
  };
}

/** The status and headers an answer's errors ask for (their `http` extensions). */
export interface ErrorsHead {
  status?: number;
  headers: Map<string, string>;
}

/**
 * A result's errors as Apollo Server formats them (`normalizeAndFormatErrors`), for the paths
 * that answer without it (lib/subgraph-executor, gateway/src/pipeline): each error's `http`
 * extension sets `head`'s status and headers and is removed, its code defaults to
 * INTERNAL_SERVER_ERROR, then `formatError`; an error in formatting becomes "Internal server
 * error".
 */
export function formatResultErrors(
  errors: readonly GraphQLError[],
  head: ErrorsHead,
): GraphQLFormattedError[] {
  return errors.map((error) => {
    try {
      // graphql-jit's errors leave `extensions` undefined when the thrown error had none.
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions?.code ?? 'INTERNAL_SERVER_ERROR',
      };
      const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
      if (
        http &&
        typeof http === 'object' &&
        (http.status === undefined || typeof http.status === 'number') &&
        (http.headers === undefined || http.headers instanceof Map)
      ) {
        if (http.status !== undefined) head.status = http.status as number;
        for (const [k, v] of (http.headers as Map<string, string> | undefined) ?? [])
          head.headers.set(k, v);
        delete extensions.http;
      }
      return formatError({ ...error.toJSON(), extensions }, error);
    } catch {
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  });
}
