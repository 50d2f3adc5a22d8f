import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import {
  addMember,
  createWorkspace,
  eventually,
  REMOVE_ACCESS,
  setRole,
} from '../access/fixtures.js';

const CREATE = `mutation($input: CreateFlowInput!) {
  createFlow(input: $input) { id name tags labels createdAt updatedAt }
}`;
const UPDATE = `mutation($input: UpdateFlowInput!) { updateFlow(input: $input) { id name tags labels } }`;
const DELETE = `mutation($id: ID!) { deleteFlow(id: $id) }`;
const FLOW = `query($id: ID!) { flow(id: $id) { id name } }`;
const FLOWS = `query($id: ID!, $first: Int, $after: String, $filter: FlowFilter) {
  workspace(id: $id) {
    flows(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name tags } }
    }
  }
}`;

let stack: Stack;
let alice: Actor;
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

async function createFlow(by: Actor, workspaceId: string, over: Record<string, unknown> = {}) {
  const res = await by.gql(CREATE, { input: { workspaceId, name: `flow-${uid(4)}`, ...over } });
  expect(res.errors).toBeUndefined();
  return res.data.createFlow as {
    id: string;
    name: string;
    tags: string[];
    labels: Record<string, unknown>;
  };
}

describe('permissions by workspace role', () => {
  let ws: { id: string };
  let flowId: string;
  let bob: Actor;
  beforeAll(async () => {
    ws = await createWorkspace(alice, null);
    flowId = (await createFlow(alice, ws.id)).id;
    bob = await addMember(stack, alice);
  });

  it('an account member without a role in the workspace gets NOT_FOUND, never data', async () => {
    const one = await bob.gql(FLOW, { id: flowId });
    expect(one.data?.flow ?? null).toBeNull();
    expect(codes(one)).toEqual(['NOT_FOUND']);
    expect(codes(await bob.gql(CREATE, { input: { workspaceId: ws.id, name: 'x' } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('VIEWER reads flows but createFlow, updateFlow and deleteFlow are FORBIDDEN', async () => {
    await setRole(alice, ws.id, bob.userId, 'VIEWER');
    const one = await bob.gql(FLOW, { id: flowId });
    expect(one.errors).toBeUndefined();
    expect(one.data.flow.id).toBe(flowId);
    const list = await bob.gql(FLOWS, { id: ws.id });
    expect(list.errors).toBeUndefined();
    expect(list.data.workspace.flows.edges.map((e: any) => e.node.id)).toContain(flowId);
    for (const res of [
      await bob.gql(CREATE, { input: { workspaceId: ws.id, name: 'nope' } }),
      await bob.gql(UPDATE, { input: { id: flowId, name: 'nope' } }),
      await bob.gql(DELETE, { id: flowId }),
    ]) {
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        permission: 'manage_flows',
      });
    }
  });

  it('RUNNER reads flows and cannot change them', async () => {
    await setRole(alice, ws.id, bob.userId, 'RUNNER');
    expect((await bob.gql(FLOW, { id: flowId })).data.flow.id).toBe(flowId);
    expect(codes(await bob.gql(CREATE, { input: { workspaceId: ws.id, name: 'nope' } }))).toEqual([
      'FORBIDDEN',
    ]);
  });

  it('DEVELOPER creates, updates and deletes flows', async () => {
    await setRole(alice, ws.id, bob.userId, 'DEVELOPER');
    const flow = await createFlow(bob, ws.id, { name: 'by-bob', tags: ['x'] });
    const updated = await bob.gql(UPDATE, {
      input: { id: flow.id, name: 'by-bob-2', labels: { team: 'data' } },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateFlow).toMatchObject({
      name: 'by-bob-2',
      tags: ['x'],
      labels: { team: 'data' },
    });
    expect((await bob.gql(DELETE, { id: flow.id })).data.deleteFlow).toBe(flow.id);
    expect(codes(await bob.gql(FLOW, { id: flow.id }))).toEqual(['NOT_FOUND']);
  });

  it('removing the binding removes access at once', async () => {
    const removed = await alice.gql(REMOVE_ACCESS, {
      input: { workspaceId: ws.id, userId: bob.userId },
    });
    expect(removed.errors).toBeUndefined();
    expect(codes(await bob.gql(FLOW, { id: flowId }))).toEqual(['NOT_FOUND']);
    expect(codes(await bob.gql(CREATE, { input: { workspaceId: ws.id, name: 'x' } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('the workspace default role applies to members without a binding', async () => {
    const open = await createWorkspace(alice, 'VIEWER');
    const f = await createFlow(alice, open.id);
    expect((await bob.gql(FLOW, { id: f.id })).data.flow.id).toBe(f.id);
    expect(codes(await bob.gql(CREATE, { input: { workspaceId: open.id, name: 'x' } }))).toEqual([
      'FORBIDDEN',
    ]);
  });

  it('a user of another account gets NOT_FOUND for flow(id), the workspace flows and createFlow', async () => {
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(FLOW, { id: flowId }))).toEqual(['NOT_FOUND']);
    const list = await mallory.gql(FLOWS, { id: ws.id });
    expect(list.data?.workspace ?? null).toBeNull();
    expect(codes(list)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(list)).not.toContain(flowId);
    expect(codes(await mallory.gql(CREATE, { input: { workspaceId: ws.id, name: 'x' } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await mallory.gql(UPDATE, { input: { id: flowId, name: 'x' } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await mallory.gql(DELETE, { id: flowId }))).toEqual(['NOT_FOUND']);
    expect(codes(await mallory.gql(FLOW, { id: 'not-a-uuid' }))).toEqual(['NOT_FOUND']);
  });

  it('anonymous callers are UNAUTHENTICATED', async () => {
    const res = await stack.gql(FLOW, { id: flowId });
    expect(res.data?.flow ?? null).toBeNull();
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('Workspace.flows', () => {
  let ws: { id: string; handle: string };
  const names: string[] = [];
  beforeAll(async () => {
    ws = await createWorkspace(alice);
    const specs: [string, string[]][] = [
      ['etl_daily 100%', ['etl', 'daily']],
      ['ETL weekly', ['etl', 'weekly']],
      ['reporting', ['daily']],
      ['cleanup', []],
      ['backfill', ['etl', 'daily', 'slow']],
    ];
    for (const [name, tags] of specs)
      names.push((await createFlow(alice, ws.id, { name, tags })).name);
  });

  it('pages oldest first with cursors, hasNextPage and totalCount', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res: any = await alice.gql(FLOWS, { id: ws.id, first: 2, after });
      expect(res.errors).toBeUndefined();
      const conn = res.data.workspace.flows;
      expect(conn.totalCount).toBe(5);
      seen.push(...conn.edges.map((e: any) => e.node.name));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(names);
    const empty = await alice.gql(FLOWS, { id: ws.id, first: 0 });
    expect(empty.data.workspace.flows).toMatchObject({
      totalCount: 5,
      edges: [],
      pageInfo: { hasNextPage: true },
    });
  });

  it('filters by name (case-insensitive, wildcards literal) and by all of several tags', async () => {
    const names = async (filter: Record<string, unknown>) => {
      const res = await alice.gql(FLOWS, { id: ws.id, filter });
      expect(res.errors).toBeUndefined();
      return {
        total: res.data.workspace.flows.totalCount,
        names: res.data.workspace.flows.edges.map((e: any) => e.node.name),
      };
    };
    expect(await names({ nameContains: 'etl' })).toEqual({
      total: 2,
      names: ['etl_daily 100%', 'ETL weekly'],
    });
    expect(await names({ nameContains: '_' })).toEqual({ total: 1, names: ['etl_daily 100%'] });
    expect(await names({ nameContains: '%' })).toEqual({ total: 1, names: ['etl_daily 100%'] });
    expect(await names({ tags: ['etl', 'daily'] })).toEqual({
      total: 2,
      names: ['etl_daily 100%', 'backfill'],
    });
    expect(await names({ tags: ['daily'], nameContains: 'rep' })).toEqual({
      total: 1,
      names: ['reporting'],
    });
    expect(await names({ tags: ['nope'] })).toEqual({ total: 0, names: [] });
  });

  it('rejects first above 200 and a malformed cursor as BAD_USER_INPUT', async () => {
    const big = await alice.gql(FLOWS, { id: ws.id, first: 201 });
    expect(big.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const bad = await alice.gql(FLOWS, { id: ws.id, after: 'garbage' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('costs the same number of queries for a page of 1 and a page of 5', async () => {
    const query = `query($id: ID!, $first: Int) {
      workspace(id: $id) { flows(first: $first) { edges { node { name createdBy { handle } workspace { id } } } } }
    }`;
    const cost = async (first: number) => {
      await alice.gql(query, { id: ws.id, first }); // warm the grants cache
      stack.counters.operations.reset();
      stack.counters.users.reset();
      const res = await alice.gql(query, { id: ws.id, first });
      expect(res.errors).toBeUndefined();
      expect(res.data.workspace.flows.edges).toHaveLength(first);
      return [stack.counters.operations.count, stack.counters.users.count];
    };
    const one = await cost(1);
    expect(await cost(5)).toEqual(one);
    // A first page reads its rows and the list's count in one statement.
    expect(one[0]).toBe(1);
  });

  it('resolves createdBy from users and the account from workspaces in one query', async () => {
    const account = await alice.gql(`query($id: ID!) { account(id: $id) { handle } }`, {
      id: alice.accountId,
    });
    const res = await alice.gql(
      `query($id: ID!) {
        workspace(id: $id) {
          handle
          account { id handle }
          myPermissions
          can(permission: "manage_flows")
          flows(first: 1) {
            edges { node { name createdBy { id handle } createdByServiceAccount { id } workspace { handle } } }
          }
        }
      }`,
      { id: ws.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.workspace).toMatchObject({
      handle: ws.handle,
      account: { id: alice.accountId, handle: account.data.account.handle },
      can: true,
      flows: {
        edges: [
          {
            node: {
              name: names[0],
              createdBy: { id: alice.userId, handle: alice.handle },
              createdByServiceAccount: null,
              workspace: { handle: ws.handle },
            },
          },
        ],
      },
    });
    expect(res.data.workspace.myPermissions).toContain('manage_flows');
  });
});

describe('createFlow and updateFlow input', () => {
  let ws: { id: string };
  beforeAll(async () => {
    ws = await createWorkspace(alice);
  });

  it('rejects bad input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'tags'],
      [{ tags: ['x'.repeat(101)] }, 'tags'],
      [{ tags: [''] }, 'tags'],
      [{ labels: ['not', 'an', 'object'] }, 'labels'],
      [{ labels: { nested: { no: true } } }, 'labels'],
    ];
    for (const [over, field] of cases) {
      const res = await alice.gql(CREATE, {
        input: { workspaceId: ws.id, name: `ok-${uid(3)}`, ...over },
      });
      expect(res.errors?.[0]?.extensions, JSON.stringify(over).slice(0, 80)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    const list = await alice.gql(FLOWS, { id: ws.id });
    expect(list.data.workspace.flows.totalCount).toBe(0);
  });

  it('keeps 50 tags of 100 characters, drops duplicate tags and stores labels', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, 'x'));
    const flow = await createFlow(alice, ws.id, {
      tags: [...tags, tags[0]],
      labels: { a: 'b', n: 1, ok: true },
    });
    expect(flow.tags).toEqual(tags);
    expect(flow.labels).toEqual({ a: 'b', n: 1, ok: true });
  });

  it('a duplicate name is a CONFLICT on name, in create and in update; other workspaces are separate', async () => {
    const first = await createFlow(alice, ws.id, { name: 'unique-name' });
    const dup = await alice.gql(CREATE, { input: { workspaceId: ws.id, name: 'unique-name' } });
    expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
    const other = await createFlow(alice, ws.id, { name: 'other-name' });
    const renamed = await alice.gql(UPDATE, { input: { id: other.id, name: 'unique-name' } });
    expect(renamed.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
    const same = await alice.gql(UPDATE, {
      input: { id: first.id, name: 'unique-name', tags: ['t'] },
    });
    expect(same.data.updateFlow).toMatchObject({ name: 'unique-name', tags: ['t'] });
    const ws2 = await createWorkspace(alice);
    await createFlow(alice, ws2.id, { name: 'unique-name' });
  });
});

describe('service accounts and workspace deletion', () => {
  it('a service account with a DEVELOPER binding creates flows as itself', async () => {
    const ws = await createWorkspace(alice);
    const sa = await alice.gql(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { key serviceAccount { id } } }`,
      { input: { accountId: alice.accountId, name: `ci-${uid(3)}` } },
    );
    expect(sa.errors).toBeUndefined();
    const saId = sa.data.createServiceAccount.serviceAccount.id;
    const bot = stack.as(sa.data.createServiceAccount.key);
    await eventually(async () => {
      const me = await bot.gql(`{ me { accounts { id } } }`);
      expect(me.data.me.accounts.map((a: any) => a.id)).toContain(alice.accountId);
    });
    const bound = await alice.gql(
      `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { serviceAccount { id name } } }`,
      { input: { workspaceId: ws.id, serviceAccountId: saId, role: 'DEVELOPER' } },
    );
    expect(bound.data.setWorkspaceRole.serviceAccount.id).toBe(saId);
    const res = await bot.gql(
      `mutation($input: CreateFlowInput!) {
        createFlow(input: $input) { id createdBy { id } createdByServiceAccount { id name } }
      }`,
      { input: { workspaceId: ws.id, name: 'from-ci' } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.createFlow.createdBy).toBeNull();
    expect(res.data.createFlow.createdByServiceAccount.id).toBe(saId);
  });

  it('deleting a workspace deletes its flows', async () => {
    const ws = await createWorkspace(alice);
    await createFlow(alice, ws.id);
    await createFlow(alice, ws.id);
    const orm = stack.running.subgraphs.operations!.orm;
    const count = async () =>
      Number(
        (
          await orm.em
            .getConnection()
            .execute(`select count(*) as n from flow where workspace_id = ?`, [ws.id])
        )[0].n,
      );
    expect(await count()).toBe(2);
    const del = await alice.gql(`mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: ws.id });
    expect(del.errors).toBeUndefined();
    await eventually(async () => expect(await count()).toBe(0));
  });
});
