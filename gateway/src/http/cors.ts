import type { HttpHandler } from '../../../lib/http.js';

/** Request headers a browser client of the API may send (the preflight allows these). */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
];
/** Response headers a browser client may read. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];
const METHODS = 'GET, POST, OPTIONS';

/** Normalises an origin as browsers send it (scheme://host[:port], no path). */
export function normalizeOrigin(value: string): string | null {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

/**
 * Cross-origin access for the origins in CORS_ORIGINS (`*`: any origin). Preflights from an
 * allowed origin are answered (204) with the methods and headers the API takes; others get 403
 * and no Access-Control-* header, so the browser refuses. Responses to an allowed origin carry
 * its Access-Control-Allow-Origin and the headers a client may read. Credentials are bearer
 * tokens, never cookies, so no Allow-Credentials. CSRF protection of simple requests is
 * unchanged: a cross-origin POST still needs JSON or a preflight header (Apollo's check).
 */
export function corsHandler(origins: readonly string[]): HttpHandler {
  const any = origins.includes('*');
  const allowed = new Set(origins.map(normalizeOrigin).filter((o): o is string => o !== null));
  const isAllowed = (origin: string) => any || allowed.has(origin);
  return (req, res) => {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      res.setHeader(
        'vary',
        'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      );
      if (!isAllowed(origin)) {
        res.writeHead(403, { 'content-length': 0 }).end();
        return true;
      }
      res.writeHead(204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
        'access-control-max-age': '600',
        'content-length': 0,
      });
      res.end();
      return true;
    }
    if (origin && isAllowed(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
      res.setHeader('vary', 'Origin');
    }
    return false;
  };
}
