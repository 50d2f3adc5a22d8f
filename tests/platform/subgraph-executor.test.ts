/**
 * lib/subgraph-executor: a subgraph answers the gateway's well-formed requests without Apollo
 * Server, and hands every other request to it. Each request below is sent twice to a subgraph's
 * HTTP server: once as the gateway sends it (answered directly) and once with an `accept` header
 * the executor leaves to Apollo Server. Status and body must be the same (the media type follows
 * the `accept` header), and refusals recorded the same way.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { buildSchema, getVariableValues, parse, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeServer, listen } from '../../lib/http.js';
import { NO_GRANTS, type Grants, type Principal } from '../../lib/principal.js';
import type { Subgraph } from '../../lib/subgraph.js';
import {
  recursiveInputTypes,
  takesInputOf,
  uncompilableInputTypes,
} from '../../lib/subgraph-executor.js';
import { compileVariableParsing, failToParseVariables } from '../../gateway/src/variables.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

let stack: Stack;
let sub: Subgraph;
let server: Server;
let url: string;
let alice: Actor;
let workspaceId: string;

beforeAll(async () => {
  stack = await startStack();
  sub = stack.running.subgraphs.operations! as unknown as Subgraph;
  server = sub.httpServer();
  url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/graphql`;
  alice = await stack.signUp();
  workspaceId = (await createWorkspace(alice, alice.accountId)).id;
  const flow = await alice.gql(`mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }`, {
    i: { workspaceId, name: `flow-${uid(4)}` },
  });
  expect(flow.errors).toBeUndefined();
});
afterAll(async () => {
  if (server) await closeServer(server);
  await stack?.stop();
});

/** The gateway's `accept` (answered directly) and one only Apollo Server answers. */
const DIRECT = 'application/graphql-response+json, application/json';
const APOLLO = 'application/json;q=0.9, */*;q=0.8';

function tokenFor(principal: Principal, grants: Grants): string {
  return sub.opts.tokens.sign({ principal, grants });
}

async function post(accept: string, token: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { data?: any; errors?: { extensions?: unknown }[] };
  return { status: res.status, type: res.headers.get('content-type'), body: answer };
}

/**
 * Sends `body` both ways; returns both answers and how often Apollo Server was asked. The direct
 * way twice: the second time the executor runs the operation compiled (graphql-jit), and both
 * answers must be the same (`direct` is the compiled one's).
 */
async function both(token: string, body: unknown) {
  const apollo = vi.spyOn(sub.apollo, 'executeHTTPGraphQLRequest');
  try {
    const first = await post(DIRECT, token, body);
    const direct = await post(DIRECT, token, body);
    expect(direct).toEqual(first);
    const directCalls = apollo.mock.calls.length / 2;
    const viaApollo = await post(APOLLO, token, body);
    return {
      direct,
      viaApollo,
      directCalls,
      apolloCalls: apollo.mock.calls.length - directCalls * 2,
    };
  } finally {
    apollo.mockRestore();
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const user = (): Principal => ({ type: 'user', id: alice.userId });
const member = (): Grants =>
  ({ ...NO_GRANTS, workspaces: { [workspaceId]: { permissions: ['see_flows'] } } }) as Grants;
const FLOWS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workspace { flows(first: 5) { totalCount edges { node { name } } } } } }`;

describe('the subgraph executor', () => {
  it('answers a well-formed request as Apollo Server does, without it', async () => {
    const r = await both(tokenFor(user(), member()), {
      query: FLOWS,
      variables: { r: [{ __typename: 'Workspace', id: workspaceId }] },
    });
    expect(r.directCalls).toBe(0);
    expect(r.apolloCalls).toBe(1);
    expect(r.direct.status).toBe(200);
    expect(r.direct.body.data._entities[0].flows.totalCount).toBe(1);
    expect(r.direct.type).toBe('application/graphql-response+json; charset=utf-8');
    expect(r.direct.body).toEqual(r.viaApollo.body);
    expect(r.direct.status).toBe(r.viaApollo.status);
  });

  it("answers a resolver's refusal as Apollo Server does, and records it the same way", async () => {
    const record = vi.spyOn(
      sub as unknown as { recordDenials: (ctx: unknown, denials: unknown[]) => Promise<void> },
      'recordDenials',
    );
    try {
      // Not a member of the workspace: NOT_FOUND, and the probe recorded for its owners.
      const r = await both(tokenFor(user(), NO_GRANTS), {
        query: FLOWS,
        variables: { r: [{ __typename: 'Workspace', id: workspaceId }] },
      });
      expect(r.directCalls).toBe(0);
      expect(r.direct.body.errors?.length).toBeGreaterThan(0);
      expect(r.direct.body).toEqual(r.viaApollo.body);
      expect(r.direct.status).toBe(r.viaApollo.status);
      expect(record).toHaveBeenCalledTimes(3);
      expect(record.mock.calls[1]![1]).toEqual(record.mock.calls[0]![1]);
      expect(record.mock.calls[2]![1]).toEqual(record.mock.calls[0]![1]);
    } finally {
      record.mockRestore();
    }
  });

  it.each([
    ['a syntax error', { query: '{ _entities(' }],
    ['a document that does not validate', { query: '{ nope }' }],
    ['variables that do not coerce', { query: FLOWS, variables: { r: null } }],
    ['an unknown operation name', { query: FLOWS, operationName: 'Other', variables: { r: [] } }],
    ['introspection', { query: '{ __schema { queryType { name } } }' }],
    [
      'a persisted query',
      {
        query: FLOWS,
        variables: { r: [] },
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(FLOWS) } },
      },
    ],
    ['variables that are not an object', { query: FLOWS, variables: [1] }],
  ])('hands %s to Apollo Server', async (_, body) => {
    const r = await both(tokenFor(user(), member()), body);
    expect(r.directCalls).toBe(1);
    expect(r.direct.body).toEqual(r.viaApollo.body);
    expect(r.direct.status).toBe(r.viaApollo.status);
  });

  it('hands a request without a valid token to Apollo Server (401)', async () => {
    const r = await both('not-a-token', { query: FLOWS, variables: { r: [] } });
    expect(r.directCalls).toBe(1);
    expect(r.direct.status).toBe(401);
    expect(r.direct.body).toEqual(r.viaApollo.body);
  });

  it('parses and validates a document once', async () => {
    const query = `${FLOWS} # ${uid(4)}`;
    const doc = sub.executor.document(query);
    expect(doc).not.toBeNull();
    expect(sub.executor.document(query)).toBe(doc);
    expect(sub.executor.document('{ nope }')).toBeNull();
  });

  it('compiles an operation on its second use, and answers it as graphql-js and Apollo Server do', async () => {
    const token = tokenFor(user(), member());
    const query = `query Flows($r: [_Any!]!) { _entities(representations: $r) { ... on Workspace { id flows(first: 5) { totalCount edges { cursor node { id name createdAt } } } } } } # ${uid(4)}`;
    const body = {
      query,
      operationName: 'Flows',
      variables: { r: [{ __typename: 'Workspace', id: workspaceId }] },
    };
    const before = sub.executor.compilations;
    const once = await post(DIRECT, token, body);
    expect(sub.executor.compilations).toBe(before);
    const r = await both(token, body);
    expect(sub.executor.compilations).toBe(before + 1);
    expect(r.directCalls).toBe(0);
    expect(r.direct.body.data._entities[0].flows.edges).toHaveLength(1);
    expect(r.direct).toEqual(once);
    expect(r.direct.body).toEqual(r.viaApollo.body);
  });

  it('leaves an operation with a variable of a recursive input type to graphql-js', async () => {
    // TriggerInput nests (compound and sequence triggers): graphql-jit would unfold its parsing.
    const query = `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { name } } # ${uid(4)}`;
    const input = (name: string) => ({
      workspaceId,
      name,
      trigger: {
        compound: {
          require: 'ALL',
          withinSeconds: 60,
          triggers: [
            { event: { expect: ['acme.a'], posture: 'REACTIVE', threshold: 1, withinSeconds: 10 } },
            { event: { expect: ['acme.b'], posture: 'REACTIVE', threshold: 1, withinSeconds: 10 } },
          ],
        },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const owner = tokenFor(user(), {
      ...NO_GRANTS,
      workspaces: { [workspaceId]: { permissions: ['see_flows', 'manage_automations'] } },
    } as Grants);
    const before = sub.executor.compilations;
    for (const name of ['One', 'Two', 'Three']) {
      const r = await post(DIRECT, owner, { query, variables: { input: input(name) } });
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.createAutomation.name).toBe(name);
    }
    expect(sub.executor.compilations).toBe(before);
  });

  it('finds the input types whose values may nest without end', () => {
    const schema = buildSchema(`
      input Leaf { a: Int }
      input Filter { leaf: Leaf, and: [Filter!], not: Filter }
      input UsesFilter { filter: Filter, leaf: Leaf }
      input A { b: B } input B { a: A, leaf: Leaf }
      input Plain { leaf: Leaf, list: [Leaf!] }
      type Query { f(a: Filter, b: UsesFilter, c: A, d: Plain): Int }`);
    expect([...recursiveInputTypes(schema)].sort()).toEqual(['A', 'B', 'Filter', 'UsesFilter']);
  });

  it('leaves to graphql-js the @oneOf input types and those that hold one, besides the recursive', () => {
    const schema = buildSchema(`
      input Leaf { a: Int }
      input Filter { leaf: Leaf, and: [Filter!] }
      input Choice @oneOf { byId: ID, byName: String }
      input HoldsChoice { choice: [Choice!], leaf: Leaf }
      input Plain { leaf: Leaf }
      type Query { f(a: Filter, b: HoldsChoice, c: Plain, d: Choice): Int }`);
    expect([...uncompilableInputTypes(schema)].sort()).toEqual(['Choice', 'Filter', 'HoldsChoice']);
    const op = (vars: string) =>
      parse(`query(${vars}) { __typename }`).definitions[0] as OperationDefinitionNode;
    const types = uncompilableInputTypes(schema);
    expect(takesInputOf(schema, op('$c: Plain, $n: Int'), types)).toBe(false);
    expect(takesInputOf(schema, op('$c: Plain, $h: [HoldsChoice]'), types)).toBe(true);
    expect(takesInputOf(schema, op('$x: Unknown'), types)).toBe(true);
    // Why: graphql-jit's parsing accepts two fields of a @oneOf value, graphql-js refuses them.
    const d = op('$d: Choice!');
    const value = { d: { byId: '1', byName: 'x' } };
    expect(getVariableValues(schema, d.variableDefinitions!, value).errors).toHaveLength(1);
    expect(
      failToParseVariables(compileVariableParsing(schema, d.variableDefinitions!)(value)),
    ).toBeFalsy();
  });
});
