/**
 * Capacity model (issue 16, goal 7): what one flow run costs in storage and CPU on PostgreSQL, and
 * what 1M runs/day needs. The embedded stack in this process on a fresh schema prefix (background
 * jobs off, so nothing is pruned while measuring) runs `--runs` flow runs, `--concurrency` at a
 * time, each: created, PENDING, RUNNING, `--tasks` task runs (created, RUNNING, COMPLETED), 10 log
 * lines, 5 events, COMPLETED. Then, per table of every subgraph schema: rows and bytes (table,
 * indexes and TOAST) added per run, the rule that bounds the table, and its steady-state size at
 * `--per-day` runs a day.
 *   npm run bench:capacity [-- --runs 200 --tasks 3 --concurrency 4 --per-day 1000000]
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { startEmbedded } from '../server/services.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient } from './http-client.js';
import { flowplaneEvent, EMIT } from './ingest-workloads.js';
import { benchEnv, flag } from './load.js';
import { seed } from './orchestration.js';

const RUNS = Number(flag('runs', '200'));
const TASKS = Number(flag('tasks', '3'));
const CONCURRENCY = Number(flag('concurrency', '4'));
const PER_DAY = Number(flag('per-day', '1000000'));

/**
 * What bounds each table that grows with runs: a retention (days) enforced by a background job,
 * or nothing (kept until the run, its workspace or its account is deleted).
 */
const BOUNDS: Record<string, { days: number | null; rule: string }> = {
  ...Object.fromEntries(
    ['users', 'workspaces', 'access', 'operations'].flatMap((subgraph) => [
      [`${subgraph}.outbox`, { days: 1, rule: 'OUTBOX_RETENTION_HOURS (24 h) after publication' }],
      [`${subgraph}.handled_event`, { days: 7, rule: 'HANDLED_EVENT_RETENTION_DAYS (7)' }],
    ]),
  ),
  'operations.event': { days: 30, rule: 'workspace event retention (30 days by default)' },
  'operations.event_related': { days: 30, rule: 'with its event' },
  'operations.log': { days: 30, rule: 'workspace log retention (30 days by default)' },
  'access.audit_event': { days: 365, rule: 'account audit retention (365 days by default)' },
  'operations.flow_run': {
    days: 30,
    rule: 'workspace flow-run retention (30 days after the run ended, by default)',
  },
  'operations.task_run': { days: 30, rule: 'with its flow run' },
  'operations.run_state': { days: 30, rule: 'with its run' },
  'operations.artifact': { days: 30, rule: 'with its run' },
};

const url = process.env.DATABASE_URL;
if (!url) {
  console.log('bench:capacity needs PostgreSQL: set DATABASE_URL (scripts/services.sh --env)');
  process.exit(1);
}
const prefix = `bench_cap_${randomBytes(3).toString('hex')}_`;
const env = benchEnv({ DATABASE_URL: url, DATABASE_SCHEMA_PREFIX: prefix });
const client = new pg.Client({ connectionString: url });
await client.connect();

interface TableSize {
  rows: number;
  bytes: number;
}

/** Rows and bytes (heap, indexes, TOAST) of every table under the prefix, after a checkpoint of statistics. */
async function sizes(): Promise<Map<string, TableSize>> {
  const tables = await client.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name from information_schema.tables
      where table_schema like $1 and table_type = 'BASE TABLE'`,
    [`${prefix}%`],
  );
  const out = new Map<string, TableSize>();
  for (const t of tables.rows) {
    if (t.name === 'mikro_orm_migrations') continue;
    const q = `"${t.schema}"."${t.name}"`;
    const r = await client.query<{ rows: string; bytes: string }>(
      `select (select count(*) from ${q}) as rows, pg_total_relation_size('${q}') as bytes`,
    );
    out.set(`${t.schema.slice(prefix.length)}.${t.name}`, {
      rows: Number(r.rows[0]!.rows),
      bytes: Number(r.rows[0]!.bytes),
    });
  }
  return out;
}

/** Waits until no subgraph has an unpublished outbox row (the consumers have caught up). */
async function drained(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const schemas = await client.query<{ s: string }>(
      `select table_schema as s from information_schema.tables where table_schema like $1 and table_name = 'outbox'`,
      [`${prefix}%`],
    );
    let pending = 0;
    for (const { s } of schemas.rows)
      pending += Number(
        (await client.query(`select count(*) as n from "${s}".outbox where sent_at is null`))
          .rows[0].n,
      );
    if (!pending) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
}

const stack = await startEmbedded(env, {});
try {
  const base = `http://127.0.0.1:${stack.port}/graphql`;
  const s = await seed(base);
  const call = graphqlClient(base, s.token);
  const workspaceId = (
    await call(`query($id: ID!) { flow(id: $id) { workspace { id } } }`, { id: s.flowId })
  ).flow.workspace.id as string;
  const SET_FLOW = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
  const SET_TASK = `mutation($i: SetTaskRunStateInput!) { setTaskRunState(input: $i) { status } }`;
  const oneRun = async (n: number) => {
    const id = (
      await call(`mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`, {
        i: { deploymentId: s.deploymentId },
      })
    ).createFlowRun.id as string;
    for (const type of ['PENDING', 'RUNNING'])
      await call(SET_FLOW, { i: { flowRunId: id, state: { type } } });
    for (let t = 0; t < TASKS; t++) {
      const taskRunId = (
        await call(`mutation($i: CreateTaskRunInput!) { createTaskRun(input: $i) { id } }`, {
          i: { id: randomUUID(), flowRunId: id, taskKey: `step-${t}`, dynamicKey: '0' },
        })
      ).createTaskRun.id as string;
      for (const type of ['RUNNING', 'COMPLETED'])
        await call(SET_TASK, { i: { taskRunId, state: { type } } });
    }
    const now = Date.now();
    await call(`mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
      input: {
        workspaceId,
        logs: Array.from({ length: 10 }, (_, i) => ({
          flowRunId: id,
          level: [10, 20, 20, 20, 30, 40][i % 6],
          message: `task step ${n}.${i} finished: rows=${(i * 7919) % 10007} elapsed=${i % 97}ms`,
          timestamp: new Date(now + i).toISOString(),
        })),
      },
    });
    await call(EMIT, {
      input: {
        workspaceId,
        events: Array.from({ length: 5 }, (_, i) => flowplaneEvent('capacity', n * 5 + i)),
      },
    });
    await call(SET_FLOW, { i: { flowRunId: id, state: { type: 'COMPLETED' } } });
  };
  // Warm-up (JIT, caches), then the measured runs.
  for (let i = 0; i < 10; i++) await oneRun(-1 - i);
  await drained();
  const before = await sizes();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < RUNS) await oneRun(next++);
    }),
  );
  const wallClient = (performance.now() - t0) / 1000;
  await drained();
  const cpu = process.cpuUsage(cpu0);
  const after = await sizes();

  const cpuMsPerRun = (cpu.user + cpu.system) / 1000 / RUNS;
  const rows: { table: string; rows: number; bytes: number }[] = [];
  for (const [table, a] of after) {
    const b = before.get(table) ?? { rows: 0, bytes: 0 };
    const rowsPerRun = (a.rows - b.rows) / RUNS;
    const bytesPerRun = (a.bytes - b.bytes) / RUNS;
    if (rowsPerRun > 0.01 || bytesPerRun > 16)
      rows.push({ table, rows: rowsPerRun, bytes: bytesPerRun });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  console.log(
    `\n${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model.trim()}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL on ${new URL(url).hostname}`,
  );
  console.log(
    `${RUNS} flow runs × (${TASKS} task runs, 10 log lines, 5 events), ${CONCURRENCY} at a time: ` +
      `${(RUNS / wallClient).toFixed(1)} runs/s, ${cpuMsPerRun.toFixed(1)} ms of CPU per run ` +
      `(the whole stack in one process, client included)\n`,
  );
  console.log(
    `| table | rows per run | bytes per run | bounded by | at ${PER_DAY.toLocaleString('en')} runs/day |`,
  );
  console.log('|---|---:|---:|---|---:|');
  let steady = 0;
  let perYear = 0;
  for (const r of rows) {
    const bound = BOUNDS[r.table];
    const day = r.bytes * PER_DAY;
    const size =
      bound?.days != null ? `${gib(day * bound.days)} GiB steady` : `+${gib(day * 365)} GiB a year`;
    if (bound?.days != null) steady += day * bound.days;
    else perYear += day * 365;
    console.log(
      `| ${r.table} | ${r.rows.toFixed(1)} | ${Math.round(r.bytes).toLocaleString('en')} | ${bound?.rule ?? 'kept (deleted with its run, workspace or account)'} | ${size} |`,
    );
  }
  const total = rows.reduce((t, r) => t + r.bytes, 0);
  console.log(
    `\nTotal ${Math.round(total).toLocaleString('en')} bytes per run = ${gib(total * PER_DAY)} GiB a day written; ` +
      `bounded tables ${gib(steady)} GiB at steady state, unbounded ones grow ${gib(perYear)} GiB a year. ` +
      `CPU: ${((cpuMsPerRun * PER_DAY) / 86_400_000).toFixed(2)} cores on average for ${PER_DAY.toLocaleString('en')} runs/day at this cost per run.`,
  );
} finally {
  await stack.stop();
  await client.end();
  await dropSchemas(prefix);
}
process.exit(0);
