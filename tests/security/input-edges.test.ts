/**
 * L8: a NUL byte in a name gave INTERNAL_SERVER_ERROR, and the server's log line held the full
 * SQL statement with its values. L9: JSON nested some thousands of levels deep gave
 * INTERNAL_SERVER_ERROR.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeError } from '../../lib/log.js';
import { codes, type GqlResult } from '../harness/client.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { operations } from '../operations/automation-fixtures.js';

const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id name } }`;
const SET_VARIABLE = `mutation($input: SetVariableInput!) { setVariable(input: $input) { id value } }`;
const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const CREATE_WORKSPACE = `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`;
const FLOWS = `query($id: ID!) { workspace(id: $id) { flows { totalCount } } }`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
/** What the process logs while a test runs. */
let logged: string[] = [];
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  logged = [];
  for (const m of ['log', 'warn', 'error'] as const) {
    const orig = console[m].bind(console);
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
      orig(...args);
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A request whose body is written by hand (JSON too deep for JSON.stringify in this test). */
async function raw(query: string, variablesJson: string): Promise<GqlResult> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
    body: `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`,
  });
  const body = (await res.json()) as Pick<GqlResult, 'data' | 'errors'>;
  return { status: res.status, headers: res.headers, ...body };
}

const flowCount = async () =>
  (await alice.gql(FLOWS, { id: ws.id })).data.workspace.flows.totalCount;

function expectBadInput(res: GqlResult, field: string) {
  expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  expect(res.errors?.[0]?.extensions?.field).toBe(field);
}

describe('control characters are refused at the edge, naming the field', () => {
  it('a NUL in a name: BAD_USER_INPUT on `name`, nothing stored, nothing logged', async () => {
    const marker = `nul-${uid(6)}`;
    const before = await flowCount();
    const res = await alice.gql(CREATE_FLOW, {
      input: { workspaceId: ws.id, name: `${marker}\u0000tail` },
    });
    expectBadInput(res, 'name');
    expect(await flowCount()).toBe(before);
    expect(logged.join('\n')).not.toContain(marker);
    expect(logged.filter((l) => /insert into|select .* from/i.test(l))).toEqual([]);
  });

  it('in every subgraph, in literals as in variables, in JSON values and keys', async () => {
    expectBadInput(
      await alice.gql(CREATE_WORKSPACE, {
        input: { accountId: alice.accountId, handle: `ws-${uid(3)}`, name: 'bell\u0007' },
      }),
      'name',
    );
    expectBadInput(
      await alice.gql(
        `mutation { createFlow(input: { workspaceId: "${ws.id}", name: "lit\\u0000eral" }) { id } }`,
      ),
      'name',
    );
    expectBadInput(
      await alice.gql(SET_VARIABLE, {
        input: {
          workspaceId: ws.id,
          name: `v_${uid(3)}`,
          value: { list: ['ok', 'esc\u001b[31m'] },
        },
      }),
      'value.list.1',
    );
    expectBadInput(
      await alice.gql(EMIT, {
        input: {
          workspaceId: ws.id,
          events: [{ event: 'acme.x', resource: { id: 'acme.r' }, payload: { 'k\u0000': 1 } }],
        },
      }),
      'events.0.payload',
    );
    // An unpaired surrogate is no text either (PostgreSQL refuses it).
    expectBadInput(
      await raw(CREATE_FLOW, `{"input":{"workspaceId":"${ws.id}","name":"half \\ud800 pair"}}`),
      'name',
    );
  });

  it('a document reused is checked on each request (what each subgraph keeps per document)', async () => {
    // The same document: accepted with a clean variable, refused with a bad one, accepted again.
    const clean = () =>
      alice.gql(CREATE_FLOW, { input: { workspaceId: ws.id, name: `same-${uid(4)}` } });
    expect((await clean()).errors).toBeUndefined();
    expectBadInput(
      await alice.gql(CREATE_FLOW, { input: { workspaceId: ws.id, name: `bad\u0000${uid(3)}` } }),
      'name',
    );
    expect((await clean()).errors).toBeUndefined();
    // A bad literal is refused each time it is sent, a variable beside it checked as well.
    const literal = `mutation($name: String!) { a: createFlow(input: { workspaceId: "${ws.id}", name: $name }) { id } b: createFlow(input: { workspaceId: "${ws.id}", name: "lit\\u0007" }) { id } }`;
    const before = await flowCount();
    for (let i = 0; i < 2; i++)
      expectBadInput(await alice.gql(literal, { name: `ok-${uid(3)}` }), 'name');
    expect(await flowCount()).toBe(before);
  });

  it('tabs and line breaks stay allowed in text; names are one line', async () => {
    const text = await alice.gql(SET_VARIABLE, {
      input: { workspaceId: ws.id, name: `v_${uid(3)}`, value: 'line 1\n\tline 2\r\n' },
    });
    expect(text.errors).toBeUndefined();
    expect(text.data.setVariable.value).toBe('line 1\n\tline 2\r\n');
    expectBadInput(
      await alice.gql(CREATE_WORKSPACE, {
        input: { accountId: alice.accountId, handle: `ws-${uid(3)}`, name: 'two\nlines' },
      }),
      'name',
    );
  });
});

describe('JSON depth is capped', () => {
  const nested = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
  const setVariable = (depth: number) =>
    raw(
      SET_VARIABLE,
      `{"input":{"workspaceId":"${ws.id}","name":"v_${uid(3)}","value":${nested(depth)}}}`,
    );

  it('a JSON value nested deeper than the cap is BAD_USER_INPUT naming where it starts', async () => {
    expect((await setVariable(50)).errors).toBeUndefined();
    const res = await setVariable(100);
    expect(res.status).toBe(200);
    expectBadInput(res, 'value.0.0');
    expect(res.errors?.[0]?.message).toMatch(/deeper than 64 levels/);
  });

  it('thousands of levels: 400 BAD_USER_INPUT before anything walks it, not INTERNAL_SERVER_ERROR', async () => {
    for (const depth of [4_200, 100_000]) {
      const res = await setVariable(depth);
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    }
    const events = await raw(
      EMIT,
      `{"input":{"workspaceId":"${ws.id}","events":[{"event":"acme.deep","resource":{"id":"acme.r"},"payload":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}]}}`,
    );
    expect(codes(events)).toEqual(['BAD_USER_INPUT']);
    expect(logged.filter((l) => /unexpected error/.test(l))).toEqual([]);
  });
});

describe('database errors are logged without statements or values', () => {
  it('a real driver error is described by class and code, never by its SQL or values', async () => {
    const marker = `val-${uid(6)}`;
    const err = await operations(stack)
      .orm.em.fork()
      .getConnection()
      .execute(`select * from flow where name = '${marker}' and no_such_column = 1`)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toContain(marker);
    const line = describeError(err);
    expect(line).not.toContain(marker);
    expect(line).not.toMatch(/select/i);
    expect(line).toMatch(/\(database error; code=\w+.*; statement and values withheld\)$/);
  });
});
