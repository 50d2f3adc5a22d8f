import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace } from '../access/fixtures.js';

const WRITE = `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`;
const LOGS = `query($id: ID!, $filter: LogFilter, $first: Int, $after: String) {
  workspace(id: $id) {
    logs(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { flowRunId taskRunId level levelName message timestamp } }
    }
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

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

async function all(actor: Actor, filter: Record<string, unknown>, first = 200) {
  const out: any[] = [];
  let after: string | null = null;
  for (;;) {
    const res: any = await actor.gql(LOGS, { id: ws.id, filter, first, after });
    expect(res.errors).toBeUndefined();
    const conn = res.data.workspace.logs;
    out.push(...conn.edges.map((e: any) => e.node));
    if (!conn.pageInfo.hasNextPage) return { nodes: out, total: conn.totalCount };
    after = conn.pageInfo.endCursor;
  }
}

describe('writeLogs', () => {
  it('ingests 1,000 lines in a constant number of SQL statements', async () => {
    const run = randomUUID();
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        flowRunId: run,
        level: 20,
        message: `line ${i}`,
        timestamp: at(i),
      }));
    const cost = async (n: number) => {
      stack.counters.operations.reset();
      const res = await alice.gql(WRITE, { input: { workspaceId: ws.id, logs: batch(n) } });
      expect(res.errors).toBeUndefined();
      expect(res.data.writeLogs).toBe(n);
      return stack.counters.operations.count;
    };
    await cost(1); // warm the grants cache
    const thousand = await cost(1000);
    expect(thousand).toBe(1);
    expect(await cost(10)).toBe(thousand);
    const stored = await all(alice, { flowRunId: run });
    expect(stored.total).toBe(1011);
  });

  it('orders each run by timestamp, then by arrival for equal timestamps, across pages', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const task = randomUUID();
    const first = [
      { flowRunId: a, level: 20, message: 'a-2', timestamp: at(2000) },
      { flowRunId: b, level: 20, message: 'b-1', timestamp: at(1000) },
      { flowRunId: a, level: 20, message: 'a-1', timestamp: at(1000) },
      { flowRunId: a, taskRunId: task, levelName: 'ERROR', message: 'a-1b', timestamp: at(1000) },
    ];
    const second = [
      { flowRunId: a, level: 10, message: 'a-0', timestamp: at(500) },
      { flowRunId: a, level: 50, message: 'a-1c', timestamp: at(1000) },
    ];
    for (const logs of [first, second])
      expect(
        (await alice.gql(WRITE, { input: { workspaceId: ws.id, logs } })).errors,
      ).toBeUndefined();
    const { nodes } = await all(alice, { flowRunId: a }, 2);
    expect(nodes.map((n) => n.message)).toEqual(['a-0', 'a-1', 'a-1b', 'a-1c', 'a-2']);
    expect(nodes[2]).toMatchObject({ taskRunId: task, level: 40, levelName: 'ERROR' });
    const errors = await all(alice, { flowRunId: a, levelAtLeast: 40 });
    expect(errors.nodes.map((n) => n.message)).toEqual(['a-1b', 'a-1c']);
    const window = await all(alice, { flowRunId: a, since: at(1000), until: at(2000) });
    expect(window.nodes.map((n) => n.message)).toEqual(['a-1', 'a-1b', 'a-1c']);
    expect((await all(alice, { taskRunId: task })).nodes.map((n) => n.message)).toEqual(['a-1b']);
    expect((await all(alice, { flowRunId: b })).total).toBe(1);
  });

  it('rejects bad batches whole, naming the entry, storing nothing', async () => {
    const run = randomUUID();
    const ok = { flowRunId: run, level: 20, message: 'ok', timestamp: at(0) };
    const cases: [unknown[], string][] = [
      [Array.from({ length: 1001 }, () => ok), 'logs'],
      [[ok, { ...ok, level: 51 }], 'logs.1.level'],
      [[ok, ok, { ...ok, level: -1 }], 'logs.2.level'],
      [[{ ...ok, level: null }], 'logs.0.level'],
      [[{ ...ok, flowRunId: 'run-1' }], 'logs.0.flowRunId'],
      [[{ ...ok, message: 'x'.repeat(32 * 1024 + 1) }], 'logs.0.message'],
    ];
    for (const [logs, field] of cases) {
      const res = await alice.gql(WRITE, { input: { workspaceId: ws.id, logs } });
      expect(res.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect((await all(alice, { flowRunId: run })).total).toBe(0);
  });
});

describe('permissions', () => {
  it('a Viewer reads logs but cannot write them; strangers get NOT_FOUND', async () => {
    const viewer = await addMember(stack, alice, { id: ws.id, role: 'VIEWER' });
    const run = randomUUID();
    const logs = [{ flowRunId: run, level: 20, message: 'm', timestamp: at(0) }];
    const denied = await viewer.gql(WRITE, { input: { workspaceId: ws.id, logs } });
    expect(denied.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'write_logs',
    });
    await alice.gql(WRITE, { input: { workspaceId: ws.id, logs } });
    expect((await all(viewer, { flowRunId: run })).total).toBe(1);
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(WRITE, { input: { workspaceId: ws.id, logs } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await mallory.gql(LOGS, { id: ws.id }))).toEqual(['NOT_FOUND']);
  });
});
