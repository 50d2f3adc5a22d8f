import http from 'node:http';
import type { GqlError, GqlResult } from './client.js';

/** Where a test request comes from: a local source address (e.g. 127.0.0.2) and extra headers. */
export interface Origin {
  /** Loopback is 127.0.0.0/8: a client bound to 127.0.0.2 is a different address to the server. */
  localAddress?: string;
  headers?: Record<string, string>;
}

/** One GraphQL-over-HTTP call sent from `origin` (node:http, so the source address can be set). */
export function gqlFrom<T = any>(
  url: string,
  origin: Origin,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
): Promise<GqlResult<T>> {
  const body = JSON.stringify({ query, variables });
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress: origin.localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          accept: 'application/graphql-response+json, application/json',
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
          ...origin.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            data?: T;
            errors?: GqlError[];
          };
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          }
          resolve({
            status: res.statusCode ?? 0,
            data: parsed.data,
            errors: parsed.errors,
            headers,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
