import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [k: string]: unknown };
}

export interface GqlResult<T = any> {
  status: number;
  data?: T | null;
  errors?: GqlError[];
  headers: Headers;
}

/** One GraphQL-over-HTTP call, as any client makes it. */
export async function gqlRequest<T = any, V = Record<string, unknown>>(
  url: string,
  query: string | DocumentNode | TypedDocumentNode<T, V>,
  variables?: V,
  token?: string,
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GqlError[] };
  return { status: res.status, data: body.data, errors: body.errors, headers: res.headers };
}

/** The error codes of a result, for terse assertions. */
export const codes = (r: { errors?: GqlError[] }) =>
  (r.errors ?? []).map((e) => e.extensions?.code);
