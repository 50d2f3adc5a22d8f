import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphTransport } from '../../gateway/src/transport.js';
import { codes, gqlRequest, type GqlResult } from '../harness/client.js';
import { createWorkspace, eventually, join } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';

/**
 * Issue 10: introspection counts against the operation limits (M3), errors do not name
 * subgraphs in production, and rate-limit budgets belong to principals and accounts rather than
 * to credentials, without anonymous traffic locking everyone behind an address out of signing
 * in (L6).
 */

/** GraphiQL's introspection query: graphql-js's, with every option it can turn on. */
const GRAPHIQL = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
});
const FULL_SCHEMA = GRAPHIQL.slice(GRAPHIQL.indexOf('__schema'), GRAPHIQL.indexOf('fragment'))
  .trim()
  .replace(/\}\s*$/, '');

describe('introspection and the operation limits (production with INTROSPECTION=true)', () => {
  let stack: Stack;
  let wide: Stack;
  /** Subgraph calls that fail (a subgraph down, or answering garbage). */
  let failing: 'throw' | 'empty' | null = null;
  beforeAll(async () => {
    const env = { NODE_ENV: 'production', INTROSPECTION: 'true', LOG_REQUESTS: 'false' };
    stack = await startStack({
      env,
      wrapTransport: (t): SubgraphTransport => ({
        ...t,
        execute: async (name, request, caller) => {
          if (failing && caller.claims.principal.type !== 'system' && name === 'operations') {
            if (failing === 'throw') throw new Error(`connect ECONNREFUSED subgraph ${name}`);
            return { errors: [{ message: '' }] };
          }
          return t.execute(name, request, caller);
        },
        ready: () => t.ready(),
        close: () => t.close?.(),
      }),
    });
    // Aliases and root fields out of the way: what remains is the cost of introspection.
    wide = await startStack({ env: { ...env, LIMIT_ALIASES: '1000', LIMIT_ROOT_FIELDS: '1000' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await wide?.stop();
  });

  it('answers GraphiQL’s full introspection query and graphql-js’s default one', async () => {
    for (const query of [GRAPHIQL, getIntrospectionQuery()]) {
      const res = await stack.gql(query);
      expect(res.errors).toBeUndefined();
      expect(res.data.__schema.types.length).toBeGreaterThan(100);
    }
  });

  it('counts aliased __schema fields against the alias limit', async () => {
    const fields = Array.from({ length: 100 }, (_, i) => `s${i}: __schema { types { name } }`);
    const res = await stack.gql(`{ ${fields.join(' ')} }`);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/aliases/);
  });

  it('counts what introspection reads against the cost limit: one full introspection fits, two do not', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `s${i}: __schema { types { name } }`);
    const many = await wide.gql(`{ ${hundred.join(' ')} }`);
    expect(codes(many)).toEqual(['BAD_USER_INPUT']);
    expect(many.errors?.[0]?.message).toMatch(/Introspection cost/);

    const fragments = GRAPHIQL.slice(GRAPHIQL.indexOf('fragment'));
    const once = await wide.gql(`{ a: ${FULL_SCHEMA} }\n${fragments}`);
    expect(once.errors).toBeUndefined();
    const twice = await wide.gql(`{ a: ${FULL_SCHEMA} b: ${FULL_SCHEMA} }\n${fragments}`);
    expect(codes(twice)).toEqual(['BAD_USER_INPUT']);
    expect(twice.errors?.[0]?.message).toMatch(/Introspection cost/);

    // __type lookups cost what they read too, and fit in small numbers.
    const types = Array.from(
      { length: 10 },
      (_, i) => `t${i}: __type(name: "Flow") { fields { name type { name } } }`,
    );
    expect((await wide.gql(`{ ${types.join(' ')} }`)).errors).toBeUndefined();
  });

  it('charges introspection to the caller’s budget', async () => {
    const res = await stack.gql(GRAPHIQL);
    const first = Number(res.headers.get('x-ratelimit-remaining'));
    const again = await stack.gql(GRAPHIQL);
    const spent = first - Number(again.headers.get('x-ratelimit-remaining'));
    expect(spent).toBeGreaterThan(1000);
  });

  it('never names a subgraph in an error, and keeps the request id', async () => {
    const owner = await stack.signUp();
    const missing = await owner.gql(`{ flow(id: "00000000-0000-0000-0000-000000000000") { id } }`);
    expect(codes(missing)).toEqual(['NOT_FOUND']);
    expect(missing.errors?.[0]?.extensions).not.toHaveProperty('serviceName');
    const nowhere = await owner.gql(
      `{ workspace(id: "00000000-0000-0000-0000-000000000000") { id } }`,
    );
    expect(nowhere.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });

    const ws = await createWorkspace(owner, owner.accountId);
    const q = `query($id: ID!) { workspace(id: $id) { handle flows { totalCount } } }`;
    for (const mode of ['throw', 'empty'] as const) {
      failing = mode;
      const res: GqlResult = await owner.gql(q, { id: ws.id });
      failing = null;
      const text = JSON.stringify(res.errors);
      expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(res.errors?.[0]?.message).toBe('Internal server error');
      expect(text).not.toMatch(/subgraph|subquery|service|operations|ECONNREFUSED/i);
      expect(res.errors?.[0]?.extensions?.requestId).toBe(res.headers.get('x-request-id'));
    }
  });
});

/** Calls `{ me { id } }` until refused; fails after `max` calls. */
async function exhaust(by: Pick<Actor, 'gql'>, max = 200): Promise<GqlResult> {
  for (let i = 0; i < max; i++) {
    const res = await by.gql(`{ me { id } }`);
    if (res.status === 429) return res;
  }
  throw new Error(`not refused after ${max} calls`);
}

describe('rate-limit budgets per principal and per account', () => {
  const PER_PRINCIPAL = 40;
  const PER_ACCOUNT = 100;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        RATE_LIMIT_COST_PER_MINUTE: String(PER_PRINCIPAL),
        RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: String(PER_ACCOUNT),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a throttled user stays throttled with a new session', async () => {
    const user = await stack.signUp();
    const refused = await exhaust(user);
    expect(Number(refused.headers.get('x-ratelimit-limit'))).toBe(PER_PRINCIPAL);
    // Signing in is anonymous (its own budget): it works, and the new session shares the
    // user's budget.
    const signIn = await stack.gql(`mutation($i: SignInInput!) { signIn(input: $i) { token } }`, {
      i: { email: user.email, password: user.password },
    });
    expect(signIn.errors).toBeUndefined();
    const fresh = await stack.as(signIn.data.signIn.token).gql(`{ me { id } }`);
    expect(fresh.status).toBe(429);
    expect(codes(fresh)).toEqual(['RATE_LIMITED']);
  });

  it('audits the refusals of a principal in its accounts, one entry per window', async () => {
    const owner = await stack.signUp();
    const admin = await join(stack, owner, 'ADMIN');
    await exhaust(owner);
    await exhaust(owner, 5);
    await eventually(async () => {
      const log = await admin.gql(
        `query($a: ID!) { auditEvents(accountId: $a, first: 5, filter: { actionPrefix: "rate-limit." }) { edges { node { action summary actor { id } } } } }`,
        { a: owner.accountId },
      );
      expect(log.errors).toBeUndefined();
      const entries = log.data.auditEvents.edges.map((e: { node: any }) => e.node);
      expect(entries).toEqual([
        {
          action: 'rate-limit.refused',
          summary: { reason: 'rate-limit', budget: 'principal', limit: PER_PRINCIPAL, count: 1 },
          actor: { id: owner.userId },
        },
      ]);
    });
  });

  it('the members of an account share its budget', async () => {
    const owner = await stack.signUp();
    const ws = await createWorkspace(owner, owner.accountId);
    const members = [];
    for (let i = 0; i < 3; i++)
      members.push(await join(stack, owner, { workspace: { id: ws.id, role: 'VIEWER' } }));
    // Each member spends less than its own budget; together they reach the account's.
    let refused: GqlResult | undefined;
    for (let round = 0; round < 100 && !refused; round++) {
      for (const m of [owner, ...members]) {
        const res = await m.gql(`{ me { id } }`);
        if (res.status === 429) {
          refused = res;
          break;
        }
      }
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get('x-ratelimit-limit'))).toBe(PER_ACCOUNT);
  });
});

describe('anonymous traffic and signing in', () => {
  const BUDGET = 40;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { RATE_LIMIT_COST_PER_MINUTE: String(BUDGET), RATE_LIMIT_SIGN_IN_PER_MINUTE: '5' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an address whose anonymous budget is spent can still sign in with the right password', async () => {
    const alice = await stack.signUp();
    const bob = await stack.signUp();
    // Someone behind the same address spends its anonymous budget.
    let anon: GqlResult | undefined;
    for (let i = 0; i < 2 * BUDGET && anon?.status !== 429; i++)
      anon = await gqlRequest(stack.url, `{ __typename }`);
    expect(anon!.status).toBe(429);

    const SIGN_IN = `mutation($i: SignInInput!) { signIn(input: $i) { token } }`;
    const ok = await stack.gql(SIGN_IN, { i: { email: alice.email, password: alice.password } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.signIn.token).toBeTruthy();

    // Guessing one account's password runs into that account's sign-in budget at this address,
    // which leaves everybody else's alone.
    let guess: GqlResult | undefined;
    for (let i = 0; i < 10 && guess?.status !== 429; i++)
      guess = await stack.gql(SIGN_IN, { i: { email: bob.email, password: 'Wrong-passw0rd!' } });
    expect(guess!.status).toBe(429);
    const other = await stack.gql(SIGN_IN, { i: { email: alice.email, password: alice.password } });
    expect(other.errors).toBeUndefined();
  });
});
