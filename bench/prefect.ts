/**
 * Prefect's client on Flowplane (issue 11, scenario 8), in one run:
 *   npm run bench:prefect [-- --db sqlite|postgres --flows 8 --tasks 50
 *                             --requests 1000 --concurrency 16 --rounds 3 --wait 900]
 * - end to end: `flowplane serve all` (SQLite files, or PostgreSQL schemas with `--db postgres`;
 *   rate limits off), the real Prefect client in Cloud mode with an API key
 *   (bench/prefect/workload.py): `flows` client processes start together, each runs one flow of
 *   `tasks` sequential tasks; timed from the common start until Flowplane has recorded every flow
 *   run and task run COMPLETED (task runs arrive as events, after the fact). Task runs/s and the
 *   server's CPU per task run.
 * - the REST layer's overhead: the same operation sent `requests` times, `concurrency` at a time,
 *   through the REST route and as the route's own GraphQL document and variables sent straight
 *   to /graphql with the same key; `rounds` alternating rounds, medians. Operations: read a flow
 *   run (GET /flow_runs/{id}), create a task run (POST /task_runs/), propose a task run's state
 *   (POST /task_runs/{id}/set_state, PENDING again and again). Goal: REST ≥ 0.9× GraphQL.
 * Prints one JSON line per measurement and a summary table with the machine, date and load.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { routes } from '../rest/routes/index.js';
import type { Route } from '../rest/route.js';
import { graphqlClient, restClient } from './http-client.js';
import { flag, machine, median, processTreeCpuMs } from './load.js';
import {
  recorded,
  round,
  startFlowplane,
  VENV,
  workload,
  type FlowplaneTarget,
} from './prefect-target.js';

const DB = flag('db', 'sqlite');
const FLOWS = Number(flag('flows', '8'));
const TASKS = Number(flag('tasks', '50'));
const REQUESTS = Number(flag('requests', '1000'));
const CONCURRENCY = Number(flag('concurrency', '16'));
const ROUNDS = Number(flag('rounds', '3'));
/** How long to wait for Flowplane to record every task run (seconds). */
const WAIT = Number(flag('wait', '900'));

function routeOf(method: string, path: string): Route {
  const r = routes.find((x) => x.method === method && x.path === path);
  if (!r?.operation || !r.variables) throw new Error(`no route ${method} ${path}`);
  return r;
}

/**
 * One REST request and the GraphQL request the route sends for it: the route's own document and
 * the variables its mapping makes of the same path and body.
 */
interface Pair {
  name: string;
  rest: (i: number) => Promise<unknown>;
  graphql: (i: number) => Promise<unknown>;
}

function pair(
  t: FlowplaneTarget,
  name: string,
  method: string,
  path: string,
  params: Record<string, string>,
  body: (i: number, via: 'rest' | 'graphql') => unknown,
): Pair {
  const route = routeOf(method, path);
  const rest = restClient(t.apiUrl, t.key);
  const gql = graphqlClient(t.graphqlUrl, t.key);
  const query = print(route.operation as DocumentNode);
  if (!getOperationAST(route.operation as DocumentNode)?.name) throw new Error('unnamed');
  const url = path.replace(/\{(\w+)\}/g, (_, p: string) => params[p]!);
  return {
    name: `${name} (${method} ${path})`,
    rest: (i) => rest(method, url, body(i, 'rest')),
    graphql: (i) => {
      const raw = body(i, 'graphql');
      const parsed = route.body ? route.body.parse(raw ?? {}) : undefined;
      return gql(
        query,
        route.variables!({
          params,
          query: new URLSearchParams(),
          body: parsed,
          workspaceId: t.workspaceId,
          accountId: t.accountId,
          headers: {},
        }) as Record<string, unknown>,
      );
    },
  };
}

/** Requests per second of `n` calls, `concurrency` in flight. */
async function rate(n: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await call(next++);
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

async function endToEnd(t: FlowplaneTarget) {
  // Warm-up: imports, the flow's registration, the server's caches.
  await workload(t, ['flows', String(FLOWS), '1', '2']);
  const before = await t.completed('peer-bench');
  const cpuBefore = processTreeCpuMs(t.pid);
  const r = await workload(t, ['flows', String(FLOWS), '1', String(TASKS)]);
  if (r.failed) throw new Error(`${r.failed} flows failed: ${r.errors.join('; ')}`);
  await recorded(
    t,
    'peer-bench',
    { flows: before.flows + r.flows, tasks: before.tasks + r.tasks },
    WAIT * 1000,
  );
  const seconds = Date.now() / 1000 - r.started_at;
  const cpuMs = processTreeCpuMs(t.pid) - cpuBefore;
  return {
    flows: r.flows as number,
    tasks: r.tasks as number,
    clientSeconds: round(r.seconds, 2),
    seconds: round(seconds, 2),
    taskRunsPerSecond: round(r.tasks / seconds, 1),
    serverCpuMsPerTaskRun: round(cpuMs / r.tasks, 2),
  };
}

async function overhead(t: FlowplaneTarget) {
  const gql = graphqlClient(t.graphqlUrl, t.key);
  const runs = await gql(
    `query($w: ID!) { workspace(id: $w) { flowRuns(first: 1) { edges {
    node { id taskRuns(first: 1) { edges { node { id } } } } } } } }`,
    { w: t.workspaceId },
  );
  const flowRun = runs.workspace.flowRuns.edges[0].node;
  const flowRunId = flowRun.id as string;
  const taskRunId = flowRun.taskRuns.edges[0].node.id as string;
  const pairs: Pair[] = [
    pair(t, 'read a flow run', 'GET', '/flow_runs/{id}', { id: flowRunId }, () => undefined),
    pair(t, 'create a task run', 'POST', '/task_runs/', {}, (i, via) => ({
      flow_run_id: flowRunId,
      task_key: 'bench-task',
      dynamic_key: `${via}-${i}-${randomUUID()}`,
      name: 'bench-task',
      state: { type: 'PENDING' },
    })),
    pair(t, 'set a task run state', 'POST', '/task_runs/{id}/set_state', { id: taskRunId }, () => ({
      state: { type: 'COMPLETED' },
      force: true,
    })),
  ];
  const rows = [];
  for (const p of pairs) {
    await rate(Math.min(200, REQUESTS), p.rest);
    await rate(Math.min(200, REQUESTS), p.graphql);
    const rest: number[] = [];
    const graphql: number[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      rest.push(await rate(REQUESTS, p.rest));
      graphql.push(await rate(REQUESTS, p.graphql));
    }
    const row = {
      operation: p.name,
      restPerSecond: Math.round(median(rest)),
      graphqlPerSecond: Math.round(median(graphql)),
      ratio: round(median(rest) / median(graphql), 2),
      load: loadavg()[0]!.toFixed(1),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  return rows;
}

async function main() {
  if (!existsSync(join(VENV, 'bin/prefect')))
    throw new Error(`no Prefect in ${VENV}: run scripts/python-env.sh`);
  if (TASKS > 100) throw new Error('--tasks at most 100');
  const kind = DB === 'postgres' || DB === 'postgresql' ? 'postgresql' : 'sqlite';
  if (kind === 'postgresql' && !process.env.DATABASE_URL)
    throw new Error('--db postgres needs DATABASE_URL (eval "$(scripts/services.sh --env)")');
  const started = new Date();
  const loadBefore = loadavg();
  const t = await startFlowplane(kind);
  try {
    const e2e = await endToEnd(t);
    console.log(JSON.stringify({ endToEnd: e2e }));
    const rows = await overhead(t);
    console.log(
      `\n${started.toISOString()} — ${machine()}; flowplane serve all (${kind}); load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} at start, ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} at end\n`,
    );
    console.log(
      `End to end: ${e2e.flows} flows × ${TASKS} tasks (${FLOWS} client processes): ${e2e.taskRunsPerSecond} task runs/s (${e2e.clientSeconds} s client, ${e2e.seconds} s until recorded), ${e2e.serverCpuMsPerTaskRun} ms server CPU per task run\n`,
    );
    console.log(
      `REST vs GraphQL (${REQUESTS} requests × ${ROUNDS} rounds, ${CONCURRENCY} in flight, medians):\n`,
    );
    console.log(
      '| operation | REST req/s | GraphQL req/s | REST / GraphQL |\n|---|---:|---:|---:|',
    );
    for (const r of rows)
      console.log(`| ${r.operation} | ${r.restPerSecond} | ${r.graphqlPerSecond} | ${r.ratio}× |`);
  } finally {
    await t.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
