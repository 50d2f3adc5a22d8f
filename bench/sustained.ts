/**
 * Sustained load without drift (issue 16, goal 6).
 *   npm run bench:sustained [-- --minutes 10 --rate 60 --logs 10 --events 5 --cap 400
 *                              --seconds N --window 60]
 * The four subgraphs and two gateways as separate processes on PostgreSQL (a fresh schema
 * prefix) and Redis (a fresh prefix). An open-loop generator starts `rate` flow-run lifecycles
 * per second, alternating gateways: createFlowRun → PENDING → RUNNING → `logs` log lines →
 * `events` events → COMPLETED. At most `cap` lifecycles are in flight; one that is due while the
 * cap is reached is not started and counted as shed (the "could not keep up" signal), so nothing
 * queues without bound. One graphql-ws subscriber on gateway B records every `flowRunEvents`
 * event id.
 * Every `window` seconds (`--seconds` replaces `--minutes` for short trials) one JSON line:
 * runs started, completed, shed, failed; request p50/p99; outbox lag (unpublished rows over the
 * four schemas, age of the oldest); bus lag (consumer groups' lag and pending, XLEN); each
 * process's RSS, sampled every second, lowest and highest in the window (memory is judged by the
 * lowest: what a heap keeps after its collections); CPU ms per completed run of each process, of
 * PostgreSQL and of Redis; Redis commands per run (and `reads`, about one per round trip); events
 * the subscriber received. After the load: up to 60 s of drain, then the check that every run is
 * COMPLETED in the database and every expected flow-run event (the initial SCHEDULED and the
 * three transitions of each run) reached the subscriber exactly once; a markdown table of the
 * windows and a verdict comparing the last window with the second.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient, type GraphqlCall } from './http-client.js';
import { EMIT, eventPrefix, flowplaneEvent } from './ingest-workloads.js';
import { flag, machine, processTreeCpuMs } from './load.js';
import { seed } from './orchestration.js';
import { postmasterPid } from './pgbench.js';
import { pct, rssOf } from './subscriptions.js';

const SECONDS = Number(flag('seconds', '0')) || Number(flag('minutes', '10')) * 60;
const WINDOW = Number(flag('window', '60'));
const RATE = Number(flag('rate', '60'));
const LOGS = Number(flag('logs', '10'));
const EVENTS = Number(flag('events', '5'));
const CAP = Number(flag('cap', '400'));
const DRAIN_SECONDS = 60;
const SUBGRAPHS = ['users', 'workspaces', 'access', 'operations'] as const;

/** Ratios of the last window to the second above which a measure counts as drifting. */
const DRIFT = { p99: 1.5, rss: 1.25, lag: 2 };

const CREATE = `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`;
const SET = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
const WRITE = `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`;
const SUBSCRIPTION = `subscription($w: ID!, $f: FlowRunEventFilter) {
  flowRunEvents(workspaceId: $w, filter: $f) { id to flowRun { id } }
}`;

/** What one window of the load saw. */
interface Window {
  index: number;
  started: number;
  completed: number;
  shed: number;
  failed: number;
  latencies: number[];
  errors: number;
  /** Each process's RSS sampled once a second during the window (bytes; `names` order). */
  rss: number[][];
  /** CPU ms of each metered process (`names`, then postgres and redis) when the window began. */
  cpuAtStart: number[];
  /** Redis's commandstats calls when the window began. */
  redisCallsAtStart: Promise<Record<string, number>>;
}

interface Row {
  window: number;
  endSecond: number;
  started: number;
  completed: number;
  shed: number;
  failed: number;
  runsPerSecond: number;
  requests: number;
  requestErrors: number;
  p50Ms: number;
  p99Ms: number;
  outboxUnpublished: number;
  outboxOldestSeconds: number;
  busLag: number;
  busPending: number;
  streamLength: number;
  /**
   * Each process's lowest RSS in the window: what its heap keeps after collections. A leak
   * raises it; a sample at one instant mostly tells where the collector happened to be.
   */
  rssMb: Record<string, number>;
  /** Each process's highest RSS in the window. */
  rssPeakMb: Record<string, number>;
  /**
   * CPU milliseconds per run completed in the window: each process (with its children), the
   * PostgreSQL server (every backend) and Redis.
   */
  cpuMsPerRun: Record<string, number>;
  /** Redis commands per run completed in the window, by command (INFO commandstats). */
  redisCallsPerRun: Record<string, number>;
  subscriberEvents: number;
  load: string;
}

/** Unpublished outbox rows over the four schemas, and the age of the oldest (seconds). */
async function outboxLag(db: pg.Client, prefix: string) {
  const parts = SUBGRAPHS.map(
    (s) =>
      `select count(*)::int as n, min(occurred_at) as oldest from "${prefix}${s}".outbox where sent_at is null`,
  );
  const { rows } = await db.query<{ n: number; age: number | null }>(
    `select coalesce(sum(n), 0)::int as n,
            extract(epoch from (now() at time zone 'utc') - min(oldest))::float8 as age
     from (${parts.join(' union all ')}) o`,
  );
  return { unpublished: rows[0]!.n, oldestSeconds: round(Math.max(0, rows[0]!.age ?? 0)) };
}

/** Entries the stream's consumer groups have not read (`lag`) or not acknowledged, and XLEN. */
async function busLag(redis: Redis, stream: string) {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  let lag = 0;
  let pending = 0;
  for (const raw of groups) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < raw.length; i += 2) info.set(String(raw[i]), raw[i + 1]);
    lag += Number(info.get('lag') ?? 0);
    pending += Number(info.get('pending') ?? 0);
  }
  return { lag, pending, length: Number(await redis.xlen(stream).catch(() => 0)) };
}

/** The run ids and transitions the subscriber has seen, by event id. */
class Deliveries {
  readonly byEventId = new Map<string, number>();
  /** runId → state type → distinct event ids. */
  readonly byRun = new Map<string, Map<string, Set<string>>>();
  received = 0;

  record(eventId: string, runId: string, to: string) {
    this.received++;
    this.byEventId.set(eventId, (this.byEventId.get(eventId) ?? 0) + 1);
    let states = this.byRun.get(runId);
    if (!states) this.byRun.set(runId, (states = new Map()));
    let ids = states.get(to);
    if (!ids) states.set(to, (ids = new Set()));
    ids.add(eventId);
  }

  has(runId: string, to: string) {
    return Boolean(this.byRun.get(runId)?.get(to)?.size);
  }
}

/** One graphql-ws subscriber to the deployment's flow-run events, live once it saw a probe run. */
async function subscribe(
  url: string,
  token: string,
  workspaceId: string,
  deploymentId: string,
  deliveries: Deliveries,
): Promise<Client> {
  const client = await new Promise<Client>((resolve, reject) => {
    const c: Client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: reject,
      on: { connected: () => resolve(c) },
    });
  });
  client.subscribe<any>(
    { query: SUBSCRIPTION, variables: { w: workspaceId, f: { deploymentIds: [deploymentId] } } },
    {
      next: (r) => {
        const e = r.data?.flowRunEvents as
          { id: string; to: string; flowRun: { id: string } } | undefined;
        if (e) deliveries.record(e.id, e.flowRun.id, e.to);
        else console.error('subscription payload without data', JSON.stringify(r));
      },
      error: (e) => console.error('subscription error', JSON.stringify(e)),
      complete: () => undefined,
    },
  );
  return client;
}

/** Creates probe runs until the subscriber received one: the subscription is live. */
async function untilLive(call: GraphqlCall, deploymentId: string, deliveries: Deliveries) {
  for (let i = 0; i < 30; i++) {
    const probe = (await call(CREATE, { i: { deploymentId } })).createFlowRun.id as string;
    for (let t = 0; t < 40; t++) {
      if (deliveries.byRun.has(probe)) return;
      await sleep(50);
    }
  }
  throw new Error('the subscription never went live');
}

async function main() {
  const { DATABASE_URL, REDIS_URL } = process.env;
  if (!DATABASE_URL || !REDIS_URL) {
    console.log(
      'bench:sustained needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (eval "$(scripts/services.sh --env)")',
    );
    process.exit(1);
  }
  const hex = randomBytes(4).toString('hex');
  const schemaPrefix = `bench_sus_${hex}_`;
  const redisPrefix = `bench-sus-${hex}`;
  const dir = mkdtempSync(join(tmpdir(), 'flowplane-bench-sustained-'));
  const procs: ServiceProcess[] = [];
  const db = new pg.Client({ connectionString: DATABASE_URL });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  let subscriber: Client | undefined;
  try {
    await db.connect();
    const subgraphs = await spawnSubgraphs({
      dir,
      schemaPrefix,
      postgres: true,
      databaseUrl: DATABASE_URL,
      env: {
        NODE_ENV: 'production',
        LOG_REQUESTS: 'false',
        REDIS_PREFIX: redisPrefix,
        // The production default (the harness polls faster for tests).
        OUTBOX_POLL_MS: '1000',
      },
      timeoutMs: 180_000,
    });
    procs.push(...subgraphs.processes);
    const env = {
      ...subgraphs.env,
      ...subgraphs.urls,
      // Throughput over time is measured, not the limits.
      RATE_LIMIT_COST_PER_MINUTE: '0',
      RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: '0',
    };
    const [a, b] = await Promise.all([
      spawnService('gateway', env, subgraphs.unset, 180_000),
      spawnService('gateway', env, subgraphs.unset, 180_000),
    ]);
    procs.push(a!, b!);
    const names = ['users', 'workspaces', 'access', 'operations', 'gatewayA', 'gatewayB'];
    // The servers' CPU, the database's and Redis's (the machine's; nothing else should run).
    const metered = [
      ...procs.map((p) => p.child.pid!),
      (await postmasterPid(DATABASE_URL)) ?? 0,
      Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? 0),
    ];
    const cpuNow = () => metered.map((pid) => (pid ? processTreeCpuMs(pid) : 0));

    const s = await seed(a!.url);
    // The orchestration seed returns the deployment, not its workspace.
    const workspaceId = (
      await s.call(`query($id: ID!) { deployment(id: $id) { workspace { id } } }`, {
        id: s.deploymentId,
      })
    ).deployment.workspace.id as string;
    const clients = [graphqlClient(a!.url, s.token, CAP), graphqlClient(b!.url, s.token, CAP)];
    const deliveries = new Deliveries();
    subscriber = await subscribe(b!.url, s.token, workspaceId, s.deploymentId, deliveries);
    await untilLive(clients[0]!, s.deploymentId, deliveries);
    const eventName = eventPrefix('sustained');

    /** runId → transitions accepted (SCHEDULED at creation, then PENDING, RUNNING, COMPLETED). */
    const accepted = new Map<string, string[]>();
    const windows: Window[] = [];
    const current = () => windows[windows.length - 1]!;
    let inFlight = 0;
    let n = 0;

    const timed = async (call: GraphqlCall, query: string, variables: Record<string, unknown>) => {
      const t0 = performance.now();
      try {
        const res = await call(query, variables);
        current().latencies.push(performance.now() - t0);
        return res;
      } catch (err) {
        current().errors++;
        throw err;
      }
    };

    const lifecycle = async (k: number) => {
      const call = clients[k % 2]!;
      const id = (await timed(call, CREATE, { i: { deploymentId: s.deploymentId } })).createFlowRun
        .id as string;
      const states = ['SCHEDULED'];
      accepted.set(id, states);
      const set = async (type: string) => {
        const r = await timed(call, SET, { i: { flowRunId: id, state: { type } } });
        if (r.setFlowRunState.status !== 'ACCEPT')
          throw new Error(`${type}: ${r.setFlowRunState.status}`);
        states.push(type);
      };
      await set('PENDING');
      await set('RUNNING');
      const base = Date.now();
      await timed(call, WRITE, {
        input: {
          workspaceId,
          logs: Array.from({ length: LOGS }, (_, i) => ({
            flowRunId: id,
            level: [10, 20, 20, 20, 30, 40][i % 6],
            message: `task step ${k}.${i} finished: rows=${(i * 7919) % 10007} elapsed=${i % 97}ms`,
            timestamp: new Date(base + i).toISOString(),
          })),
        },
      });
      await timed(call, EMIT, {
        input: {
          workspaceId,
          events: Array.from({ length: EVENTS }, (_, i) =>
            flowplaneEvent(eventName, k * EVENTS + i),
          ),
        },
      });
      await set('COMPLETED');
    };

    const startOne = () => {
      const w = current();
      if (inFlight >= CAP) {
        w.shed++;
        return;
      }
      inFlight++;
      w.started++;
      const k = n++;
      lifecycle(k)
        .then(
          () => current().completed++,
          (err: Error) => {
            if (current().failed++ < 3) console.error(`lifecycle ${k} failed: ${err.message}`);
          },
        )
        .finally(() => inFlight--);
    };

    const rows: Row[] = [];
    /** Each process's lowest or highest RSS sample in the window (a sample now without any). */
    const rssOfWindow = (w: Window, pick: (...xs: number[]) => number) =>
      Object.fromEntries(
        procs.map((p, i) => {
          const samples = w.rss.map((s) => s[i]!);
          return [names[i]!, Math.round((samples.length ? pick(...samples) : rssOf(p)) / 2 ** 20)];
        }),
      );
    const closeWindow = async (w: Window, endSecond: number) => {
      const cpu = cpuNow();
      const calls = await redisCalls(redis);
      const [outbox, bus] = await Promise.all([
        outboxLag(db, schemaPrefix),
        busLag(redis, `${redisPrefix}:events`),
      ]);
      const callsBefore = await w.redisCallsAtStart;
      const perRun = (x: number) => (w.completed ? round(x / w.completed, 2) : 0);
      const row: Row = {
        window: w.index + 1,
        endSecond,
        started: w.started,
        completed: w.completed,
        shed: w.shed,
        failed: w.failed,
        runsPerSecond: round(w.completed / WINDOW),
        requests: w.latencies.length,
        requestErrors: w.errors,
        p50Ms: round(pct(w.latencies, 50)),
        p99Ms: round(pct(w.latencies, 99)),
        outboxUnpublished: outbox.unpublished,
        outboxOldestSeconds: outbox.oldestSeconds,
        busLag: bus.lag,
        busPending: bus.pending,
        streamLength: bus.length,
        rssMb: rssOfWindow(w, Math.min),
        rssPeakMb: rssOfWindow(w, Math.max),
        cpuMsPerRun: Object.fromEntries(
          [...names, 'postgres', 'redis'].map((name, i) => [
            name,
            perRun(cpu[i]! - w.cpuAtStart[i]!),
          ]),
        ),
        redisCallsPerRun: Object.fromEntries(
          Object.entries(calls)
            .map(([cmd, n]) => [cmd, perRun(n - (callsBefore[cmd] ?? 0))] as const)
            .filter(([, n]) => n > 0),
        ),
        subscriberEvents: deliveries.received,
        load: loadavg()[0]!.toFixed(1),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    };

    console.log(
      JSON.stringify({
        measure: 'sustained load',
        machine: machine(),
        seconds: SECONDS,
        window: WINDOW,
        rate: RATE,
        logs: LOGS,
        events: EVENTS,
        cap: CAP,
        schemaPrefix,
        redisPrefix,
      }),
    );
    // Open loop: every 50 ms, start the lifecycles that are due since the load began.
    const begin = performance.now();
    const newWindow = () =>
      windows.push({
        index: windows.length,
        started: 0,
        completed: 0,
        shed: 0,
        failed: 0,
        latencies: [],
        errors: 0,
        rss: [],
        cpuAtStart: cpuNow(),
        redisCallsAtStart: redisCalls(redis),
      });
    newWindow();
    let due = 0;
    let sampledSecond = -1;
    const closing: Promise<void>[] = [];
    for (;;) {
      const elapsed = (performance.now() - begin) / 1000;
      if (elapsed >= SECONDS) break;
      if (Math.floor(elapsed) > sampledSecond) {
        sampledSecond = Math.floor(elapsed);
        current().rss.push(procs.map(rssOf));
      }
      if (elapsed >= (current().index + 1) * WINDOW) {
        const w = current();
        newWindow();
        closing.push(closeWindow(w, (w.index + 1) * WINDOW));
      }
      const target = Math.floor(elapsed * RATE);
      while (due < target) {
        due++;
        startOne();
      }
      await sleep(50);
    }
    const last = current();
    // Lifecycles still running finish into the last window; then its row.
    const stopAt = Date.now() + DRAIN_SECONDS * 1000;
    while (inFlight > 0 && Date.now() < stopAt) await sleep(100);
    await Promise.all(closing);
    await closeWindow(last, SECONDS);

    // Drain: the outbox published, the bus read, the subscriber has every expected event.
    const expected = [...accepted].flatMap(([runId, states]) => states.map((to) => [runId, to]));
    let drain = { outbox: 0, bus: 0, missing: 0 };
    for (;;) {
      const [outbox, bus] = await Promise.all([
        outboxLag(db, schemaPrefix),
        busLag(redis, `${redisPrefix}:events`),
      ]);
      const missing = expected.filter(([runId, to]) => !deliveries.has(runId!, to!)).length;
      drain = { outbox: outbox.unpublished, bus: bus.lag + bus.pending, missing };
      if ((!drain.outbox && !drain.bus && !missing) || Date.now() > stopAt) break;
      await sleep(500);
    }
    const drainSeconds = round((DRAIN_SECONDS * 1000 - (stopAt - Date.now())) / 1000);

    // Verify: every created run COMPLETED in the database, every event delivered exactly once.
    const ids = [...accepted.keys()];
    const { rows: states } = await db.query<{ state_type: string; n: number }>(
      `select state_type, count(*)::int as n from "${schemaPrefix}operations".flow_run
       where id = any($1::uuid[]) group by state_type`,
      [ids],
    );
    const byState = Object.fromEntries(states.map((r) => [r.state_type, r.n]));
    const inDb = states.reduce((t, r) => t + r.n, 0);
    const failedRuns = rows.reduce((t, r) => t + r.failed, 0);
    const fullyAccepted = [...accepted.values()].filter((v) => v.length === 4).length;
    const notCompleted = ids.length - (byState.COMPLETED ?? 0);
    // A run lost is one whose COMPLETED was accepted but that the database does not hold so.
    const lostRuns = fullyAccepted - (byState.COMPLETED ?? 0);
    const missing = expected.filter(([runId, to]) => !deliveries.has(runId!, to!)).length;
    // Deliveries of the load's runs (not of the probe run that checked the subscription).
    let received = 0;
    for (const [runId] of accepted)
      for (const [, idsOf] of deliveries.byRun.get(runId) ?? [])
        for (const id of idsOf) received += deliveries.byEventId.get(id) ?? 0;
    let duplicateIds = 0;
    for (const [runId] of accepted)
      for (const [, idsOf] of deliveries.byRun.get(runId) ?? [])
        for (const id of idsOf) if ((deliveries.byEventId.get(id) ?? 0) > 1) duplicateIds++;
    // The same transition delivered under two event ids is a duplicate too.
    let duplicateTransitions = 0;
    for (const [runId] of accepted)
      for (const [, idsOf] of deliveries.byRun.get(runId) ?? [])
        if (idsOf.size > 1) duplicateTransitions += idsOf.size - 1;
    const unexpected = [...deliveries.byRun.entries()].filter(
      ([runId, m]) =>
        accepted.has(runId) && [...m.keys()].some((to) => !accepted.get(runId)!.includes(to)),
    ).length;

    printTable(rows, names);
    const second = rows[Math.min(1, rows.length - 1)]!;
    const end = rows[rows.length - 1]!;
    const ratio = (x: number, y: number) => (y > 0 ? round(x / y, 2) : x > 0 ? Infinity : 1);
    const rssRatios = Object.fromEntries(
      names.map((name) => [name, ratio(end.rssMb[name]!, second.rssMb[name]!)]),
    );
    const flat = {
      p99: ratio(end.p99Ms, second.p99Ms) <= DRIFT.p99,
      rss: Object.values(rssRatios).every((r) => r <= DRIFT.rss),
      // A lag of under one second's worth of work is no drift, whatever the ratio.
      outbox:
        end.outboxOldestSeconds <= 2 ||
        ratio(end.outboxUnpublished, second.outboxUnpublished) <= DRIFT.lag,
      bus: end.busLag + end.busPending <= RATE * 4 || ratio(end.busLag, second.busLag) <= DRIFT.lag,
    };
    const totals = {
      started: ids.length,
      shed: rows.reduce((t, r) => t + r.shed, 0),
      failed: failedRuns,
      completed: fullyAccepted,
      achievedRunsPerSecond: round(fullyAccepted / SECONDS),
      targetRunsPerSecond: RATE,
    };
    // Per run over the whole load: each window's figure weighted by the runs it completed.
    const overRuns = (pick: (r: Row) => Record<string, number>) => {
      const sum: Record<string, number> = {};
      for (const r of rows)
        for (const [k, v] of Object.entries(pick(r))) sum[k] = (sum[k] ?? 0) + v * r.completed;
      const runs = rows.reduce((t, r) => t + r.completed, 0);
      return Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, round(v / runs, 2)]));
    };
    const cpuMsPerRun = overRuns((r) => r.cpuMsPerRun);
    const redisCallsPerRun = overRuns((r) => r.redisCallsPerRun);
    const verdict = {
      verdict: 'sustained load',
      ...totals,
      cpuMsPerRun,
      serverCpuMsPerRun: round(
        names.reduce((t, n) => t + (cpuMsPerRun[n] ?? 0), 0),
        1,
      ),
      redisCallsPerRun,
      redisCommandsPerRun: round(
        Object.entries(redisCallsPerRun).reduce((t, [k, n]) => (k === 'reads' ? t : t + n), 0),
        1,
      ),
      inDatabase: inDb,
      byState,
      notCompleted,
      lostRuns,
      expectedDeliveries: expected.length,
      received,
      receivedInAll: deliveries.received,
      missingDeliveries: missing,
      duplicateDeliveries: duplicateIds,
      duplicateTransitions,
      runsWithUnexpectedStates: unexpected,
      drainSeconds,
      afterDrain: drain,
      lastVsSecond: {
        p99: ratio(end.p99Ms, second.p99Ms),
        outboxUnpublished: ratio(end.outboxUnpublished, second.outboxUnpublished),
        busLag: ratio(end.busLag, second.busLag),
        rss: rssRatios,
      },
      flat,
    };
    console.log(JSON.stringify(verdict));
    // What the servers logged as errors (a failed lifecycle's requestId is in its line).
    const errors = procs.flatMap((p, i) =>
      p.output
        .join('')
        .split('\n')
        .filter((line) => /"level":"(error|fatal)"/.test(line))
        .map((line) => `${names[i]}: ${line}`),
    );
    if (errors.length) {
      console.log(
        `\n${errors.length} error lines in the servers' logs; the first ${Math.min(errors.length, 10)}:`,
      );
      for (const line of errors.slice(0, 10)) console.log(line.slice(0, 2000));
    }
    const ok = !lostRuns && !missing && !duplicateIds && !duplicateTransitions && !totals.failed;
    const keptUp = !totals.shed && totals.achievedRunsPerSecond >= RATE * 0.95;
    console.log(
      `\n**Verdict:** ${ok ? 'nothing lost' : 'LOSS OR DUPLICATION'}: ${lostRuns} lost runs, ` +
        `${notCompleted} of ${ids.length} runs not COMPLETED (${failedRuns} lifecycles failed), ` +
        `${missing} of ${expected.length} deliveries missing, ${duplicateIds + duplicateTransitions} duplicated; ` +
        `${keptUp ? 'kept up' : 'did NOT keep up'} (${totals.achievedRunsPerSecond} of ${RATE} runs/s, ${totals.shed} shed at the cap of ${CAP}); ` +
        `last window vs second: p99 ×${verdict.lastVsSecond.p99} (${flat.p99 ? 'flat' : 'DRIFT'}), ` +
        `outbox ${second.outboxUnpublished} → ${end.outboxUnpublished} rows (${flat.outbox ? 'flat' : 'DRIFT'}), ` +
        `bus lag ${second.busLag} → ${end.busLag} (${flat.bus ? 'flat' : 'DRIFT'}), ` +
        `RSS (each window's lowest) up to ×${Math.max(...Object.values(rssRatios))} (${flat.rss ? 'flat' : 'DRIFT'}).`,
    );
  } finally {
    await subscriber?.dispose();
    await Promise.all(procs.map((p) => p.stop()));
    await db.end().catch(() => undefined);
    await dropSchemas(schemaPrefix).catch((err) => console.error('dropping schemas:', err));
    await deleteKeys(redis, redisPrefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(rows: Row[], names: string[]) {
  const unit = WINDOW === 60 ? 'minute' : `${WINDOW} s window`;
  console.log(
    `\n| ${unit} | started | completed | shed | failed | runs/s | p50 ms | p99 ms | outbox unpublished (oldest s) | bus lag / pending (XLEN) | ${names.map((n) => `${n} RSS MB (low–high)`).join(' | ')} | subscriber events |`,
  );
  console.log(`|${' ---: |'.repeat(11 + names.length)}`);
  for (const r of rows)
    console.log(
      `| ${r.window} | ${r.started} | ${r.completed} | ${r.shed} | ${r.failed} | ${r.runsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.outboxUnpublished} (${r.outboxOldestSeconds}) | ${r.busLag} / ${r.busPending} (${r.streamLength}) | ${names.map((n) => `${r.rssMb[n]}–${r.rssPeakMb[n]}`).join(' | ')} | ${r.subscriberEvents} |`,
    );
}

/** Deletes every Redis key under the benchmark's prefix. */
/**
 * Calls per Redis command so far (INFO commandstats), and `reads`: the times Redis read from a
 * client's socket (INFO stats), about one per round trip, however many commands a write held.
 */
async function redisCalls(redis: Redis): Promise<Record<string, number>> {
  const info = (await redis.info('commandstats')) + (await redis.info('stats'));
  return {
    ...Object.fromEntries(
      [...info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
    ),
    reads: Number(/^total_reads_processed:(\d+)/m.exec(info)?.[1] ?? 0),
  };
}

async function deleteKeys(redis: Redis, prefix: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
