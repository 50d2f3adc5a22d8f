/**
 * Subscription fan-out benchmark (issue 5 "Measure").
 *   npm run bench:subscriptions [-- --subscribers 1000,5000 --events 30 --keys 10 --burst 100
 *                                   --remote-subscribers 100]
 * - fan-out: one embedded gateway (`flowplane serve all` as its own process, SQLite files in a
 *   temp folder, in-process bus); N graphql-ws connections from this process, one
 *   `flowRunEvents` subscription each, spread over `keys` API keys (subscribers of one key share
 *   a delivery execution). Then `events` runs are created one at a time: delivery latency from
 *   sending the mutation to each client receiving the event (p50/p99), then `burst` runs created
 *   back to back (8 at once): deliveries per second until every client has them all. Memory per
 *   connection: the gateway process's RSS growth while the N sockets connected and subscribed,
 *   divided by N. `mutationP50` is the createFlowRun round trip alone, for comparison.
 * - cross-instance (with REDIS_URL): the four subgraphs and two gateways as separate processes
 *   on one Redis; `remote-subscribers` on gateway B, runs created through gateway A; latency
 *   p50/p99.
 * Prints one JSON line per measurement.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gqlRequest } from '../tests/harness/client.js';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../tests/harness/processes.js';
import { flag } from './load.js';

const run = promisify(execFile);
const CREATE_RUNS = fileURLToPath(new URL('./create-runs.ts', import.meta.url));
const SUBSCRIBERS = flag('subscribers', '1000,5000').split(',').map(Number);
const EVENTS = Number(flag('events', '30'));
const KEYS = Number(flag('keys', '10'));
const BURST = Number(flag('burst', '100'));
const REMOTE_SUBSCRIBERS = Number(flag('remote-subscribers', '100'));

/**
 * Thousands of subscribers of one user measure fan-out, not the limits: the per-principal
 * subscription cap and the rate-limit budgets (deliveries are charged to them) are off.
 */
export const FAN_OUT_LIMITS = {
  SUBSCRIPTIONS_PER_PRINCIPAL: '0',
  RATE_LIMIT_COST_PER_MINUTE: '0',
  RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: '0',
};

const SUBSCRIPTION = `subscription($w: ID!, $f: FlowRunEventFilter) {
  flowRunEvents(workspaceId: $w, filter: $f) { id to flowRun { id name deployment { name } } }
}`;

export interface Seeded {
  url: string;
  /** The owner's session token. */
  token: string;
  workspaceId: string;
  deploymentId: string;
  keys: string[];
  createRun(): Promise<string>;
}

/** A user, workspace, flow, deployment and `keys` API keys, through `url`. */
export async function seed(url: string, keys: number): Promise<Seeded> {
  const handle = `subs-${Math.random().toString(36).slice(2, 8)}`;
  const up = await gqlRequest(url, `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
    i: { handle, email: `${handle}@example.test`, password: 'Bench-Mark-123' },
  });
  const token = up.data.signUp.token as string;
  const call = async (query: string, variables?: Record<string, unknown>) => {
    const res = await gqlRequest(url, query, variables, token);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
  let accountId = '';
  while (!accountId) {
    accountId = (await call(`{ me { accounts { id } } }`)).me.accounts[0]?.id ?? '';
    if (!accountId) await sleep(50);
  }
  const workspaceId = (
    await call(`mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }`, {
      i: { accountId, handle: 'live', name: 'Live' },
    })
  ).createWorkspace.id as string;
  const flowId = (
    await call(`mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }`, {
      i: { workspaceId, name: 'bench' },
    })
  ).createFlow.id as string;
  const deploymentId = (
    await call(`mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id } }`, {
      i: { flowId, name: 'bench' },
    })
  ).createDeployment.id as string;
  const created: string[] = [];
  for (let i = 0; i < keys; i++) {
    const k = await call(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }`, {
      i: { name: `bench-${i}` },
    });
    created.push(k.createApiKey.key);
  }
  return {
    url,
    token,
    workspaceId,
    deploymentId,
    keys: created,
    createRun: async () =>
      (
        await call(`mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`, {
          i: { deploymentId },
        })
      ).createFlowRun.id as string,
  };
}

/** One subscriber: when it received each run's first event. */
export interface Subscriber {
  client: Client;
  arrivals: Map<string, number>;
}

export async function connectAll(
  url: string,
  n: number,
  s: Seeded,
  onArrival: () => void,
): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  const wsUrl = url.replace(/^http/, 'ws');
  for (let start = 0; start < n; start += 200) {
    const batch = Array.from({ length: Math.min(200, n - start) }, (_, j) => {
      const key = s.keys[(start + j) % s.keys.length]!;
      return new Promise<Subscriber>((resolve, reject) => {
        const sub: Subscriber = { client: null as unknown as Client, arrivals: new Map() };
        sub.client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${key}` },
          lazy: false,
          retryAttempts: 0,
          keepAlive: 0,
          onNonLazyError: reject,
          on: { connected: () => resolve(sub) },
        });
        sub.client.subscribe<any>(
          {
            query: SUBSCRIPTION,
            variables: { w: s.workspaceId, f: { deploymentIds: [s.deploymentId] } },
          },
          {
            next: (r) => {
              const runId = r.data?.flowRunEvents?.flowRun?.id as string | undefined;
              if (runId && !sub.arrivals.has(runId)) {
                sub.arrivals.set(runId, performance.now());
                onArrival();
              }
            },
            error: (e) => console.error('subscription error', JSON.stringify(e)),
            complete: () => undefined,
          },
        );
      });
    });
    subs.push(...(await Promise.all(batch)));
  }
  return subs;
}

/** Resolves once every subscriber received `runId` (or after `timeoutMs`). */
export async function everyone(subs: Subscriber[], runIds: string[], timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (!subs.every((s) => runIds.every((id) => s.arrivals.has(id)))) {
    if (Date.now() > until) throw new Error('deliveries timed out');
    await sleep(2);
  }
}

/** Creates probe runs until every subscriber got one: all subscriptions are live. */
export async function untilLive(subs: Subscriber[], s: Seeded) {
  for (let i = 0; i < 100; i++) {
    const probe = await s.createRun();
    try {
      await everyone(subs, [probe], 3000);
      return;
    } catch {
      /* not everyone yet */
    }
  }
  throw new Error('subscriptions never went live');
}

/**
 * Creates runs one at a time: latency from sending the mutation to each client receiving the
 * event, and the mutation's own round trip (the part of it that is not delivery).
 */
export async function latency(subs: Subscriber[], s: Seeded, events: number) {
  const samples: number[] = [];
  const mutations: number[] = [];
  for (let i = 0; i < events; i++) {
    const sent = performance.now();
    const runId = await s.createRun();
    mutations.push(performance.now() - sent);
    await everyone(subs, [runId]);
    for (const sub of subs) samples.push(sub.arrivals.get(runId)! - sent);
  }
  return {
    p50: round(pct(samples, 50)),
    p99: round(pct(samples, 99)),
    samples: samples.length,
    mutationP50: round(pct(mutations, 50)),
  };
}

/**
 * Creates `count` runs, 8 at a time, from a child process (bench/create-runs.ts: the thousands of
 * subscriber sockets of this process must not slow the mutations it times), then waits until
 * every subscriber received every run: the mutations' own seconds and the fan-out's.
 */
export async function burst(subs: Subscriber[], s: Seeded, count: number) {
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CREATE_RUNS, s.url, s.token, s.deploymentId, String(count), '8'],
    { maxBuffer: 1 << 24, cwd: fileURLToPath(new URL('../', import.meta.url)) },
  );
  const created = JSON.parse(stdout.trim().split('\n').pop()!) as {
    ids: string[];
    seconds: number;
  };
  const ids = created.ids;
  await everyone(subs, ids, 300_000);
  const seconds = (performance.now() - started) / 1000;
  return {
    events: ids.length,
    deliveries: ids.length * subs.length,
    deliveriesPerSecond: Math.round((ids.length * subs.length) / seconds),
    eventsPerSecond: Math.round((ids.length / seconds) * 10) / 10,
    mutationSeconds: Math.round(created.seconds * 1000) / 1000,
    seconds: Math.round(seconds * 100) / 100,
  };
}

async function fanOut(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'flowplane-bench-subs-'));
  const gateway = await spawnService(
    'all',
    {
      DATA_DIR: dir,
      NODE_ENV: 'production',
      LOG_REQUESTS: 'false',
      BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...FAN_OUT_LIMITS,
      SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    },
    ['DATABASE_URL', 'REDIS_URL'],
  );
  let subs: Subscriber[] = [];
  try {
    const s = await seed(gateway.url, KEYS);
    await sleep(500);
    const rssBefore = rssOf(gateway);
    subs = await connectAll(gateway.url, n, s, () => undefined);
    await untilLive(subs, s);
    const rssAfter = rssOf(gateway);
    const lat = await latency(subs, s, EVENTS);
    const b = await burst(subs, s, BURST);
    print({
      measure: 'subscription fan-out (embedded gateway)',
      subscribers: n,
      keys: KEYS,
      latencyMs: lat,
      burst: b,
      memoryPerConnectionKiB: Math.round((rssAfter - rssBefore) / n / 1024),
      gatewayRssMiB: Math.round(rssAfter / 1024 / 1024),
    });
  } finally {
    await Promise.all(subs.map((sub) => sub.client.dispose()));
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function crossInstance() {
  if (!process.env.REDIS_URL) {
    console.log('skipping cross-instance: REDIS_URL is not set');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowplane-bench-subs-'));
  const procs: ServiceProcess[] = [];
  let subs: Subscriber[] = [];
  try {
    const subgraphs = await spawnSubgraphs({
      dir,
      schemaPrefix: 'unused_',
      postgres: false,
      env: { NODE_ENV: 'production', LOG_REQUESTS: 'false' },
      timeoutMs: 180_000,
    });
    procs.push(...subgraphs.processes);
    const env = { ...subgraphs.env, ...subgraphs.urls, ...FAN_OUT_LIMITS };
    const [a, b] = await Promise.all([
      spawnService('gateway', env, subgraphs.unset, 180_000),
      spawnService('gateway', env, subgraphs.unset, 180_000),
    ]);
    procs.push(a!, b!);
    const s = await seed(a!.url, KEYS);
    subs = await connectAll(b!.url, REMOTE_SUBSCRIBERS, s, () => undefined);
    await untilLive(subs, s);
    const lat = await latency(subs, s, EVENTS);
    print({
      measure: 'cross-instance delivery (mutation on gateway A, subscribers on gateway B, Redis)',
      subscribers: REMOTE_SUBSCRIBERS,
      latencyMs: lat,
    });
  } finally {
    await Promise.all(subs.map((sub) => sub.client.dispose()));
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resident memory of a service process and its children (tsx runs node in a child; Linux /proc). */
export function rssOf(p: ServiceProcess): number {
  const tree = (pid: number): number[] => {
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number);
    } catch {
      /* gone */
    }
    return [pid, ...children.flatMap(tree)];
  };
  let total = 0;
  for (const pid of tree(p.child.pid!)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      /* gone */
    }
  }
  return total;
}

export function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (v: number) => Math.round(v * 10) / 10;
const print = (o: unknown) => console.log(JSON.stringify(o));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  for (const n of SUBSCRIBERS) await fanOut(n);
  await crossInstance();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
