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
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { flag, machine, processTreeCpuMs } from './load.js';
import {
  pythonEnv,
  recorded,
  ROOT,
  round,
  run,
  sleep,
  startFlowplane,
  VENV,
  workload,
  type Target,
} from './prefect-target.js';
import { printProfile } from './profile-report.js';
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
    const target =
      product === 'prefect'
        ? await startPrefect(kind)
        : await startFlowplane(kind, { profile: PROFILE });
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
  console.log(
    `\n${started.toISOString()} — ${machine()}; load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} at start, ${loadavg()
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
