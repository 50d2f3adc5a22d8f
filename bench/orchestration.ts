/**
 * Orchestration benchmark: run lifecycles and claims through the embedded gateway.
 *   npm run bench:orchestration [-- --duration 10 --concurrency 8 --claim-runs 1000]
 * For SQLite (files in a temp folder) and, with DATABASE_URL, PostgreSQL (a fresh schema prefix):
 * - lifecycle: `concurrency` clients loop createFlowRun → PENDING → RUNNING → COMPLETED for
 *   `duration` seconds; reports accepted state transitions per second (the three proposals;
 *   the initial SCHEDULED state is counted separately with the runs);
 * - claims: `claim-runs` due runs in one pool, 4 workers calling claimFlowRuns(limit 10) at once
 *   until the pool is empty; reports runs claimed per second and checks none was handed out twice;
 * - pgbench simple-update TPS on the same PostgreSQL (`pgbench -i -s 1` in a scratch database,
 *   then `pgbench -N -c 4 -T 10`), dropped afterwards.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadEnv } from '../lib/env.js';
import { startEmbedded } from '../server/services.js';
import { gqlRequest } from '../tests/harness/client.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { flag } from './load.js';
import { pgbenchTps } from './pgbench.js';

const DURATION = Number(flag('duration', '10'));
const CONCURRENCY = Number(flag('concurrency', '8'));
const CLAIM_RUNS = Number(flag('claim-runs', '1000'));
const DATABASE_URL = process.env.DATABASE_URL;

export type Call = (query: string, variables?: Record<string, unknown>) => Promise<any>;

/** A user, workspace, flow, process work pool and deployment, through `url`. */
export async function seed(url: string) {
  const handle = `orch-${randomBytes(3).toString('hex')}`;
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
      i: { accountId, handle: 'orch', name: 'Orchestration' },
    })
  ).createWorkspace.id as string;
  const flowId = (
    await call(`mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }`, {
      i: { workspaceId, name: 'bench' },
    })
  ).createFlow.id as string;
  const poolId = (
    await call(`mutation($i: CreateWorkPoolInput!) { createWorkPool(input: $i) { id } }`, {
      i: { workspaceId, name: 'bench', type: 'process' },
    })
  ).createWorkPool.id as string;
  const deploymentId = (
    await call(`mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id } }`, {
      i: { flowId, name: 'bench', workPoolId: poolId },
    })
  ).createDeployment.id as string;
  return { call, token, flowId, poolId, deploymentId };
}

const SET = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
const CREATE = `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`;

/**
 * `concurrency` clients loop createFlowRun → PENDING → RUNNING → COMPLETED for `seconds`: accepted
 * transitions (the three proposals) and runs per second.
 */
export async function lifecycle(
  call: Call,
  deploymentId: string,
  seconds = DURATION,
  concurrency = CONCURRENCY,
) {
  let transitions = 0;
  let runs = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const id = (await call(CREATE, { i: { deploymentId } })).createFlowRun.id;
        runs++;
        for (const type of ['PENDING', 'RUNNING', 'COMPLETED']) {
          const r = await call(SET, { i: { flowRunId: id, state: { type } } });
          if (r.setFlowRunState.status !== 'ACCEPT')
            throw new Error(`${type}: ${r.setFlowRunState.status}`);
          transitions++;
        }
      }
    }),
  );
  const took = (Date.now() - started) / 1000;
  return { transitions, transitionsPerSecond: transitions / took, runsPerSecond: runs / took };
}

/**
 * `count` due runs in one pool, then 4 workers claim them (limit 10) until the pool is empty:
 * runs claimed per second, and how many were handed out twice.
 */
export async function claims(call: Call, deploymentId: string, poolId: string, count = CLAIM_RUNS) {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, () => call(CREATE, { i: { deploymentId } })),
    );
  }
  const seen = new Set<string>();
  let duplicates = 0;
  const started = Date.now();
  await Promise.all(
    ['w1', 'w2', 'w3', 'w4'].map(async (workerName) => {
      for (;;) {
        const got = (
          await call(`mutation($i: ClaimFlowRunsInput!) { claimFlowRuns(input: $i) { id } }`, {
            i: { workPoolId: poolId, workerName, limit: 10 },
          })
        ).claimFlowRuns as { id: string }[];
        if (!got.length) return;
        for (const r of got) {
          if (seen.has(r.id)) duplicates++;
          seen.add(r.id);
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  return { claimed: seen.size, duplicates, runsPerSecond: seen.size / seconds };
}

async function measure(kind: 'sqlite' | 'postgresql') {
  const dir = mkdtempSync(join(tmpdir(), 'fp-orch-'));
  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  const env = loadEnv({
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    BACKGROUND_SERVICES: 'false',
    // Throughput, not limiting, is measured.
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
    const life = await lifecycle(s.call, s.deploymentId);
    const claim = await claims(s.call, s.deploymentId, s.poolId);
    return { life, claim };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgresql') await dropSchemas(prefix);
  }
}

async function main() {
  const rows: string[] = [];
  const fmt = (n: number) => n.toFixed(0);
  for (const kind of ['sqlite', ...(DATABASE_URL ? ['postgresql' as const] : [])] as const) {
    const { life, claim } = await measure(kind);
    rows.push(
      `| ${kind} | ${fmt(life.transitionsPerSecond)} | ${fmt(life.runsPerSecond)} | ${fmt(claim.runsPerSecond)} | ${claim.claimed} / ${claim.duplicates} |`,
    );
  }
  const tps = DATABASE_URL ? await pgbenchTps(DATABASE_URL) : NaN;
  console.log(
    `\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${DURATION} s, ${CONCURRENCY} clients\n`,
  );
  console.log(
    '| database | transitions/s | runs/s (create + 3 transitions) | claimed runs/s (4 workers) | claimed / duplicates |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  if (DATABASE_URL)
    console.log(`\npgbench -N -c 4 -T 10 (scale 1) on the same PostgreSQL: ${tps.toFixed(0)} TPS`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
