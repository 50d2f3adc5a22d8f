/**
 * The orchestration hot path (issue 16, goals 1, 2, 4 and 5) in one run, each number next to the
 * ceiling or baseline it is judged against, measured in the same run on the same machine:
 *   npm run bench:hot-path [-- --only ceiling,transitions,events,subscriptions,page
 *                             --databases sqlite,postgresql --duration 10 --subscribers 5000]
 * - ceiling: `pgbench -N -c 4` on the PostgreSQL of DATABASE_URL (a scratch database);
 * - transitions (goal 1): `flowplane serve all` in its own process (SQLite files, or PostgreSQL
 *   under a fresh schema prefix; in-process bus); 8 clients loop createFlowRun → PENDING →
 *   RUNNING → COMPLETED; accepted transitions/s and the server's CPU per transition (and, on a
 *   local PostgreSQL, the database's: every process of its server); then
 *   `claimFlowRuns` by 4 workers;
 * - events (goal 2), same server: `emitEvents` in batches of 100 (4 clients), Prefect's events
 *   websocket (4 sockets, timed until every event is stored), and single events from 16
 *   concurrent clients;
 * - subscriptions (goal 4): one embedded gateway (SQLite), the createFlowRun rate of a burst with
 *   no subscribers, then N graphql-ws subscribers over 10 API keys: mutation → client latency,
 *   and the createFlowRun rate of the same burst while the events fan out;
 * - page (goal 5): the four subgraphs and the gateway as separate processes (Redis bus, in-flight
 *   sharing off), a 100-run page through the gateway; CPU per request of the operations
 *   subgraph and of all four subgraphs.
 * Prints one JSON line per measurement and a summary table with the machine, date and load.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient, type GraphqlCall } from './http-client.js';
import { emitBatched, emitOverSocket, emitSingles } from './ingest-workloads.js';
import {
  flag,
  machine,
  MEASURED_SERVER_VARS,
  measure,
  processTreeCpuMs,
  serveAllVars,
} from './load.js';
import { claims, lifecycle, seed as seedOrchestration } from './orchestration.js';
import { pgbenchTps, postmasterPid } from './pgbench.js';
import { RUNS_100, seed as seedWorkspace } from './scenarios.js';
import {
  burst,
  connectAll,
  FAN_OUT_LIMITS,
  latency,
  rssOf,
  seed as seedSubscriptions,
  untilLive,
  type Subscriber,
} from './subscriptions.js';

const ONLY = flag('only', 'ceiling,transitions,events,subscriptions,page').split(',');
const DATABASES = flag('databases', 'sqlite,postgresql')
  .split(',')
  .filter((d) => d !== 'postgresql' || process.env.DATABASE_URL) as ('sqlite' | 'postgresql')[];
const DURATION = Number(flag('duration', '10'));
const CONCURRENCY = Number(flag('concurrency', '8'));
const CLAIM_RUNS = Number(flag('claim-runs', '1000'));
const EVENT_BATCHES = Number(flag('event-batches', '60'));
// 10,000: at ~5,000 events/s a burst of 2,500 lasted half a second, a tenth of it the sockets'
// first batches and the 50 ms poll for the last event stored (2,500: 4.2k/s where 10,000 gave 5k).
const SOCKET_EVENTS = Number(flag('socket-events', '10000'));
const SINGLES = Number(flag('singles', '1600'));
const SUBSCRIBERS = Number(flag('subscribers', '5000'));
const LATENCY_EVENTS = Number(flag('events', '20'));
const BURST = Number(flag('burst', '50'));
const KEYS = Number(flag('keys', '10'));

const DATABASE_URL = process.env.DATABASE_URL;
const want = (section: string) => ONLY.includes(section);
const results: Record<string, unknown>[] = [];
const record = (r: Record<string, unknown>) => {
  const line = { ...r, load: loadavg()[0]!.toFixed(1) };
  results.push(line);
  console.log(JSON.stringify(line));
};

/** `flowplane serve all` in its own process on `kind` (in-process bus), and its cleanup. */
async function startAll(kind: 'sqlite' | 'postgresql', extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fp-hot-'));
  const prefix = `bench_hot_${randomBytes(3).toString('hex')}_`;
  const env = serveAllVars(kind, dir, prefix, extra);
  const unset = kind === 'postgresql' ? ['REDIS_URL'] : ['REDIS_URL', 'DATABASE_URL'];
  const server = await spawnService('all', env, unset, 180_000);
  return {
    server,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      if (kind === 'postgresql') await dropSchemas(prefix);
    },
  };
}

/**
 * CPU milliseconds of a process tree while `work` runs, and of the database server's (`dbPid`,
 * PostgreSQL on this machine) when given.
 */
async function metered<T>(
  pid: number,
  work: () => Promise<T>,
  dbPid: number | null = null,
): Promise<{ value: T; cpuMs: number; dbCpuMs: number | null }> {
  const before = processTreeCpuMs(pid);
  const dbBefore = dbPid ? processTreeCpuMs(dbPid) : 0;
  const value = await work();
  return {
    value,
    cpuMs: processTreeCpuMs(pid) - before,
    dbCpuMs: dbPid ? processTreeCpuMs(dbPid) - dbBefore : null,
  };
}

async function ceiling() {
  if (!DATABASE_URL) return console.log('ceiling skipped: DATABASE_URL is not set');
  const tps = await pgbenchTps(DATABASE_URL, 4, DURATION);
  record({ measure: 'pgbench -N -c 4 (scale 1)', seconds: DURATION, tps: Math.round(tps) });
}

async function orchestrationAndEvents(kind: 'sqlite' | 'postgresql') {
  const stack = await startAll(kind);
  try {
    const pid = stack.server.child.pid!;
    const dbPid = kind === 'postgresql' ? await postmasterPid(DATABASE_URL!) : null;
    const seeded = await seedOrchestration(stack.server.url);
    // The lean client: the load generator shares the machine's cores with the server.
    const s = { ...seeded, call: graphqlClient(stack.server.url, seeded.token) };
    if (want('transitions')) {
      await lifecycle(s.call, s.deploymentId, 2, CONCURRENCY); // warm-up
      const life = await metered(
        pid,
        () => lifecycle(s.call, s.deploymentId, DURATION, CONCURRENCY),
        dbPid,
      );
      record({
        measure: 'transitions',
        database: kind,
        clients: CONCURRENCY,
        transitionsPerSecond: Math.round(life.value.transitionsPerSecond),
        runsPerSecond: Math.round(life.value.runsPerSecond),
        // Includes each run's createFlowRun (one per three transitions).
        serverCpuMsPerTransition: round(life.cpuMs / life.value.transitions, 2),
        // PostgreSQL's own processes (every backend).
        ...(life.dbCpuMs === null
          ? {}
          : { databaseCpuMsPerTransition: round(life.dbCpuMs / life.value.transitions, 2) }),
      });
      const claim = await claims(s.call, s.deploymentId, s.poolId, CLAIM_RUNS);
      if (claim.claimed !== CLAIM_RUNS || claim.duplicates)
        throw new Error(`claims: ${JSON.stringify(claim)}`);
      record({
        measure: 'claims (4 workers, limit 10)',
        database: kind,
        claimedPerSecond: Math.round(claim.runsPerSecond),
        duplicates: claim.duplicates,
      });
    }
    if (want('events')) await events(kind, stack.server, dbPid);
  } finally {
    await stack.stop();
  }
}

async function events(kind: string, server: ServiceProcess, dbPid: number | null) {
  const s = await seedWorkspace(server.url);
  const t = { url: server.url, token: s.token, workspaceId: s.workspaceId };
  const pid = server.child.pid!;
  await emitBatched(t, 4, 4); // warm-up
  const runs: [string, () => Promise<number>][] = [
    ['event ingest: emitEvents, batches of 100, 4 clients', () => emitBatched(t, EVENT_BATCHES, 4)],
    [
      "event ingest: Prefect's events websocket, 4 sockets",
      () => emitOverSocket(t, SOCKET_EVENTS, 4),
    ],
    ['event ingest: single events, 16 clients', () => emitSingles(t, SINGLES, 16)],
  ];
  for (const [measure, work] of runs) {
    let stored = 0;
    const run = await metered(pid, () => timed(async () => (stored = await work())), dbPid);
    record({
      measure,
      database: kind,
      events: stored,
      eventsPerSecond: Math.round(stored / run.value.seconds),
      serverCpuMsPerEvent: round(run.cpuMs / stored, 3),
      ...(run.dbCpuMs === null ? {} : { databaseCpuMsPerEvent: round(run.dbCpuMs / stored, 3) }),
    });
  }
}

async function subscriptions() {
  const stack = await startAll('sqlite', { ...FAN_OUT_LIMITS, BACKGROUND_SERVICES: 'true' });
  let subs: Subscriber[] = [];
  try {
    const s = await seedSubscriptions(stack.server.url, KEYS);
    await burst([], s, BURST); // warm-up
    const alone = await burst([], s, BURST);
    const rssBefore = rssOf(stack.server);
    subs = await connectAll(stack.server.url, SUBSCRIBERS, s, () => undefined);
    await untilLive(subs, s);
    const rssAfter = rssOf(stack.server);
    // The subscribers' own CPU (this process) beside the server's: on one machine they share it.
    const ownCpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    let own = ownCpuMs();
    const lat = await metered(stack.server.child.pid!, () => latency(subs, s, LATENCY_EVENTS));
    const latencyClientCpuMs = ownCpuMs() - own;
    own = ownCpuMs();
    const loaded = await metered(stack.server.child.pid!, () => burst(subs, s, BURST));
    const burstClientCpuMs = ownCpuMs() - own;
    const rateAlone = BURST / alone.mutationSeconds;
    const rateLoaded = BURST / loaded.value.mutationSeconds;
    record({
      measure: 'subscriptions: one embedded gateway (SQLite)',
      subscribers: SUBSCRIBERS,
      keys: KEYS,
      latencyMs: lat.value,
      // Per delivery while runs are created one at a time (server, subscribers' process).
      latencyCpuMsPerDelivery: {
        server: round(lat.cpuMs / lat.value.samples, 4),
        subscribers: round(latencyClientCpuMs / lat.value.samples, 4),
      },
      burstRuns: BURST,
      runsPerSecondAlone: round(rateAlone, 1),
      runsPerSecondDuringFanOut: round(rateLoaded, 1),
      fanOutSeconds: loaded.value.seconds,
      deliveriesPerSecond: loaded.value.deliveriesPerSecond,
      serverCpuMsPerDelivery: round(loaded.cpuMs / loaded.value.deliveries, 4),
      subscribersCpuMsPerDelivery: round(burstClientCpuMs / loaded.value.deliveries, 4),
      memoryPerConnectionKiB: Math.round((rssAfter - rssBefore) / SUBSCRIBERS / 1024),
    });
  } finally {
    await Promise.all(subs.map((sub) => sub.client.dispose()));
    await stack.stop();
  }
}

async function page(kind: 'sqlite' | 'postgresql') {
  if (!process.env.REDIS_URL) return console.log('page skipped: REDIS_URL is not set');
  const dir = mkdtempSync(join(tmpdir(), 'fp-hot-page-'));
  const prefix = `bench_page_${randomBytes(3).toString('hex')}_`;
  const procs: ServiceProcess[] = [];
  try {
    const subgraphs = await spawnSubgraphs({
      dir,
      schemaPrefix: prefix,
      postgres: kind === 'postgresql',
      databaseUrl: DATABASE_URL,
      env: { ...MEASURED_SERVER_VARS, BACKGROUND_SERVICES: 'false' },
      timeoutMs: 180_000,
    });
    procs.push(...subgraphs.processes);
    const gateway = await spawnService(
      'gateway',
      {
        ...subgraphs.env,
        ...subgraphs.urls,
        ...MEASURED_SERVER_VARS,
        GATEWAY_DEDUPE_QUERIES: 'false',
      },
      subgraphs.unset,
      180_000,
    );
    procs.push(gateway);
    const s = await seedWorkspace(gateway.url);
    const call: GraphqlCall = graphqlClient(gateway.url, s.token);
    const flows = await call(
      `query($id: ID!) { workspace(id: $id) { flows(first: 10) { edges { node { id } } } } }`,
      { id: s.workspaceId },
    );
    const flowIds = flows.workspace.flows.edges.map((e: any) => e.node.id as string);
    for (let i = 0; i < 100; i++)
      await call(`mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`, {
        i: { flowId: flowIds[i % flowIds.length], tags: ['bench'] },
      });
    const [users, workspaces, access, operations] = subgraphs.processes.map((p) => p.child.pid!);
    const row = await measure(
      `100-run page (${kind})`,
      gateway.url,
      RUNS_100,
      { id: s.workspaceId },
      s.token,
      operations,
      [users!, workspaces!, access!],
    );
    record({
      measure: '100-run page through the gateway (distributed, sharing off)',
      database: kind,
      requestsPerSecond: Math.round(row.rps),
      operationsCpuMsPerRequest: round(row.cpuMsPerRequest!, 2),
      otherSubgraphsCpuMsPerRequest: round(row.otherCpuMsPerRequest!, 2),
      // users, workspaces, access
      eachOtherCpuMsPerRequest: row.eachOtherCpuMsPerRequest!.map((ms) => round(ms, 2)),
      subgraphCpuMsPerRequest: round(row.cpuMsPerRequest! + row.otherCpuMsPerRequest!, 2),
    });
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgresql') await dropSchemas(prefix);
  }
}

async function timed(work: () => Promise<unknown>): Promise<{ seconds: number }> {
  const started = process.hrtime.bigint();
  await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

function summary(started: Date, loadBefore: number[]) {
  const find = (m: string, db?: string) =>
    results.find((r) => String(r.measure).startsWith(m) && (!db || r.database === db));
  const tps = find('pgbench')?.tps as number | undefined;
  const rows: string[] = [];
  const row = (goal: string, what: string, value: string, target: string) =>
    rows.push(`| ${goal} | ${what} | ${value} | ${target} |`);
  for (const db of DATABASES) {
    const t = find('transitions', db);
    if (!t) continue;
    const ratio =
      tps && db === 'postgresql'
        ? ` = ${((t.transitionsPerSecond as number) / tps).toFixed(3)}× pgbench ${tps}`
        : '';
    row(
      '1',
      `transitions/s, ${db}`,
      `${t.transitionsPerSecond}${ratio} (${t.serverCpuMsPerTransition} ms CPU each)`,
      db === 'postgresql' ? '≥ 0.25× pgbench' : '≥ PostgreSQL',
    );
    const c = find('claims', db);
    if (c) row('1', `claimed runs/s, ${db}`, String(c.claimedPerSecond), '—');
  }
  for (const db of DATABASES) {
    for (const [m, label, target] of [
      ['event ingest: emitEvents', 'events/s batched (100/call)', '≥ 5,000 (PostgreSQL)'],
      ["event ingest: Prefect's", 'events/s websocket', '≥ 5,000 (PostgreSQL)'],
      ['event ingest: single', 'events/s single, 16 clients', '≥ 1,000'],
    ] as const) {
      const e = find(m, db);
      if (e)
        row(
          '2',
          `${label}, ${db}`,
          `${e.eventsPerSecond} (${e.serverCpuMsPerEvent} ms CPU each)`,
          target,
        );
    }
  }
  const sub = find('subscriptions');
  if (sub) {
    const lat = sub.latencyMs as { p50: number; p99: number };
    row(
      '4',
      `${sub.subscribers} subscribers: mutation → client p50 / p99 ms`,
      `${lat.p50} / ${lat.p99}`,
      'p99 ≤ 150',
    );
    const a = sub.runsPerSecondAlone as number;
    const b = sub.runsPerSecondDuringFanOut as number;
    row(
      '4',
      'createFlowRun/s during a burst: alone → with fan-out',
      `${a} → ${b} = ${(b / a).toFixed(2)}×`,
      '≥ 0.5×',
    );
  }
  for (const db of DATABASES) {
    const p = find('100-run page', db);
    if (p)
      row(
        '5',
        `100-run page, subgraph CPU ms/request, ${db}`,
        `${p.subgraphCpuMsPerRequest} (operations ${p.operationsCpuMsPerRequest})`,
        '≤ 4',
      );
  }
  console.log(
    `\n${started.toISOString()} — ${machine()}; load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} at start, ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} at end\n`,
  );
  console.log('| goal | measure | value | target |\n|---|---|---|---|');
  for (const r of rows) console.log(r);
}

async function main() {
  const started = new Date();
  const loadBefore = loadavg();
  if (want('ceiling')) await ceiling();
  for (const db of DATABASES)
    if (want('transitions') || want('events')) await orchestrationAndEvents(db);
  if (want('subscriptions')) await subscriptions();
  if (want('page')) for (const db of DATABASES) await page(db);
  summary(started, loadBefore);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
