/**
 * A lean GraphQL-over-HTTP client for load generation: node:http on a keep-alive agent, so the
 * load generator (which shares the machine's cores with the server it measures) spends little
 * CPU per call. Errors in the answer throw.
 */
import { Agent, request } from 'node:http';

export type GraphqlCall = (query: string, variables?: Record<string, unknown>) => Promise<any>;

/** Calls to `url` with `token`, over at most `sockets` keep-alive connections. */
export function graphqlClient(url: string, token: string | undefined, sockets = 64): GraphqlCall {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const u = new URL(url);
  return (query, variables) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query, variables });
      const req = request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                data?: unknown;
                errors?: unknown[];
              };
              if (parsed.errors?.length || !parsed.data)
                reject(new Error(`${res.statusCode}: ${JSON.stringify(parsed.errors)}`));
              else resolve(parsed.data);
            } catch (err) {
              reject(err as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

export type RestCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

/**
 * Calls to the REST layer under `base` with `token` (same agent settings as graphqlClient);
 * a status outside 2xx throws.
 */
export function restClient(base: string, token: string, sockets = 64): RestCall {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const u = new URL(base);
  return (method, path, payload) =>
    new Promise((resolve, reject) => {
      const body = payload === undefined ? '' : JSON.stringify(payload);
      const req = request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: `${u.pathname}${path}`,
          method,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) reject(new Error(`${res.statusCode}: ${text}`));
            else resolve(text ? JSON.parse(text) : null);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}
