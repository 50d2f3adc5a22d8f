/**
 * Error-summary benchmark: failing run lifecycles through the embedded gateway, background
 * services on their timers (as in production).
 *   npm run bench:error-summaries [-- --duration 10 --concurrency 8]
 * For SQLite (files in a temp folder) and, with DATABASE_URL, PostgreSQL: `concurrency` clients
 * loop createFlowRun → PENDING → RUNNING → writeLogs (one ModuleNotFoundError traceback) →
 * FAILED for `duration` seconds, first with the account's `aiErrorSummaries` off, then on.
 * Reports accepted transitions per second in both phases (their ratio: the cost of summaries to
 * the transitions) and, for the phase with summaries on, the latency from the FAILED state to the
 * written summary (p50, p95, max; from the stored times) and how many failures got one.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '../lib/env.js';
import type { Subgraph } from '../lib/subgraph.js';
import { startEmbedded } from '../server/services.js';
import type { OperationsContext } from '../subgraphs/operations/src/context.js';
import { ErrorSummary } from '../subgraphs/operations/src/error-summaries/error-summary.entity.js';
import { gqlRequest } from '../tests/harness/client.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { flag } from './load.js';

const DURATION = Number(flag('duration', '10'));
const CONCURRENCY = Number(flag('concurrency', '8'));
const DATABASE_URL = process.env.DATABASE_URL;

type Call = (query: string, variables?: Record<string, unknown>) => Promise<any>;

const TRACEBACK = `Encountered exception during execution:
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/prefect/flow_engine.py", line 652, in run_context
    yield self
  File "/opt/prefect/flows/etl.py", line 14, in etl
    import pandas as pd
ModuleNotFoundError: No module named 'pandas'`;

async function seed(url: string) {
  const handle = `sum-${randomBytes(3).toString('hex')}`;
  const up = await gqlRequest(url, `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
    i: { handle, email: `${handle}@example.test`, password: 'Bench-Mark-123' },
  });
  const token = up.data.signUp.token as string;
  const call: Call = async (query, variables) => {
    const res = await gqlRequest(url, query, variables, token);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
  let accountId = '';
  while (!accountId) {
    accountId = (await call(`{ me { accounts { id } } }`)).me.accounts[0]?.id ?? '';
    if (!accountId) await new Promise((r) => setTimeout(r, 50));
  }
  const workspaceId = (
    await call(`mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }`, {
      i: { accountId, handle: 'sum', name: 'Summaries' },
    })
  ).createWorkspace.id as string;
  const flowId = (
    await call(`mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }`, {
      i: { workspaceId, name: 'bench' },
    })
  ).createFlow.id as string;
  const setting = (on: boolean) =>
    call(`mutation($i: UpdateAccountSettingsInput!) { updateAccountSettings(input: $i) { id } }`, {
      i: { accountId, aiErrorSummaries: on },
    });
  return { call, workspaceId, flowId, setting };
}

const SET = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
const CREATE = `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`;
const LOGS = `mutation($i: WriteLogsInput!) { writeLogs(input: $i) }`;

async function failingRuns(call: Call, workspaceId: string, flowId: string) {
  let transitions = 0;
  const until = Date.now() + DURATION * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const id = (await call(CREATE, { i: { flowId } })).createFlowRun.id as string;
        for (const type of ['PENDING', 'RUNNING', 'FAILED']) {
          if (type === 'FAILED')
            await call(LOGS, {
              i: {
                workspaceId,
                logs: [
                  {
                    flowRunId: id,
                    level: 40,
                    message: TRACEBACK,
                    timestamp: new Date().toISOString(),
                  },
                ],
              },
            });
          const r = await call(SET, { i: { flowRunId: id, state: { type } } });
          if (r.setFlowRunState.status === 'ACCEPT') transitions++;
        }
      }
    }),
  );
  return transitions / ((Date.now() - started) / 1000);
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;

async function measure(kind: 'sqlite' | 'postgresql') {
  const dir = mkdtempSync(join(tmpdir(), 'fp-sum-'));
  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  const env = loadEnv({
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    LOG_REQUESTS: 'false',
    RATE_LIMIT_COST_PER_MINUTE: '0',
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...(kind === 'postgresql' ? { DATABASE_URL, DATABASE_SCHEMA_PREFIX: prefix } : {}),
  });
  const stack = await startEmbedded(env);
  try {
    const url = `http://127.0.0.1:${stack.port}/graphql`;
    const s = await seed(url);
    const off = await failingRuns(s.call, s.workspaceId, s.flowId);
    await s.setting(true);
    await new Promise((r) => setTimeout(r, 1500)); // the setting reaches operations by the bus
    const phaseStart = new Date();
    const on = await failingRuns(s.call, s.workspaceId, s.flowId);
    // Let the writer finish the last failures.
    const sub = stack.subgraphs.operations as Subgraph<OperationsContext>;
    const em = () => sub.orm.em.fork();
    for (let i = 0; i < 100; i++) {
      if (!(await em().count(ErrorSummary, { status: 'PENDING' }))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const rows = await em().find(ErrorSummary, { failedAt: { $gte: phaseStart } });
    const ready = rows.filter((r) => r.status === 'READY');
    const lat = ready
      .map((r) => r.createdAt.getTime() - r.failedAt.getTime())
      .sort((a, b) => a - b);
    return {
      off,
      on,
      failures: rows.length,
      written: ready.length,
      p50: quantile(lat, 0.5),
      p95: quantile(lat, 0.95),
      max: lat[lat.length - 1] ?? NaN,
    };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgresql') await dropSchemas(prefix);
  }
}

const rows: string[] = [];
const f0 = (n: number) => n.toFixed(0);
for (const kind of ['sqlite', ...(DATABASE_URL ? ['postgresql' as const] : [])] as const) {
  const m = await measure(kind);
  rows.push(
    `| ${kind} | ${f0(m.off)} | ${f0(m.on)} | ${(m.on / m.off).toFixed(2)} | ${m.written} / ${m.failures} | ${f0(m.p50)} | ${f0(m.p95)} | ${f0(m.max)} |`,
  );
}
console.log(
  `\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${DURATION} s per phase, ${CONCURRENCY} clients\n`,
);
console.log(
  '| database | transitions/s, summaries off | on | on / off | summaries written / failures | p50 ms FAILED → summary | p95 ms | max ms |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
process.exit(0);
