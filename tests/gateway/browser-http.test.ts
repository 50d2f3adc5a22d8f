import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_DIST } from '../../gateway/src/http/ui.js';
import { codes } from '../harness/client.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { connectWs } from '../harness/ws.js';

const APP = 'http://localhost:3000';
let stack: Stack;
let owner: Actor;

beforeAll(async () => {
  stack = await startStack({ env: { CORS_ORIGINS: `${APP}, https://ops.example.com` } });
  owner = await stack.signUp();
});
afterAll(async () => stack?.stop());

const preflight = (origin: string, headers = 'authorization, content-type') =>
  fetch(stack.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': headers,
    },
  });

describe('CORS (CORS_ORIGINS)', () => {
  it('answers the preflight of an allowed origin with the methods and headers the API takes', async () => {
    const res = await preflight(APP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = res.headers.get('access-control-allow-headers')!.split(/,\s*/);
    for (const h of ['authorization', 'content-type', 'apollo-require-preflight', 'traceparent'])
      expect(allowed).toContain(h);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives another origin nothing: 403 and no Access-Control-* header', async () => {
    for (const origin of ['http://localhost:3001', 'https://evil.example', 'null']) {
      const res = await preflight(origin);
      expect(res.status).toBe(403);
      for (const [k] of res.headers) expect(k.startsWith('access-control-')).toBe(false);
    }
  });

  it('marks the responses to an allowed origin, with the headers a client may read', async () => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: {
        origin: APP,
        'content-type': 'application/json',
        authorization: `Bearer ${owner.token}`,
      },
      body: JSON.stringify({ query: '{ me { user { handle } } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(res.headers.get('vary')).toContain('Origin');
    const other = await fetch(stack.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps the CSRF protection of simple requests, allowed origin or not', async () => {
    const res = await fetch(`${stack.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { origin: APP },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('CSRF');
  });
});

describe('the explorer at /graphql', () => {
  it('serves Flowplane’s own GraphiQL to a browser, not Apollo’s hosted Sandbox', async () => {
    const res = await fetch(stack.url, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<title>Flowplane GraphQL explorer</title>');
    expect(html).not.toMatch(/apollographql|embeddable-sandbox|googleapis|cdn\./i);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    // Every script and stylesheet it loads comes from this server, and none names a CDN.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) {
      expect(a.startsWith('/ui/assets/'), a).toBe(true);
      const asset = await fetch(new URL(a, stack.url));
      expect(asset.status, a).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      const body = await asset.text();
      expect(body).not.toMatch(/fonts\.googleapis|unpkg\.com|jsdelivr|embeddable-sandbox/);
    }
  });

  it('is only for browsers: JSON clients and GET queries still reach GraphQL', async () => {
    const res = await fetch(`${stack.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves the dashboard at /ui and refuses paths outside the built assets', async () => {
    const ui = await fetch(stack.url.replace('/graphql', '/ui'));
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<title>Flowplane dashboard</title>');
    for (const p of ['/ui/../package.json', '/ui/assets/../../../package.json', '/ui/nothing.js']) {
      const res = await fetch(stack.url.replace('/graphql', p));
      expect(res.status, p).toBe(404);
    }
    expect(readFileSync(join(UI_DIST, 'dashboard.html'), 'utf8')).toContain('/ui/assets/');
  });
});

describe('error codes', () => {
  it('a document that does not validate gets GRAPHQL_VALIDATION_FAILED over HTTP and WebSocket', async () => {
    const res = await owner.gql('{ me { nope } }');
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.status).toBe(400);
    const conn = await connectWs(stack.url, { authorization: `Bearer ${owner.token}` });
    const refused = await conn.subscribe('subscription { nope }').refused();
    expect(refused.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    await conn.dispose();
  });

  it('graphql-ws refuses an unknown credential with 4401', async () => {
    const conn = await connectWs(stack.url, { authorization: 'Bearer fpu_unknown' });
    expect((await conn.closedWithin()).code).toBe(4401);
  });
});
