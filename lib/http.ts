import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { jsonDepthExceeds, MAX_BODY_DEPTH } from './input-edges.js';
import { annotateLogScope, errorField, log, withLogScope } from './log.js';
import { currentTraceId, traceHttpRequest } from './tracing.js';

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * One step of the HTTP server, run in list order before GraphQL: it answers the request and
 * returns true, or returns false to pass it on (it may set response headers first, as CORS does).
 */
export type HttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => boolean | Promise<boolean>;

/** A handler for every path under a prefix (`/api/` of the REST layer, `/auth/sso/`, …). */
export function prefix(start: string, fn: Route): HttpHandler {
  return async (req, res, url) => {
    if (!url.pathname.startsWith(start)) return false;
    await fn(req, res);
    return true;
  };
}

/** A handler for one exact path (any method unless `methods` is given). */
export function route(path: string, fn: Route, methods?: string[]): HttpHandler {
  return async (req, res, url) => {
    if (url.pathname !== path || (methods && !methods.includes(req.method ?? 'GET'))) return false;
    await fn(req, res);
    return true;
  };
}

export interface HttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  /** Builds the per-request context from the HTTP request (authentication happens here). */
  context: (req: IncomingMessage) => Promise<C>;
  /** The ordered handlers in front of GraphQL (CORS, explorer, metrics, health, REST, …). */
  handlers?: HttpHandler[];
  graphqlPath?: string;
  /** Called once per request with its outcome (metrics). */
  observe?: (req: IncomingMessage, res: ServerResponse, url: URL) => void;
  /**
   * Answers a POST of a JSON object without Apollo Server when it can (the subgraphs'
   * executor, lib/subgraph-executor.ts; the gateway's pipeline, gateway/src/pipeline.ts);
   * undefined hands the request to Apollo Server. `context` is the request's: built once, Apollo
   * Server gets the same one.
   */
  direct?: (
    body: Record<string, unknown>,
    req: IncomingMessage,
    context: () => Promise<C>,
  ) => Promise<GraphQLHttpResponse | undefined>;
  /** Headers every GraphQL answer carries, read once the operation has run. */
  answerHeaders?: () => Record<string, string>;
}

/** One GraphQL-over-HTTP request as Apollo Server takes it. */
export interface GraphQLHttpRequest {
  method: string;
  headers: IncomingMessage['headers'];
  search: string;
  body: unknown;
}

/** Apollo's answer, its body read whole. */
export interface GraphQLHttpResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Runs one request through Apollo Server exactly as POST /graphql does (every plugin: limits,
 * rate limit, request id, request log, audit): the HTTP GraphQL endpoint and the REST layer
 * share it.
 */
export async function executeGraphQLHttp<C extends BaseContext>(
  apollo: ApolloServer<C>,
  request: GraphQLHttpRequest,
  context: () => Promise<C>,
): Promise<GraphQLHttpResponse> {
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: request.method,
      headers: headerMapOf(request.headers),
      search: request.search,
      body: request.body,
    },
    context,
  });
  let body = '';
  if (result.body.kind === 'complete') body = result.body.string;
  else for await (const chunk of result.body.asyncIterator) body += chunk;
  return { status: result.status ?? 200, headers: new Map(result.headers), body };
}

/**
 * `request` answered by `direct` when it takes it (undefined: it does not), else by Apollo
 * Server (`executeGraphQLHttp`). The request's context is built at most once, whichever answers:
 * `direct` may build it and then step aside, and Apollo Server gets the same one.
 */
export async function answerGraphQLHttp<C extends BaseContext>(
  apollo: ApolloServer<C>,
  request: GraphQLHttpRequest,
  context: () => Promise<C>,
  direct?: (context: () => Promise<C>) => Promise<GraphQLHttpResponse | undefined>,
): Promise<GraphQLHttpResponse> {
  let built: Promise<C> | undefined;
  const once = () => (built ??= context());
  return (await direct?.(once)) ?? executeGraphQLHttp(apollo, request, once);
}

/** A request's headers as Apollo Server takes them (repeated ones joined). */
export function headerMapOf(headers: GraphQLHttpRequest['headers']): HeaderMap {
  const map = new HeaderMap();
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) map.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  return map;
}

/** A request body over the limit (413). */
export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new BodyTooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A small node:http adapter around Apollo Server's `executeHTTPGraphQLRequest`: it keeps the
 * `http.Server` in our hands (graphql-ws attaches to it) and adds plain routes.
 */
export function createHttpServer<C extends BaseContext>(opts: HttpOptions<C>): Server {
  const path = opts.graphqlPath ?? '/graphql';
  return createServer((req, res) =>
    withLogScope(() =>
      traceHttpRequest(req.method ?? 'GET', req.url?.split('?')[0] ?? '/', req.headers, () => {
        annotateLogScope({ traceId: currentTraceId() });
        return handle(req, res);
      }),
    ),
  );
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    opts.observe?.(req, res, url);
    try {
      for (const handle of opts.handlers ?? []) if (await handle(req, res, url)) return;
      if (url.pathname !== path) return sendJson(res, 404, { error: 'not found' });
      let body: unknown = undefined;
      if (req.method === 'POST') {
        const raw = await readBody(req, MAX_BODY_BYTES);
        const type = req.headers['content-type'] ?? '';
        if (
          type.includes('application/json') ||
          type.includes('application/graphql-response+json')
        ) {
          try {
            body = raw.length ? JSON.parse(raw) : undefined;
          } catch {
            return sendJson(res, 400, {
              errors: [{ message: 'Malformed JSON body', extensions: { code: 'BAD_USER_INPUT' } }],
            });
          }
          // Whatever walks the body next (variable coercion, planning, a subgraph call) recurses.
          if (jsonDepthExceeds(body, MAX_BODY_DEPTH))
            return sendJson(res, 400, {
              errors: [
                {
                  message: `The JSON body is nested deeper than ${MAX_BODY_DEPTH} levels`,
                  extensions: { code: 'BAD_USER_INPUT', field: 'variables' },
                },
              ],
            });
        } else body = raw;
      }
      const direct = opts.direct;
      const answer = await answerGraphQLHttp(
        opts.apollo,
        { method: req.method ?? 'GET', headers: req.headers, search: url.search, body },
        () => opts.context(req),
        direct && body && typeof body === 'object' && !Array.isArray(body)
          ? (context) => direct(body as Record<string, unknown>, req, context)
          : undefined,
      );
      res.statusCode = answer.status;
      for (const [k, v] of Object.entries(opts.answerHeaders?.() ?? {})) res.setHeader(k, v);
      for (const [k, v] of answer.headers) {
        // Keep what earlier handlers varied on (CORS: Origin) beside Apollo's own.
        const before = k === 'vary' ? res.getHeader('vary') : undefined;
        res.setHeader(k, before ? `${before}, ${v}` : v);
      }
      res.end(answer.body);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        return sendJson(res, 413, {
          errors: [{ message: 'Request body too large', extensions: { code: 'BAD_USER_INPUT' } }],
        });
      }
      log.error({ error: errorField(err) }, 'http handler failed');
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [
            { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
          ],
        });
      else res.end();
    }
  }
}

/** Listens on `port` (0 = any free port) and resolves the bound port. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Graceful close: stop accepting, let in-flight requests finish (idle keep-alive connections
 * close at once), and cut what is still open after `graceMs`.
 */
export function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Reads `Authorization: Bearer <token>`. */
export function bearer(req: { headers: IncomingMessage['headers'] }): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : '';
}
