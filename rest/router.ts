import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import type { z } from 'zod';
import { BodyTooLarge, MAX_BODY_BYTES, readBody, sendJson } from '../lib/http.js';
import { Lru } from '../lib/lru.js';
import { credentialOf } from './credentials.js';
import { graphqlErrorResponse, unprocessable, type PrefectError } from './errors.js';
import { WorkspaceOfAccountDocument } from './generated/graphql.js';
import {
  Answer,
  invalidPathParams,
  matchSegments,
  RestNotFound,
  type Route,
  type RouteInput,
} from './route.js';

/** What the REST layer needs of the gateway: its request pipeline, nothing else. */
export interface Pipeline {
  execute(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    credential: string | undefined,
    operation: { query: string; operationName: string; variables: Record<string, unknown> },
  ): Promise<{ status: number; headers: Map<string, string>; body: string }>;
}

/** Headers of the pipeline's answer a REST client gets too. */
const PASSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

const WORKSPACE_PREFIX = /^\/api\/accounts\/([^/]+)\/workspaces\/([^/]+)(\/.*)?$/;

interface Printed {
  query: string;
  operationName: string;
}

/** The outcome of one operation: data, or the Prefect error to answer with. */
export type OperationOutcome<D> =
  | { ok: true; data: D; headers: Record<string, string> }
  | { ok: false; error: PrefectError; headers: Record<string, string> };

/**
 * Answers `/api/*`: finds the route, validates the body, runs the route's GraphQL operation
 * through the gateway's pipeline with the caller's credential, and maps the answer. Unknown
 * paths are logged (they show what a Prefect client needs that is not there yet).
 */
export class RestRouter {
  private readonly printed = new WeakMap<DocumentNode, Printed>();
  /** Workspace id → its account id, as the pipeline answered it for some caller (immutable). */
  private readonly accountOf = new Lru<string, string>(10_000);

  constructor(
    private readonly pipeline: Pipeline,
    private readonly routes: readonly Route[],
    private readonly log: boolean,
  ) {}

  /** Runs one operation for a caller; shared with the event sockets. */
  async run<D>(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    credential: string | undefined,
    document: DocumentNode,
    variables: Record<string, unknown>,
    fields?: Record<string, string>,
  ): Promise<OperationOutcome<D>> {
    const op = this.print(document);
    const res = await this.pipeline.execute(req, credential, { ...op, variables });
    const headers: Record<string, string> = {};
    for (const h of PASSED_HEADERS) {
      const v = res.headers.get(h);
      if (v !== undefined) headers[h] = v;
    }
    let parsed: {
      data?: D | null;
      errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    };
    try {
      parsed = JSON.parse(res.body);
    } catch {
      return {
        ok: false,
        headers,
        error: { status: 500, body: { detail: 'Internal server error' } },
      };
    }
    if (parsed.errors?.length) {
      return {
        ok: false,
        headers,
        error: graphqlErrorResponse(parsed.errors[0], res.status, fields),
      };
    }
    return { ok: true, data: parsed.data as D, headers };
  }

  /** True when the request was answered here. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    let scope: 'workspace' | 'root' = 'root';
    let accountId = '';
    let workspaceId = '';
    let rest = url.pathname.slice('/api'.length);
    const ws = WORKSPACE_PREFIX.exec(url.pathname);
    if (ws) {
      scope = 'workspace';
      accountId = decodeURIComponent(ws[1]);
      workspaceId = decodeURIComponent(ws[2]);
      rest = ws[3] ?? '/';
    }
    const segments = rest.split('/').filter(Boolean).map(decodeURIComponent);
    let found: { route: Route; params: Record<string, string> } | null = null;
    let otherMethod = false;
    for (const r of this.routes) {
      if (r.scope !== scope) continue;
      const params = matchSegments(r, segments);
      if (!params) continue;
      if (r.method !== method) {
        otherMethod = true;
        continue;
      }
      found = { route: r, params };
      break;
    }
    if (!found) {
      if (this.log && !otherMethod)
        console.warn(
          JSON.stringify({ level: 'warn', msg: 'rest: no such route', method, path: url.pathname }),
        );
      return otherMethod
        ? sendJson(res, 405, { detail: 'Method Not Allowed' })
        : sendJson(res, 404, { detail: 'Not Found' });
    }
    const { route, params } = found;
    const badParams = invalidPathParams(route, params);
    if (badParams.length) return send(res, unprocessable(badParams));

    let body: unknown = undefined;
    if (method !== 'GET' && method !== 'DELETE') {
      let raw: string;
      try {
        raw = await readBody(req, MAX_BODY_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('connection', 'close');
          return sendJson(res, 413, { detail: 'Request body too large' });
        }
        throw err;
      }
      if (raw.trim().length) {
        try {
          body = JSON.parse(raw);
        } catch (err) {
          return send(
            res,
            unprocessable([
              {
                loc: ['body'],
                msg: `JSON decode error: ${(err as Error).message}`,
                type: 'json_invalid',
              },
            ]),
          );
        }
      }
    }
    if (route.body) {
      const parsed = (route.body as z.ZodType).safeParse(
        body ?? (route.body.def.type === 'object' ? {} : body),
      );
      if (!parsed.success) {
        return send(
          res,
          unprocessable(
            parsed.error.issues.map((i) => ({
              loc: ['body', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
              msg: i.message,
              type: i.code,
            })),
          ),
        );
      }
      body = parsed.data;
    }
    const input: RouteInput<unknown> = {
      params,
      query: url.searchParams,
      body,
      workspaceId,
      accountId,
      headers: req.headers,
    };
    const credential = credentialOf(req);

    // Prefect's API is for authenticated clients only (the fixed answers aside).
    if (credential === undefined && route.operation) {
      return sendJson(res, 401, { detail: 'Not authenticated' });
    }
    if (scope === 'workspace') {
      const checked = await this.checkWorkspace(req, credential, accountId, workspaceId);
      if (checked) return send(res, checked.error, checked.headers);
    }
    if (!route.operation) return this.answer(res, route, route.result(undefined, input), {});
    let variables: Record<string, unknown>;
    try {
      const lookup = route.lookup?.variables(input);
      if (route.lookup && lookup) {
        const found = await this.run(
          req,
          credential,
          route.lookup.operation as DocumentNode,
          lookup,
        );
        if (!found.ok) return send(res, found.error, found.headers);
        input.found = route.lookup.result(found.data, input);
      }
      variables = (route.variables?.(input) ?? {}) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof RestNotFound) return sendJson(res, 404, { detail: err.message });
      throw err;
    }
    const outcome = await this.run(
      req,
      credential,
      route.operation as DocumentNode,
      variables,
      route.fields,
    );
    if (!outcome.ok) return send(res, outcome.error, outcome.headers);
    let result: unknown;
    try {
      result = route.result(outcome.data, input);
    } catch (err) {
      if (err instanceof RestNotFound)
        return send(res, { status: 404, body: { detail: err.message } }, outcome.headers);
      throw err;
    }
    return this.answer(res, route, result, outcome.headers);
  }

  /**
   * The URL's workspace must be one the caller can see and belong to the URL's account: 404
   * otherwise, like Prefect Cloud. Its account is remembered once seen (it never changes); the
   * caller's access is still checked by every operation. `fresh` asks the pipeline every time
   * (the event sockets: their auth answer must reflect the credential as it is now).
   */
  async checkWorkspace(
    req: IncomingMessage,
    credential: string | undefined,
    accountId: string,
    workspaceId: string,
    fresh = false,
  ): Promise<{ error: PrefectError; headers: Record<string, string> } | null> {
    let owner = fresh ? undefined : this.accountOf.get(workspaceId);
    if (owner === undefined) {
      const outcome = await this.run<{ workspace: { id: string; account: { id: string } } | null }>(
        req,
        credential,
        WorkspaceOfAccountDocument,
        { id: workspaceId },
      );
      if (!outcome.ok) {
        const error =
          outcome.error.status === 422
            ? { status: 404, body: { detail: 'Workspace not found' } }
            : outcome.error;
        return { error, headers: outcome.headers };
      }
      if (!outcome.data.workspace)
        return {
          error: { status: 404, body: { detail: 'Workspace not found' } },
          headers: outcome.headers,
        };
      owner = outcome.data.workspace.account.id;
      this.accountOf.set(workspaceId, owner);
    }
    if (owner !== accountId)
      return { error: { status: 404, body: { detail: 'Workspace not found' } }, headers: {} };
    return null;
  }

  private answer(
    res: ServerResponse,
    route: Route,
    result: unknown,
    headers: Record<string, string>,
  ) {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    let status = route.status ?? 200;
    if (result instanceof Answer) {
      for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
      status = result.status;
      if (
        typeof result.body === 'string' &&
        /^text\/plain/.test(result.headers['content-type'] ?? '')
      ) {
        res.writeHead(status);
        res.end(result.body);
        return;
      }
      result = result.body;
    }
    if (status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    sendJson(res, status, result ?? null);
  }

  private print(document: DocumentNode): Printed {
    let p = this.printed.get(document);
    if (!p) {
      const name = getOperationAST(document)?.name?.value;
      if (!name) throw new Error('REST operations must be named');
      p = { query: print(document), operationName: name };
      this.printed.set(document, p);
    }
    return p;
  }
}

function send(res: ServerResponse, error: PrefectError, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, error.status, error.body);
}
