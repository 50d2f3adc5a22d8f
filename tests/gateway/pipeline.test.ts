/**
 * gateway/src/pipeline: the gateway answers the common requests with Apollo Server's plugins
 * and executor but without its request pipeline, and hands every other request to it. Each
 * request below is sent twice: once as clients send it (no `accept`, or a JSON one: answered by
 * the pipeline) and once with an `accept` header the pipeline leaves to Apollo Server. Status,
 * body and the headers the plugins set must be the same (the media type follows `accept`).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/src/gateway.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

let stack: Stack;
let prod: Stack;
let alice: Actor;
let bob: Actor;
let workspaceId: string;

beforeAll(async () => {
  [stack, prod] = await Promise.all([
    startStack(),
    // Production (schema details hidden) with a small rate budget.
    startStack({
      env: { NODE_ENV: 'production', LOG_REQUESTS: 'false', RATE_LIMIT_COST_PER_MINUTE: '30' },
    }),
  ]);
  [alice, bob] = await Promise.all([stack.signUp(), stack.signUp()]);
  workspaceId = (await createWorkspace(alice, alice.accountId)).id;
});
afterAll(async () => {
  await Promise.all([stack?.stop(), prod?.stop()]);
});

const gatewayOf = (s: Stack) => s.running.gateway! as Gateway;

/** Apollo Server alone chooses for this `accept` (the pipeline's table does not list it). */
const APOLLO = 'application/json;q=0.9, */*;q=0.8';
/** Headers the gateway's plugins set: the same whichever way a request went. */
const PLUGIN_HEADERS = ['x-ratelimit-limit', 'retry-after'];

async function post(
  s: Stack,
  body: unknown,
  opts: { token?: string; accept?: string; contentType?: string } = {},
) {
  const res = await fetch(s.url, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      ...(opts.accept ? { accept: opts.accept } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const headers = Object.fromEntries(PLUGIN_HEADERS.map((h) => [h, res.headers.get(h)]));
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    requestId: res.headers.get('x-request-id'),
    headers,
    body: JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: any }[] },
  };
}

/** `body` sent both ways; how many of the sends the pipeline answered. */
async function both(
  body: unknown,
  opts: { token?: string; accept?: string; contentType?: string; on?: Stack } = {},
) {
  const s = opts.on ?? stack;
  const pipeline = gatewayOf(s).pipeline;
  const before = pipeline.answered;
  const direct = await post(s, body, opts);
  const answered = pipeline.answered - before;
  const viaApollo = await post(s, body, { ...opts, accept: APOLLO });
  expect(pipeline.answered - before).toBe(answered);
  return { direct, viaApollo, answered };
}

/** An answer without the request ids its internal errors carry (each request has its own). */
const withoutRequestIds = (body: unknown) =>
  JSON.parse(JSON.stringify(body).replace(/"requestId":"[^"]*"/g, '"requestId":"…"'));

const FLOWS = `query Flows($w: ID!) { workspace(id: $w) { id name flows(first: 5) { totalCount edges { node { name } } } } }`;

describe('the gateway pipeline', () => {
  it('answers a query over two subgraphs as Apollo Server does, with the same plugins', async () => {
    const r = await both({ query: FLOWS, variables: { w: workspaceId } }, { token: alice.token });
    expect(r.answered).toBe(1);
    expect(r.direct.status).toBe(200);
    expect(r.direct.body).toEqual(r.viaApollo.body);
    expect(r.direct.body.data.workspace.id).toBe(workspaceId);
    expect(r.direct.type).toBe('application/json; charset=utf-8');
    expect(r.direct.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.direct.headers).toEqual(r.viaApollo.headers);
    expect(r.direct.headers['x-ratelimit-limit']).toBeTruthy();
    // The media type follows `accept`.
    const gql = await post(
      stack,
      { query: FLOWS, variables: { w: workspaceId } },
      { token: alice.token, accept: 'application/graphql-response+json' },
    );
    expect(gql.type).toBe('application/graphql-response+json; charset=utf-8');
  });

  it('runs a mutation, once', async () => {
    const create = `mutation($i: CreateFlowInput!) { createFlow(input: $i) { name } }`;
    const pipeline = gatewayOf(stack).pipeline;
    const before = pipeline.answered;
    const name = `flow-${uid(4)}`;
    const res = await post(
      stack,
      { query: create, variables: { i: { workspaceId, name } } },
      { token: alice.token },
    );
    expect(pipeline.answered - before).toBe(1);
    expect(res.body).toEqual({ data: { createFlow: { name } } });
    const flows = await alice.gql(FLOWS, { w: workspaceId });
    const names = flows.data.workspace.flows.edges.map((e: any) => e.node.name);
    expect(names.filter((n: string) => n === name)).toHaveLength(1);
  });

  it.each([
    [
      'a subgraph refusal',
      () => ({ query: FLOWS, variables: { w: workspaceId } }),
      () => bob.token,
    ],
    [
      'variables that do not coerce (400)',
      () => ({ query: FLOWS, variables: { w: { not: 'an id' } } }),
      () => alice.token,
    ],
    ['a missing variable (400)', () => ({ query: FLOWS, variables: {} }), () => alice.token],
    [
      'an operation over the depth limit (400, before any subgraph)',
      () => ({
        query: `{ me { accounts { workspaces { account { workspaces { account { workspaces { account { workspaces { account { workspaces { id } } } } } } } } } } } }`,
      }),
      () => alice.token,
    ],
    [
      'an operation picked by name',
      () => ({
        query: `${FLOWS} query Me { me { id } }`,
        operationName: 'Me',
        variables: null,
      }),
      () => alice.token,
    ],
    ['an anonymous read', () => ({ query: '{ __typename }' }), () => undefined],
  ])('answers %s as Apollo Server does', async (_, body, token) => {
    const r = await both(body(), { token: token() });
    expect(r.answered).toBe(1);
    expect(r.direct.status).toBe(r.viaApollo.status);
    expect(r.direct.body).toEqual(r.viaApollo.body);
    expect(r.direct.headers).toEqual(r.viaApollo.headers);
  });

  it('answers the rate limit as Apollo Server does: 429, Retry-After, audited each time', async () => {
    const carol = await prod.signUp();
    const refusals = vi.spyOn(gatewayOf(prod).refusals, 'record');
    try {
      const query = { query: '{ me { id accounts { id name } } }' };
      let r = await both(query, { token: carol.token, on: prod });
      for (let i = 0; i < 40 && r.direct.status !== 429; i++)
        r = await both(query, { token: carol.token, on: prod });
      expect(r.answered).toBe(1);
      expect(r.direct.status).toBe(429);
      expect(r.viaApollo.status).toBe(429);
      expect(r.direct.body).toEqual(r.viaApollo.body);
      expect(r.direct.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(r.direct.headers).toEqual(r.viaApollo.headers);
      expect(Number(r.direct.headers['retry-after'])).toBeGreaterThan(0);
      const refused = refusals.mock.calls.filter(([e]) => e.reason === 'rate-limit');
      expect(refused.length).toBeGreaterThanOrEqual(2);
    } finally {
      refusals.mockRestore();
    }
  });

  it('leaves a document that does not validate to Apollo Server, which hides suggestions in production', async () => {
    const typo = { query: '{ me { idd } }' };
    // Anonymous: the answer is validation's, not authentication's.
    const dev = await both(typo, { on: stack });
    const production = await both(typo, { on: prod });
    for (const r of [dev, production]) {
      expect(r.answered).toBe(0);
      expect(withoutRequestIds(r.direct)).toEqual(withoutRequestIds(r.viaApollo));
      expect(r.direct.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(JSON.stringify(dev.direct.body)).toMatch(/Did you mean/);
    expect(JSON.stringify(production.direct.body)).not.toMatch(/Did you mean/);
  });

  it.each([
    ['a syntax error', { query: '{ me { ' }],
    ['a document that does not validate', { query: '{ nope }' }],
    ['an unknown operation name', { query: FLOWS, operationName: 'Other' }],
    ['introspection', { query: '{ __schema { queryType { name } } }' }],
    [
      'a persisted query',
      { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } },
    ],
    [
      'a subscription over HTTP',
      { query: 'subscription { flowRunEvents(workspaceId: "x") { id } }' },
    ],
    ['variables as a string', { query: FLOWS, variables: '{}' }],
    ['a query that is not a string', { query: { kind: 'Document' } }],
  ])('leaves %s to Apollo Server', async (_, body) => {
    const r = await both(body, { token: alice.token });
    expect(r.answered).toBe(0);
    expect(r.direct.status).toBe(r.viaApollo.status);
    expect(withoutRequestIds(r.direct.body)).toEqual(withoutRequestIds(r.viaApollo.body));
  });

  it.each([
    [
      'an unknown operation name',
      { query: FLOWS, operationName: 'Other' },
      'Unknown operation named "Other".',
    ],
    [
      'several operations and no name',
      { query: 'query A { __typename } query B { __typename }' },
      'Must provide operation name if query contains multiple operations.',
    ],
    [
      'a persisted query whose hash is not its text’s',
      {
        query: '{ __typename }',
        extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
      },
      'provided sha does not match query',
    ],
  ])('refuses %s as the client’s error (400 BAD_USER_INPUT, not 500)', async (_, body, message) => {
    for (const s of [stack, prod]) {
      const r = await post(s, body, { token: s === stack ? alice.token : undefined });
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([{ message, extensions: { code: 'BAD_USER_INPUT' } }]);
    }
  });

  it('leaves a body Apollo Server would judge a CSRF risk to it', async () => {
    const pipeline = gatewayOf(stack).pipeline;
    const before = pipeline.answered;
    // Parsed as JSON (the type names it) but a simple request's content type to a browser.
    const res = await post(
      stack,
      { query: '{ __typename }' },
      { contentType: 'text/plain; x=application/json' },
    );
    expect(pipeline.answered).toBe(before);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
  });

  it('authenticates once when the credential is refused, and Apollo Server answers', async () => {
    const auth = vi.spyOn(gatewayOf(stack).auth, 'authenticate');
    try {
      const r = await both({ query: '{ me { id } }' }, { token: 'fpsess_not-a-session' });
      expect(r.answered).toBe(0);
      expect(r.direct).toEqual(r.viaApollo);
      expect(r.direct.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(auth).toHaveBeenCalledTimes(2);
    } finally {
      auth.mockRestore();
    }
  });

  it("serves the REST layer's calls", async () => {
    const pipeline = gatewayOf(stack).pipeline;
    const before = pipeline.answered;
    const key = await alice.gql(
      `mutation($n: String!) { createApiKey(input: { name: $n }) { key } }`,
      {
        n: `k-${uid(3)}`,
      },
    );
    expect(key.errors).toBeUndefined();
    const flows = await fetch(
      `${stack.url.replace(/\/graphql$/, '')}/api/accounts/${alice.accountId}/workspaces/${workspaceId}/flows/filter`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.data.createApiKey.key}`,
          'content-type': 'application/json',
        },
        body: '{}',
      },
    );
    expect(flows.status).toBe(200);
    expect(pipeline.answered - before).toBeGreaterThanOrEqual(2);
  });
});
