/**
 * What the Prefect benchmarks share (bench/prefect-peer.ts, bench/prefect.ts): a server the real
 * Prefect client talks to, `flowplane serve all` as one, and the Python workload
 * (bench/prefect/workload.py) run against it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnService, type ServiceProcess } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient } from './http-client.js';
import { inspectorUrl, RemoteProfiler } from './remote-profiler.js';

export const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const VENV = process.env.FLOWPLANE_VENV ?? join(ROOT, '.venv');
const WORKLOAD = fileURLToPath(new URL('./prefect/workload.py', import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL;

/** A running server the Prefect client can talk to. */
export interface Target {
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

export const pythonEnv = (home: string, extra: Record<string, string>) => ({
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

/** Flowplane as the Prefect client sees it: the workspace's URLs and the API key. */
export interface FlowplaneTarget extends Target {
  graphqlUrl: string;
  /** PREFECT_API_URL: the workspace's REST base. */
  apiUrl: string;
  key: string;
  accountId: string;
  workspaceId: string;
}

/**
 * `flowplane serve all` (SQLite files or PostgreSQL schemas, in-process bus, background services
 * on, rate limits off), an account, a workspace and an API key; `profile` runs it under its
 * inspector.
 */
export async function startFlowplane(
  kind: 'sqlite' | 'postgresql',
  { profile = false }: { profile?: boolean } = {},
): Promise<FlowplaneTarget> {
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
    profile ? ['--inspect=127.0.0.1:0'] : [],
  );
  const profiler = profile ? await RemoteProfiler.connect(inspectorUrl(server.output)) : undefined;
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
      flowRuns(first: 20, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { stateType flow { name }
          taskRuns(first: 100) { totalCount edges { node { stateType } } } } } } } }`;
    return {
      graphqlUrl: server.url,
      apiUrl,
      key,
      accountId,
      workspaceId,
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
export async function workload(target: Target, args: string[]): Promise<any> {
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
export async function recorded(
  target: Target,
  flowName: string,
  want: { flows: number; tasks: number },
  timeoutMs = 300_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await target.completed(flowName);
    if (got.flows >= want.flows && got.tasks >= want.tasks) return got;
    if (Date.now() > until)
      throw new Error(`${target.name}: recorded ${JSON.stringify(got)} of ${JSON.stringify(want)}`);
    await sleep(250);
  }
}

export const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
