/**
 * Flowplane against Prefect's own server, on the same Python workload run by the real Prefect
 * client (bench/prefect/workload.py, the venv of scripts/python-env.sh), in one run:
 *   npm run bench:prefect-peer [-- --concurrency 4 --flows 10 --tasks 5
 *                                  --targets prefect-sqlite,flowplane-sqlite,prefect-postgresql,flowplane-postgresql
 *                                  --worker-runs 20]
 * - flows: `concurrency` client processes start together, each runs `flows` flows of `tasks`
 *   sequential tasks; timed from the common start until the server has recorded every flow run
 *   and task run as COMPLETED (both servers record task runs from the client's events, after
 *   the fact). Flow runs/s and task runs/s, and the CPU the server spent per flow run.
 * - worker: a process work pool, a deployment of a flow in workload.py, `worker-runs` runs of it
 *   created at once and drained by one `prefect worker start` (polling every second); timed until
 *   every run is COMPLETED. Flowplane needs the REST layer's work pool and deployment routes:
 *   without them this part is skipped for Flowplane, saying so.
 * Prefect: `prefect server start` from the same venv (UI and telemetry off), its SQLite file in a
 * temp folder or a scratch PostgreSQL database (asyncpg). Flowplane: `flowplane serve all` (SQLite
 * files, or PostgreSQL schemas; in-process bus; background services on), the client in Prefect
 * Cloud mode with an API key: authentication, RBAC and the audit log as in production. Rate limits
 * are off for both (Prefect's server has none).
 * `--profile`: Flowplane runs under its inspector and the flows part is CPU-profiled (printed as
 * by bench:profile*; the profiler's own cost makes that target's numbers lower).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnService, type ServiceProcess } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient } from './http-client.js';
import { flag, processTreeCpuMs } from './load.js';
import { printProfile } from './profile-report.js';
import { inspectorUrl, RemoteProfiler } from './remote-profiler.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const VENV = process.env.FLOWPLANE_VENV ?? join(ROOT, '.venv');
const WORKLOAD = fileURLToPath(new URL('./prefect/workload.py', import.meta.url));
const CONCURRENCY = Number(flag('concurrency', '4'));
const FLOWS = Number(flag('flows', '10'));
const TASKS = Number(flag('tasks', '5'));
const WORKER_RUNS = Number(flag('worker-runs', '20'));
const TARGETS = flag(
  'targets',
  'prefect-sqlite,flowplane-sqlite,prefect-postgresql,flowplane-postgresql',
)
  .split(',')
  .filter((t) => !t.endsWith('postgresql') || process.env.DATABASE_URL);
const DATABASE_URL = process.env.DATABASE_URL;
const PROFILE = process.argv.includes('--profile');

/** A running server the Prefect client can talk to. */
interface Target {
  name: string;
  /** The process tree whose CPU is metered. */
  pid: number;
  /** The environment of every Prefect process pointed at it. */
  env: Record<string, string>;
  /** Completed flow runs and task runs of the workload's flow (what the server recorded). */
  completed(flowName: string): Promise<{ flows: number; tasks: number }>;
  /** Whether this server has what the worker part needs. */
  servesWorkers(): Promise<boolean>;
  /** With `--profile`, Flowplane's inspector. */
  profiler?: RemoteProfiler;
  stop(): Promise<void>;
}

const pythonEnv = (home: string, extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  PREFECT_HOME: home,
  PREFECT_LOGGING_LEVEL: 'WARNING',
  PREFECT_SERVER_ALLOW_EPHEMERAL_MODE: 'false',
  PREFECT_WORKER_QUERY_SECONDS: '1',
  PREFECT_WORKER_PREFETCH_SECONDS: '1',
  PYTHONUNBUFFERED: '1',
  ...extra,
});

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function startPrefect(kind: 'sqlite' | 'postgresql'): Promise<Target> {
  const home = mkdtempSync(join(tmpdir(), 'fp-prefect-server-'));
  const db = `fp_prefect_${randomBytes(3).toString('hex')}`;
  let dbUrl = `sqlite+aiosqlite:///${join(home, 'prefect.db')}`;
  if (kind === 'postgresql') {
    const u = new URL(DATABASE_URL!);
    await pg(['createdb', db]);
    dbUrl = `postgresql+asyncpg://${u.username}:${u.password}@${u.hostname}:${u.port || 5432}/${db}`;
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  const api = `http://127.0.0.1:${port}/api`;
  const env = pythonEnv(home, {
    PREFECT_API_DATABASE_CONNECTION_URL: dbUrl,
    PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
    PREFECT_UI_ENABLED: 'false',
  });
  const child: ChildProcess = spawn(
    join(VENV, 'bin/prefect'),
    ['server', 'start', '--host', '127.0.0.1', '--port', String(port)],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const stop = async () => {
    // The whole process group: the server's own children (uvicorn workers, services) too.
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, s);
      } catch {
        /* gone */
      }
    };
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      signal('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }
    signal('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    if (kind === 'postgresql') await pg(['dropdb', '--force', db]);
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 600) {
      await stop();
      throw new Error(`prefect server did not start:\n${output.join('')}`);
    }
    const ok = await fetch(`${api}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(200);
  }
  const count = async (what: 'flow_runs' | 'task_runs', flowName: string) =>
    (await postJson(`${api}/${what}/count`, {
      flows: { name: { any_: [flowName] } },
      ...(what === 'flow_runs'
        ? { flow_runs: { state: { type: { any_: ['COMPLETED'] } } } }
        : { task_runs: { state: { type: { any_: ['COMPLETED'] } } } }),
    })) as number;
  return {
    name: `prefect server (${kind})`,
    pid: child.pid!,
    env: { ...env, PREFECT_API_URL: api },
    completed: async (flowName) => ({
      flows: await count('flow_runs', flowName),
      tasks: await count('task_runs', flowName),
    }),
    servesWorkers: async () => true,
    stop,
  };
}

async function startFlowplane(kind: 'sqlite' | 'postgresql'): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-prefect-peer-'));
  const prefix = `bench_prefect_${randomBytes(3).toString('hex')}_`;
  const server: ServiceProcess = await spawnService(
    'all',
    {
      NODE_ENV: 'production',
      LOG_REQUESTS: 'false',
      DATA_DIR: dir,
      RATE_LIMIT_COST_PER_MINUTE: '0',
      RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: '0',
      BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...(kind === 'postgresql'
        ? { DATABASE_URL: DATABASE_URL!, DATABASE_SCHEMA_PREFIX: prefix }
        : {}),
    },
    kind === 'postgresql' ? ['REDIS_URL'] : ['REDIS_URL', 'DATABASE_URL'],
    180_000,
    PROFILE ? ['--inspect=127.0.0.1:0'] : [],
  );
  const profiler = PROFILE ? await RemoteProfiler.connect(inspectorUrl(server.output)) : undefined;
  const stop = async () => {
    profiler?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgresql') await dropSchemas(prefix);
  };
  try {
    const anonymous = graphqlClient(server.url, undefined);
    const handle = `peer-${randomBytes(3).toString('hex')}`;
    const session = (
      await anonymous(`mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
        i: { handle, email: `${handle}@example.test`, password: 'Bench-Mark-123' },
      })
    ).signUp.token as string;
    const owner = graphqlClient(server.url, session);
    let accountId = '';
    for (let i = 0; !accountId && i < 100; i++) {
      accountId = (await owner(`{ me { accounts { id } } }`)).me.accounts[0]?.id ?? '';
      if (!accountId) await sleep(50);
    }
    const workspaceId = (
      await owner(`mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }`, {
        i: { accountId, handle: 'peer', name: 'Peer' },
      })
    ).createWorkspace.id as string;
    const key = (await owner(`mutation { createApiKey(input: { name: "prefect" }) { key } }`))
      .createApiKey.key as string;
    const base = server.url.replace(/\/graphql$/, '');
    const apiUrl = `${base}/api/accounts/${accountId}/workspaces/${workspaceId}`;
    const call = graphqlClient(server.url, key);
    const RUNS = `query($w: ID!, $after: String) { workspace(id: $w) {
      flowRuns(first: 50, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { stateType flow { name }
          taskRuns(first: 20) { totalCount edges { node { stateType } } } } } } } }`;
    return {
      name: `flowplane (${kind})`,
      pid: server.child.pid!,
      env: pythonEnv(join(dir, 'prefect-home'), {
        PREFECT_API_URL: apiUrl,
        PREFECT_API_KEY: key,
        PREFECT_CLOUD_API_URL: `${base}/api`,
      }),
      completed: async (flowName) => {
        let flows = 0;
        let tasks = 0;
        let after: string | null = null;
        for (;;) {
          const page: any = (await call(RUNS, { w: workspaceId, after })).workspace.flowRuns;
          for (const { node } of page.edges) {
            if (node.flow?.name !== flowName || node.stateType !== 'COMPLETED') continue;
            flows++;
            tasks += node.taskRuns.edges.filter(
              (e: { node: { stateType: string } }) => e.node.stateType === 'COMPLETED',
            ).length;
          }
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        return { flows, tasks };
      },
      servesWorkers: async () => {
        const res = await fetch(`${apiUrl}/work_pools/filter`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: '{}',
        });
        return res.status !== 404;
      },
      profiler,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `workload.py <args>` and returns its RESULT line. */
async function workload(target: Target, args: string[]): Promise<any> {
  const { stdout, stderr } = await run(join(VENV, 'bin/python'), [WORKLOAD, ...args], {
    env: target.env,
    cwd: join(ROOT, 'bench/prefect'),
    maxBuffer: 1 << 26,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    throw new Error(`workload ${args.join(' ')} failed:\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  });
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`workload ${args.join(' ')} printed no result:\n${stderr}${stdout}`);
  return JSON.parse(line.slice(7));
}

/** Waits until the server recorded `want` completed flow runs and task runs of `flowName`. */
async function recorded(target: Target, flowName: string, want: { flows: number; tasks: number }) {
  const until = Date.now() + 300_000;
  for (;;) {
    const got = await target.completed(flowName);
    if (got.flows >= want.flows && got.tasks >= want.tasks) return got;
    if (Date.now() > until)
      throw new Error(`${target.name}: recorded ${JSON.stringify(got)} of ${JSON.stringify(want)}`);
    await sleep(250);
  }
}

async function flowsPart(target: Target) {
  // Warm-up: one flow per process (imports, the flow's registration, server caches).
  await workload(target, ['flows', String(CONCURRENCY), '1', String(TASKS)]);
  const before = await target.completed('peer-bench');
  const cpuBefore = processTreeCpuMs(target.pid);
  const measured = async () => {
    const r = await workload(target, ['flows', String(CONCURRENCY), String(FLOWS), String(TASKS)]);
    await recorded(target, 'peer-bench', {
      flows: before.flows + r.flows,
      tasks: before.tasks + r.tasks,
    });
    return {
      r,
      seconds: Date.now() / 1000 - r.started_at,
      cpuMs: processTreeCpuMs(target.pid) - cpuBefore,
    };
  };
  let m: Awaited<ReturnType<typeof measured>>;
  if (target.profiler) {
    const p = await target.profiler.around(measured);
    m = p.value;
    console.log(`\n${target.name}, flows part:`);
    printProfile(p.profile, { busyOnly: true, inclusive: 40 });
  } else m = await measured();
  const { r, seconds, cpuMs } = m;
  if (r.failed) throw new Error(`${target.name}: ${r.failed} flows failed: ${r.errors.join('; ')}`);
  return {
    flows: r.flows as number,
    tasks: r.tasks as number,
    clientSeconds: round(r.seconds, 2),
    seconds: round(seconds, 2),
    flowRunsPerSecond: round(r.flows / seconds, 2),
    taskRunsPerSecond: round(r.tasks / seconds, 2),
    serverCpuMsPerFlowRun: Math.round(cpuMs / r.flows),
  };
}

async function workerPart(target: Target) {
  if (!(await target.servesWorkers())) {
    console.log(`${target.name}: worker part skipped (no work pool / deployment REST routes yet)`);
    return null;
  }
  const pool = `peer-pool-${randomBytes(2).toString('hex')}`;
  const { deployment_id: deploymentId } = await workload(target, ['deploy', pool, 'peer']);
  const worker = spawn(
    join(VENV, 'bin/prefect'),
    ['worker', 'start', '--pool', pool, '--type', 'process'],
    { env: target.env, cwd: join(ROOT, 'bench/prefect'), stdio: 'ignore', detached: true },
  );
  try {
    const cpuBefore = processTreeCpuMs(target.pid);
    const r = await workload(target, ['enqueue', deploymentId, String(WORKER_RUNS), String(TASKS)]);
    await recorded(target, 'peer-bench-deployed', {
      flows: WORKER_RUNS,
      tasks: WORKER_RUNS * TASKS,
    });
    const seconds = Date.now() / 1000 - r.started_at;
    return {
      runs: WORKER_RUNS,
      seconds: round(seconds, 2),
      flowRunsPerSecond: round(WORKER_RUNS / seconds, 2),
      serverCpuMsPerFlowRun: Math.round((processTreeCpuMs(target.pid) - cpuBefore) / WORKER_RUNS),
    };
  } finally {
    try {
      process.kill(-worker.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}

async function pg(args: string[]) {
  const u = new URL(DATABASE_URL!);
  const [cmd, ...rest] = args;
  await run(
    cmd!,
    ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), ...rest],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
  );
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  // Flowplane's count reads a run's task runs in one page of 20.
  if (TASKS > 20) throw new Error('--tasks at most 20');
  if (!existsSync(join(VENV, 'bin/prefect')))
    throw new Error(`no Prefect in ${VENV}: run scripts/python-env.sh`);
  const started = new Date();
  const loadBefore = loadavg();
  const rows: { target: string; flows: Awaited<ReturnType<typeof flowsPart>>; worker: unknown }[] =
    [];
  for (const name of TARGETS) {
    const [product, kind] = name.split('-') as ['prefect' | 'flowplane', 'sqlite' | 'postgresql'];
    const target = product === 'prefect' ? await startPrefect(kind) : await startFlowplane(kind);
    try {
      const flows = await flowsPart(target);
      const worker = WORKER_RUNS > 0 ? await workerPart(target) : null;
      const row = { target: target.name, flows, worker, load: loadavg()[0]!.toFixed(1) };
      console.log(JSON.stringify(row));
      rows.push(row);
    } finally {
      await target.stop();
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(
    `\n${started.toISOString()} — ${machine}; load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} at start, ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} at end; ${CONCURRENCY} client processes × ${FLOWS} flows × ${TASKS} tasks\n`,
  );
  console.log(
    '| server | flow runs/s | task runs/s | seconds (client / recorded) | server CPU ms per flow run | worker: runs/s |\n|---|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    const w = r.worker as { flowRunsPerSecond: number } | null;
    console.log(
      `| ${r.target} | ${r.flows.flowRunsPerSecond} | ${r.flows.taskRunsPerSecond} | ${r.flows.clientSeconds} / ${r.flows.seconds} | ${r.flows.serverCpuMsPerFlowRun} | ${w ? w.flowRunsPerSecond : '—'} |`,
    );
  }
  for (const kind of ['sqlite', 'postgresql']) {
    const ours = rows.find((r) => r.target === `flowplane (${kind})`);
    const peer = rows.find((r) => r.target === `prefect server (${kind})`);
    if (ours && peer)
      console.log(
        `- ${kind}: flowplane / prefect = ${(ours.flows.flowRunsPerSecond / peer.flows.flowRunsPerSecond).toFixed(2)}× flow runs/s, ${(ours.flows.taskRunsPerSecond / peer.flows.taskRunsPerSecond).toFixed(2)}× task runs/s`,
      );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
