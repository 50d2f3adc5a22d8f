import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureStats } from '../../gateway/src/limits/operation-limits.js';
import { codes } from '../harness/client.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

let stack: Stack;
let prod: Stack;
let alice: Actor;
beforeAll(async () => {
  stack = await startStack();
  prod = await startStack({
    env: { NODE_ENV: 'production', LOG_REQUESTS: 'false', RATE_LIMIT_COST_PER_MINUTE: '40' },
  });
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
  await prod?.stop();
});

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('operation limits (checked before any subgraph is called)', () => {
  it('rejects a query deeper than 10', async () => {
    // `account` and `workspaces` alternate through the federation, 11 levels deep.
    let q = 'handle';
    for (let i = 0; i < 5; i++) q = `account { workspaces { ${q} } }`;
    const before = stack.counters.workspaces.count;
    const res = await alice.gql(`{ me { accounts { workspaces { ${q} } } } }`);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/depth/);
    expect(stack.counters.workspaces.count).toBe(before);
  });

  it('rejects more than 15 aliases', async () => {
    const fields = Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ');
    const res = await alice.gql(`{ ${fields} }`);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/aliases/);
  });

  it('rejects a page above 200 naming the argument, literal or variable', async () => {
    const ws = await createWorkspace(alice, alice.accountId);
    const q = `query($id: ID!, $n: Int) { workspace(id: $id) { flows(first: $n) { totalCount } } }`;
    const res = await alice.gql(q, { id: ws.id, n: 201 });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const ok = await alice.gql(q, { id: ws.id, n: 200 });
    expect(ok.errors).toBeUndefined();
  });

  it('rejects a query whose lists multiply past the cost limit', async () => {
    const res = await alice.gql(
      `{ me { accounts { workspaces { flows(first: 200) { edges { node { name createdBy { handle } } } } } } } }`,
    );
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/cost/);
  });

  it('measures an operation once while no variable can change its measure, and still applies the limits', async () => {
    const ws = await createWorkspace(alice, alice.accountId);
    const walks = async (query: string, variables?: Record<string, unknown>) => {
      const before = measureStats.walks;
      const res = await alice.gql(query, variables);
      return { res, walks: measureStats.walks - before };
    };
    const tag = `m${uid()}`; // a document no other test sent
    const constant = `query ${tag}($id: ID!) { workspace(id: $id) { flows(first: 3) { totalCount } } }`;
    expect((await walks(constant, { id: ws.id })).walks).toBe(1);
    const again = await walks(constant, { id: ws.id });
    expect(again.res.errors).toBeUndefined();
    expect(again.walks).toBe(0);
    // Over the limit: refused each time, measured once.
    const costly = `query ${tag}Costly { me { accounts { workspaces { flows(first: 200) { edges { node { name createdBy { handle } } } } } } } }`;
    const refused = [await walks(costly), await walks(costly)];
    expect(refused.map((r) => codes(r.res))).toEqual([['BAD_USER_INPUT'], ['BAD_USER_INPUT']]);
    expect(refused.map((r) => r.walks)).toEqual([1, 0]);
    // A page given by a variable is measured per request.
    const paged = `query ${tag}Paged($id: ID!, $n: Int) { workspace(id: $id) { flows(first: $n) { totalCount } } }`;
    expect((await walks(paged, { id: ws.id, n: 5 })).walks).toBe(1);
    const tooMany = await walks(paged, { id: ws.id, n: 201 });
    expect(tooMany.walks).toBe(1);
    expect(tooMany.res.errors?.[0]?.extensions).toMatchObject({ field: 'first' });
  });

  it('rejects a document of more than 2,000 tokens', async () => {
    const res = await alice.gql(`{ me { ${'id '.repeat(2100)} } }`);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('HTTP protections', () => {
  it('answers 413 to a body above 5 MiB', async () => {
    const res = await post(
      stack.url,
      JSON.stringify({ query: `{ me { id } }`, pad: 'x'.repeat(5 * 1024 * 1024 + 10) }),
    );
    expect(res.status).toBe(413);
  });

  it('rejects batched requests', async () => {
    const res = await post(
      stack.url,
      JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]),
    );
    expect(res.status).toBe(400);
  });

  it('refuses mutations over GET and simple requests without a preflight header (CSRF)', async () => {
    const q = encodeURIComponent('mutation { signOut }');
    const get = await fetch(`${stack.url}?query=${q}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(405);
    const simple = await fetch(`${stack.url}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(simple.status).toBe(400);
  });
});

describe('production mode', () => {
  it('turns introspection off and hides field suggestions', async () => {
    const intro = await prod.gql(`{ __schema { types { name } } }`);
    expect(codes(intro)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const typo = await prod.gql(`{ mee { id } }`);
    expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const devTypo = await stack.gql(`{ mee { id } }`);
    expect(devTypo.errors?.[0]?.message).toMatch(/Did you mean/);
  });

  it('rate-limits by cost with 429, Retry-After and x-ratelimit headers', async () => {
    const bob = await prod.signUp();
    const first = await bob.gql(`{ me { id } }`);
    expect(first.status).toBe(200);
    expect(Number(first.headers.get('x-ratelimit-limit'))).toBe(40);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    expect(remaining).toBeLessThan(40);
    let last = first;
    for (let i = 0; i < 40 && last.status === 200; i++) last = await bob.gql(`{ me { id } }`);
    expect(last.status).toBe(429);
    expect(codes(last)).toEqual(['RATE_LIMITED']);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    // Another credential has its own budget.
    const carol = await prod.signUp();
    expect((await carol.gql(`{ me { id } }`)).status).toBe(200);
  });
});
