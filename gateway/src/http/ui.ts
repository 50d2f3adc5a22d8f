import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import type { HttpHandler } from '../../../lib/http.js';

/** Where `npm run build:ui` (run by `npm install`'s prepare) writes the pages. */
export const UI_DIST = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * The pages load only what this server serves (scripts, styles, fonts inline as data:) and talk
 * only to it (HTTP and WebSocket): nothing from a CDN, nothing phoned home.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

async function sendFile(res: ServerResponse, file: string, cache: string): Promise<boolean> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(file.endsWith('.html') ? { 'content-security-policy': CSP } : {}),
  });
  res.end(body);
  return true;
}

async function sendPage(res: ServerResponse, name: string, dist: string): Promise<void> {
  if (await sendFile(res, join(dist, name), 'no-cache')) return;
  const text = `The web pages are not built: run \`npm run build:ui\` (npm install does it).\n`;
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

/** A browser opening /graphql (an HTML GET without a query) gets the explorer, not JSON. */
export function explorerHandler(graphqlPath = '/graphql', dist = UI_DIST): HttpHandler {
  return async (req, res, url) => {
    if (url.pathname !== graphqlPath || req.method !== 'GET' || url.searchParams.has('query'))
      return false;
    if (!(req.headers.accept ?? '').includes('text/html')) return false;
    await sendPage(res, 'explorer.html', dist);
    return true;
  };
}

/** The REST layer's interactive docs (where a Prefect server serves its Swagger UI). */
export const API_DOCS_PATH = '/api/docs';

/**
 * The REST layer's interactive docs (Swagger UI over `/api/openapi.json`) at `/api/docs`, and
 * `/docs` (a Prefect server's other docs path) redirecting there. Assets come from /ui/assets/.
 */
export function apiDocsHandler(dist = UI_DIST): HttpHandler {
  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname === API_DOCS_PATH || url.pathname === `${API_DOCS_PATH}/`) {
      await sendPage(res, 'api-docs.html', dist);
      return true;
    }
    if (url.pathname === '/docs' || url.pathname === '/docs/') {
      res.writeHead(307, { location: API_DOCS_PATH }).end();
      return true;
    }
    return false;
  };
}

/** The dashboard at /ui and the built assets under /ui/assets/. */
export function dashboardHandler(dist = UI_DIST): HttpHandler {
  return async (req, res, url) => {
    if (url.pathname !== '/ui' && !url.pathname.startsWith('/ui/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname === '/ui' || url.pathname === '/ui/') {
      await sendPage(res, 'dashboard.html', dist);
      return true;
    }
    const rel = normalize(decodeURIComponent(url.pathname.slice('/ui/'.length)));
    const file = join(dist, rel);
    const inAssets = file.startsWith(join(dist, 'assets') + sep);
    // Hashed file names: a changed file is a new name, so assets are cached for good.
    if (!inAssets || !(await sendFile(res, file, 'public, max-age=31536000, immutable'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
    return true;
  };
}
