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
      edges { node { flowRunId taskRunId workerId level levelName message timestamp } }
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

describe('a worker’s own lines', () => {
  const HEARTBEAT = `mutation($input: WorkerHeartbeatInput!) { workerHeartbeat(input: $input) { id } }`;
  const WORKER_LOGS = `query($pool: ID!) { workPool(id: $pool) {
    workers { name logs(first: 10) { totalCount edges { node { message flowRunId workerId } } } }
  } }`;

  async function worker(owner: Actor, workspaceId: string, name: string) {
    const pool = await owner.gql(
      `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id } }`,
      { input: { workspaceId, name: `pool-${randomUUID().slice(0, 8)}`, type: 'process' } },
    );
    expect(pool.errors).toBeUndefined();
    const poolId = pool.data.createWorkPool.id as string;
    const hb = await owner.gql(HEARTBEAT, { input: { workPoolId: poolId, name } });
    expect(hb.errors).toBeUndefined();
    return { poolId, workerId: hb.data.workerHeartbeat.id as string };
  }

  it('stores lines of a worker with no run, readable by worker and on the worker', async () => {
    const { poolId, workerId } = await worker(alice, ws.id, 'w-own');
    const run = randomUUID();
    const res = await alice.gql(WRITE, {
      input: {
        workspaceId: ws.id,
        logs: [
          { workerId, level: 20, message: 'worker started', timestamp: at(0) },
          { workerId, flowRunId: run, level: 20, message: 'submitting run', timestamp: at(1) },
        ],
      },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.writeLogs).toBe(2);
    const mine = await all(alice, { workerId });
    expect(mine.nodes.map((n) => [n.message, n.flowRunId])).toEqual([
      ['worker started', null],
      ['submitting run', run],
    ]);
    const onWorker = await alice.gql(WORKER_LOGS, { pool: poolId });
    expect(onWorker.errors).toBeUndefined();
    expect(onWorker.data.workPool.workers[0].logs).toMatchObject({
      totalCount: 2,
      edges: [
        { node: { message: 'worker started', flowRunId: null, workerId } },
        { node: { message: 'submitting run', flowRunId: run, workerId } },
      ],
    });
  });

  it('refuses a worker of another workspace, and a line of neither run nor worker, storing nothing', async () => {
    const other = await createWorkspace(alice);
    const { workerId: foreign } = await worker(alice, other.id, 'w-foreign');
    const before = (await all(alice, {})).total;
    const bad = await alice.gql(WRITE, {
      input: {
        workspaceId: ws.id,
        logs: [
          { flowRunId: randomUUID(), level: 20, message: 'fine', timestamp: at(0) },
          { workerId: foreign, level: 20, message: 'not here', timestamp: at(1) },
        ],
      },
    });
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'logs.1.workerId',
    });
    const neither = await alice.gql(WRITE, {
      input: { workspaceId: ws.id, logs: [{ level: 20, message: 'orphan', timestamp: at(0) }] },
    });
    expect(neither.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'logs.0.flowRunId',
    });
    expect((await all(alice, {})).total).toBe(before);
  });

  it('a worker’s own lines need see_workers besides see_logs; its run lines need see_logs only', async () => {
    const { workerId } = await worker(alice, ws.id, 'w-private');
    const run = randomUUID();
    await alice.gql(WRITE, {
      input: {
        workspaceId: ws.id,
        logs: [
          { workerId, level: 20, message: 'private worker line', timestamp: at(0) },
          { workerId, flowRunId: run, level: 20, message: 'run line', timestamp: at(1) },
        ],
      },
    });
    const role = await alice.gql(
      `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
      {
        input: {
          accountId: alice.accountId,
          name: `logs-only-${randomUUID().slice(0, 6)}`,
          level: 'WORKSPACE',
          permissions: ['see_workspace', 'see_logs'],
        },
      },
    );
    expect(role.errors).toBeUndefined();
    const reader = await addMember(stack, alice);
    const bound = await alice.gql(
      `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
      { input: { workspaceId: ws.id, userId: reader.userId, roleId: role.data.createRole.id } },
    );
    expect(bound.errors).toBeUndefined();
    const seen = (await all(reader, {})).nodes.map((n) => n.message);
    expect(seen).toContain('run line');
    expect(seen).not.toContain('private worker line');
    expect((await all(reader, { flowRunId: run })).total).toBe(1);
    const refused = await reader.gql(LOGS, { id: ws.id, filter: { workerId } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'see_workers',
    });
    // A Viewer has both: it sees the worker's own line.
    const viewer = await addMember(stack, alice, { id: ws.id, role: 'VIEWER' });
    expect((await all(viewer, { workerId })).nodes.map((n) => n.message)).toEqual([
      'private worker line',
      'run line',
    ]);
  });
});

describe('retention', () => {
  const RETENTION = `mutation($input: SetLogRetentionInput!) { setLogRetention(input: $input) { id logRetentionDays } }`;
  const DAY = 24 * 3600 * 1000;

  it('purges each workspace’s lines older than its retention, in batches, and audits the setting', async () => {
    const a = await createWorkspace(alice);
    const b = await createWorkspace(alice);
    const now = Date.now();
    const ago = (days: number, i = 0) => new Date(now - days * DAY + i).toISOString();
    const write = async (workspaceId: string, logs: Record<string, unknown>[]) => {
      const res = await alice.gql(WRITE, { input: { workspaceId, logs } });
      expect(res.errors).toBeUndefined();
    };
    const run = randomUUID();
    // 6,000 lines of workspace a past the default 30 days: two batches of 5,000.
    for (let k = 0; k < 6; k++)
      await write(
        a.id,
        Array.from({ length: 1000 }, (_, i) => ({
          flowRunId: run,
          level: 20,
          message: `old ${k}.${i}`,
          timestamp: ago(40, k * 1000 + i),
        })),
      );
    await write(a.id, [
      { flowRunId: run, level: 20, message: 'recent', timestamp: ago(20) },
      { flowRunId: run, level: 20, message: 'now', timestamp: ago(0) },
    ]);
    await write(b.id, [
      { flowRunId: run, level: 20, message: 'b old', timestamp: ago(10) },
      { flowRunId: run, level: 20, message: 'b recent', timestamp: ago(3) },
    ]);

    for (const days of [0, 366, 1.5])
      expect(codes(await alice.gql(RETENTION, { input: { workspaceId: b.id, days } }))).toContain(
        'BAD_USER_INPUT',
      );
    const days = async (id: string) =>
      (await alice.gql(`query($id: ID!) { workspace(id: $id) { logRetentionDays } }`, { id })).data
        .workspace.logRetentionDays;
    expect(await days(b.id)).toBe(30);
    const set = await alice.gql(RETENTION, { input: { workspaceId: b.id, days: 7 } });
    expect(set.errors).toBeUndefined();
    expect(set.data.setLogRetention).toEqual({ id: b.id, logRetentionDays: 7 });

    const messages = async (workspaceId: string) => {
      const res: any = await alice.gql(LOGS, { id: workspaceId, filter: {}, first: 10 });
      expect(res.errors).toBeUndefined();
      return {
        total: res.data.workspace.logs.totalCount,
        last: res.data.workspace.logs.edges.map((e: any) => e.node.message).slice(-2),
      };
    };
    expect((await messages(a.id)).total).toBe(6002);

    const purge = stack.running.subgraphs.operations!.services.find(
      (s) => s.name === 'log-retention',
    )!;
    expect(await purge.runOnce(new Date(now))).toBeGreaterThanOrEqual(6001);
    expect(await messages(a.id)).toEqual({ total: 2, last: ['recent', 'now'] });
    expect(await messages(b.id)).toEqual({ total: 1, last: ['b recent'] });
    // Nothing left for these; a later pass takes what has aged since.
    await purge.runOnce(new Date(now));
    expect((await messages(a.id)).total).toBe(2);
    await purge.runOnce(new Date(now + 11 * DAY));
    expect(await messages(a.id)).toEqual({ total: 1, last: ['now'] });
    expect((await messages(b.id)).total).toBe(0);

    // The setting is in the account's audit log, with the previous value.
    await stack.quiesce();
    const audit: any = await alice.gql(
      `query($id: ID!) { auditEvents(accountId: $id, first: 10, filter: { actionPrefix: "workspace.log-retention-set" }) { edges { node { action summary } } } }`,
      { id: alice.accountId },
    );
    expect(audit.errors).toBeUndefined();
    expect(audit.data.auditEvents.edges.map((e: any) => e.node)).toEqual([
      { action: 'workspace.log-retention-set', summary: { days: 7, previousDays: 30 } },
    ]);
  });

  it('a Viewer reads the retention but cannot set it', async () => {
    const viewer = await addMember(stack, alice, { id: ws.id, role: 'VIEWER' });
    expect(
      (
        await viewer.gql(`query($id: ID!) { workspace(id: $id) { logRetentionDays } }`, {
          id: ws.id,
        })
      ).data.workspace.logRetentionDays,
    ).toBe(30);
    expect(
      codes(await viewer.gql(RETENTION, { input: { workspaceId: ws.id, days: 3 } })),
    ).toContain('FORBIDDEN');
  });
});
