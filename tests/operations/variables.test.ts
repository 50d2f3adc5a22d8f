import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace, eventually, setRole } from '../access/fixtures.js';

const SET = `mutation($input: SetVariableInput!) { setVariable(input: $input) { id name value tags } }`;
const DELETE = `mutation($id: ID!) { deleteVariable(id: $id) }`;
const ONE = `query($id: ID!) { variable(id: $id) { id name value } }`;
const LIST = `query($id: ID!, $filter: VariableFilter, $first: Int, $after: String) {
  workspace(id: $id) {
    variables(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { name value tags } }
    }
    byName: variableByName(name: "retries") { value }
  }
}`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice);
});
afterAll(async () => {
  await stack?.stop();
});

const names = async (filter?: Record<string, unknown>) => {
  const res = await alice.gql(LIST, { id: ws.id, filter });
  expect(res.errors).toBeUndefined();
  return res.data.workspace.variables.edges.map((e: any) => e.node.name);
};

describe('setVariable', () => {
  it('creates, then replaces by name (one row), keeping tags unless given', async () => {
    const a = await alice.gql(SET, {
      input: { workspaceId: ws.id, name: 'retries', value: 3, tags: ['ops'] },
    });
    expect(a.errors).toBeUndefined();
    const b = await alice.gql(SET, {
      input: { workspaceId: ws.id, name: 'retries', value: { n: 5, list: [1, 'x'] } },
    });
    expect(b.data.setVariable).toEqual({
      id: a.data.setVariable.id,
      name: 'retries',
      value: { n: 5, list: [1, 'x'] },
      tags: ['ops'],
    });
    const list = await alice.gql(LIST, { id: ws.id });
    expect(list.data.workspace.variables.totalCount).toBe(1);
    expect(list.data.workspace.byName.value).toEqual({ n: 5, list: [1, 'x'] });
  });

  it('concurrent first writes of one name make one variable', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        alice.gql(SET, { input: { workspaceId: ws.id, name: 'raced', value: i } }),
      ),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data.setVariable.id)).size).toBe(1);
  });

  it('accepts a value of exactly 16 KiB and rejects one byte more, changing nothing', async () => {
    const fits = 'x'.repeat(16 * 1024 - 2); // the JSON string adds two quotes
    const ok = await alice.gql(SET, { input: { workspaceId: ws.id, name: 'big', value: fits } });
    expect(ok.errors).toBeUndefined();
    const tooBig = await alice.gql(SET, {
      input: { workspaceId: ws.id, name: 'big', value: fits + 'y' },
    });
    expect(tooBig.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'value',
    });
    const one = await alice.gql(ONE, { id: ok.data.setVariable.id });
    expect(one.data.variable.value).toBe(fits);
  });

  it('rejects bad names, null values and bad tags as BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'Upper' }, 'name'],
      [{ name: 'has-dash' }, 'name'],
      [{ name: 'a'.repeat(256) }, 'name'],
      [{ name: 'ok_name', value: null }, ''],
      [{ name: 'ok_name', tags: [''] }, 'tags'],
    ];
    for (const [over, field] of cases) {
      const res = await alice.gql(SET, { input: { workspaceId: ws.id, value: 1, ...over } });
      // A null value fails GraphQL validation of the non-null JSON input, before any field check.
      expect(res.errors?.[0]?.extensions, JSON.stringify(over)).toMatchObject({
        code: 'BAD_USER_INPUT',
        ...(field ? { field } : {}),
      });
    }
    expect(await names({ namePrefix: 'ok' })).toEqual([]);
    expect(
      (await alice.gql(SET, { input: { workspaceId: ws.id, name: 'a'.repeat(255), value: 1 } }))
        .errors,
    ).toBeUndefined();
  });

  it('filters by name prefix (underscore literal) and tag, and deletes', async () => {
    for (const [name, tags] of [
      ['db_url', ['prod']],
      ['dbxurl', []],
      ['db_user', ['prod', 'db']],
    ] as const)
      await alice.gql(SET, { input: { workspaceId: ws.id, name, value: name, tags } });
    expect(await names({ namePrefix: 'db_' })).toEqual(['db_url', 'db_user']);
    expect(await names({ tag: 'db' })).toEqual(['db_user']);
    const all = await alice.gql(LIST, { id: ws.id, filter: { namePrefix: 'db' } });
    const id = (await alice.gql(SET, { input: { workspaceId: ws.id, name: 'gone', value: 0 } }))
      .data.setVariable.id;
    expect((await alice.gql(DELETE, { id })).data.deleteVariable).toBe(id);
    expect(codes(await alice.gql(ONE, { id }))).toEqual(['NOT_FOUND']);
    expect(all.data.workspace.variables.totalCount).toBe(3);
  });
});

describe('permissions', () => {
  it('a Viewer reads but cannot set or delete; a stranger gets NOT_FOUND', async () => {
    const bob = await addMember(stack, alice);
    await setRole(alice, ws.id, bob.userId, 'VIEWER');
    const v = (await alice.gql(SET, { input: { workspaceId: ws.id, name: 'seen', value: 1 } })).data
      .setVariable;
    await eventually(async () => {
      expect((await bob.gql(ONE, { id: v.id })).data?.variable?.id).toBe(v.id);
    });
    const set = await bob.gql(SET, { input: { workspaceId: ws.id, name: 'seen', value: 2 } });
    expect(set.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_variables',
    });
    expect(codes(await bob.gql(DELETE, { id: v.id }))).toEqual(['FORBIDDEN']);
    expect((await alice.gql(ONE, { id: v.id })).data.variable.value).toBe(1);
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(ONE, { id: v.id }))).toEqual(['NOT_FOUND']);
    expect(codes(await mallory.gql(LIST, { id: ws.id }))).toEqual(['NOT_FOUND']);
  });
});

describe('workspace deletion', () => {
  it('removes the variables, blocks, logs, artifacts and limits of the workspace', async () => {
    const gone = await createWorkspace(alice);
    await alice.gql(SET, { input: { workspaceId: gone.id, name: 'doomed', value: 1 } });
    await alice.gql(
      `mutation($input: CreateConcurrencyLimitInput!) { createConcurrencyLimit(input: $input) { id } }`,
      { input: { workspaceId: gone.id, kind: 'TAG', name: 'doomed', limit: 1 } },
    );
    const conn = stack.running.subgraphs.operations!.orm.em.getConnection();
    const count = async () => {
      let n = 0;
      for (const t of ['variable', 'concurrency_limit'])
        n += Number(
          (
            await conn.execute(`select count(*) as n from ${t} where workspace_id = ?`, [gone.id])
          )[0].n,
        );
      return n;
    };
    expect(await count()).toBe(2);
    expect(
      (await alice.gql(`mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: gone.id })).errors,
    ).toBeUndefined();
    await eventually(async () => expect(await count()).toBe(0));
  });
});
