import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { z } from 'zod';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * Where a route lives: `workspace` under `/api/accounts/{accountId}/workspaces/{workspaceId}`
 * (Prefect Cloud's workspace URL, the client's PREFECT_API_URL), `root` under `/api`.
 */
export type Scope = 'workspace' | 'root';

/** What a route's mappings see of one request. */
export interface RouteInput<B> {
  params: Record<string, string>;
  query: URLSearchParams;
  body: B;
  /** The URL's workspace (workspace routes only). */
  workspaceId: string;
  accountId: string;
  /** Request headers (e.g. the worker name Prefect's workers send). */
  headers: Record<string, string | string[] | undefined>;
  /** What the route's lookup found (routes with a `lookup`). */
  found?: any;
}

/**
 * A query a route runs before its operation, to find what the URL or body names by name (a
 * work pool, a deployment) and pass it to the operation's mapping as `found`.
 */
export interface Lookup<B> {
  operation: TypedDocumentNode<any, any>;
  /** The lookup's variables; null when there is nothing to look up. */
  variables: (input: RouteInput<B>) => Record<string, unknown> | null;
  /** What the mappings get as `found`; `notFound(...)` when the data says absent. */
  result: (data: any, input: RouteInput<B>) => unknown;
}

/** A route: one named GraphQL operation plus pure mappings (CONVENTIONS.md item 16). */
export interface RouteSpec<D, V, B> {
  /** The GraphQL document run through the gateway; absent for fixed answers (health, version). */
  operation?: TypedDocumentNode<D, V>;
  /** A query run first to find what the request names by name (its result is `found`). */
  lookup?: Lookup<B>;
  /** Prefect's request body, validated before anything runs (422 otherwise). */
  body?: z.ZodType<B>;
  /** Prefect's answer (the OpenAPI document's response schema). */
  response?: z.ZodType;
  variables?: (input: RouteInput<B>) => V;
  /** Prefect's JSON from the operation's data; `notFound(...)` when the data says absent. */
  result: (data: D, input: RouteInput<B>) => unknown;
  /** Success status (default 200). */
  status?: number;
  /**
   * The other answers `result` may give (`new Answer(status, …)`), declared for the OpenAPI
   * document: a JSON `{ detail }` body unless `contentType` says otherwise.
   */
  answers?: Record<number, { description: string; contentType?: string; headers?: string[] }>;
  summary: string;
  /** Longer text for the OpenAPI document (e.g. what a Flowplane extension adds). */
  description?: string;
  tags: string[];
  /** Input paths of the GraphQL variables → Prefect body paths, for 422 `loc` (default: snake_case). */
  fields?: Record<string, string>;
  /** Path parameters named `*_id` that are not UUIDs (e.g. a resource id such as `prefect.deployment.<id>`). */
  stringParams?: string[];
  /** Query parameters the route reads (documented in OpenAPI). */
  queryParams?: string[];
}

export interface Route<D = any, V = any, B = any> extends RouteSpec<D, V, B> {
  method: Method;
  path: string;
  scope: Scope;
  /** Path segments; `{name}` segments capture. */
  segments: string[];
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter(Boolean);
}

/** A workspace route (`/api/accounts/{accountId}/workspaces/{workspaceId}` + path). */
export function route<D, V, B = unknown>(
  method: Method,
  path: string,
  spec: RouteSpec<D, V, B>,
): Route<D, V, B> {
  return { method, path, scope: 'workspace', segments: segmentsOf(path), ...spec };
}

/** A route under `/api` itself (the account-level routes of `prefect cloud login`). */
export function rootRoute<D, V, B = unknown>(
  method: Method,
  path: string,
  spec: RouteSpec<D, V, B>,
): Route<D, V, B> {
  return { method, path, scope: 'root', segments: segmentsOf(path), ...spec };
}

/** The OpenAPI tag of routes and fields that are not in Prefect's API. */
export const FLOWPLANE_EXTENSIONS = 'Flowplane extensions';

/** Thrown by a result mapping: the object the URL names is not there (404). */
export class RestNotFound extends Error {}

/** The route's answer when the data says the object is absent or in another workspace. */
export function notFound(what: string): never {
  throw new RestNotFound(`${what} not found`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A path parameter's type, as Prefect declares it: `id` and `*_id` are UUIDs unless the route's
 * `stringParams` names them, the rest are strings. One source for the OpenAPI document and the
 * router's 422s.
 */
export function pathParamIsUuid(route: Pick<Route, 'stringParams'>, name: string): boolean {
  return (name === 'id' || name.endsWith('_id')) && !route.stringParams?.includes(name);
}

/** The path parameters that are not what the route declares (FastAPI-style 422 details). */
export function invalidPathParams(
  route: Pick<Route, 'stringParams'>,
  params: Record<string, string>,
): Array<{ loc: [string, string]; msg: string; type: string }> {
  return Object.entries(params)
    .filter(([name, value]) => pathParamIsUuid(route, name) && !UUID.test(value))
    .map(([name]) => ({
      loc: ['path', name],
      msg: 'Input should be a valid UUID',
      type: 'uuid_parsing',
    }));
}

/** Matches `segments` against a route's; returns the captured parameters or null. */
export function matchSegments(route: Route, segments: string[]): Record<string, string> | null {
  if (route.segments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i];
    if (want.startsWith('{') && want.endsWith('}')) {
      params[want.slice(1, -1)] = segments[i];
    } else if (want !== segments[i]) return null;
  }
  return params;
}

/** A result mapping's answer with its own status and headers (e.g. 423 + Retry-After). */
export class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}
