/**
 * CPU profile of one hot-path workload in a `flowplane serve all` process of its own, sampled
 * through its inspector for exactly the workload's window (start-up, seeding and warm-up left out):
 *   npm run bench:profile:hot-path -- --workload transitions|creates|claims|batched|singles|socket|page|fanout|idle
 *                                     [--database sqlite|postgresql] [--seconds 10] [--save DIR]
 *                                     [--process all|gateway|users|workspaces|access|operations]
 * `--process` (default `all`, one embedded process): anything else starts the four subgraphs and
 * the gateway as separate processes (Redis bus, in-flight sharing off) and profiles that one.
 * `creates`: createFlowRun alone, from 8 clients (the first step of each run of `transitions`).
 * `fanout`: `--subscribers` (5000) graphql-ws subscribers over 10 keys, profiled over a burst of
 * `--burst` (50) runs created 8 at a time (bench:hot-path's subscriptions part).
 * Prints self time by package, the hottest functions, and functions by inclusive time; with
 * `--save`, writes the .cpuprofile (Chrome DevTools or speedscope open it).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess, spawnService, spawnSubgraphs } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient } from './http-client.js';
import { emitBatched, emitOverSocket, emitSingles } from './ingest-workloads.js';
import { flag, MEASURED_SERVER_VARS, serveAllVars } from './load.js';
import { claims, lifecycle, seed as seedOrchestration } from './orchestration.js';
import { printProfile } from './profile-report.js';
import { inspectorUrl, RemoteProfiler } from './remote-profiler.js';
import { RUNS_100, seed as seedWorkspace } from './scenarios.js';
import {
  burst,
  connectAll,
  FAN_OUT_LIMITS,
  seed as seedSubscriptions,
  untilLive,
} from './subscriptions.js';

const WORKLOAD = flag('workload', 'transitions');
const DATABASE = flag('database', 'sqlite') as 'sqlite' | 'postgresql';
const SECONDS = Number(flag('seconds', '10'));
const SAVE = flag('save', '');
const PROCESS = flag('process', 'all');

async function main() {
  if (DATABASE === 'postgresql' && !process.env.DATABASE_URL)
    throw new Error('--database postgresql needs DATABASE_URL');
  const dir = mkdtempSync(join(tmpdir(), 'fp-prof-'));
  const prefix = `bench_prof_${randomBytes(3).toString('hex')}_`;
  const env = {
    ...MEASURED_SERVER_VARS,
    // The fan-out needs the outbox relay to publish the runs' events.
    BACKGROUND_SERVICES: WORKLOAD === 'fanout' ? 'true' : 'false',
    ...(WORKLOAD === 'fanout' ? FAN_OUT_LIMITS : {}),
  };
  const inspect = ['--inspect=127.0.0.1:0'];
  const procs: ServiceProcess[] = [];
  let server: ServiceProcess;
  let profiled: ServiceProcess;
  if (PROCESS === 'all') {
    server = await spawnService(
      'all',
      serveAllVars(DATABASE, dir, prefix, env),
      DATABASE === 'postgresql' ? ['REDIS_URL'] : ['REDIS_URL', 'DATABASE_URL'],
      180_000,
      inspect,
    );
    procs.push(server);
    profiled = server;
  } else {
    // Distributed: four subgraph processes and a gateway (Redis bus, sharing off), one profiled.
    if (!process.env.REDIS_URL) throw new Error('--process needs REDIS_URL');
    const subgraphs = await spawnSubgraphs({
      dir,
      schemaPrefix: prefix,
      postgres: DATABASE === 'postgresql',
      databaseUrl: process.env.DATABASE_URL,
      env,
      timeoutMs: 180_000,
      nodeArgs: PROCESS === 'gateway' ? {} : { [PROCESS]: inspect },
    });
    procs.push(...subgraphs.processes);
    server = await spawnService(
      'gateway',
      { ...subgraphs.env, ...subgraphs.urls, ...env, GATEWAY_DEDUPE_QUERIES: 'false' },
      subgraphs.unset,
      180_000,
      PROCESS === 'gateway' ? inspect : [],
    );
    procs.push(server);
    profiled = PROCESS === 'gateway' ? server : procs.find((p) => p.name === PROCESS)!;
    if (!profiled) throw new Error(`unknown --process ${PROCESS}`);
  }
  const profiler = await RemoteProfiler.connect(inspectorUrl(profiled.output));
  try {
    const { label, profile } = await run(server.url);
    console.log(`${WORKLOAD} on ${DATABASE}, profile of ${PROCESS}: ${label}`);
    printProfile(profile, { busyOnly: true, inclusive: 60 });
    if (SAVE) {
      mkdirSync(SAVE, { recursive: true });
      const file = join(SAVE, `${WORKLOAD}-${DATABASE}-${PROCESS}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(`\nprofile saved to ${file}`);
    }
  } finally {
    profiler.close();
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
    if (DATABASE === 'postgresql') await dropSchemas(prefix);
  }

  async function run(url: string) {
    if (WORKLOAD === 'transitions' || WORKLOAD === 'claims' || WORKLOAD === 'creates') {
      const seeded = await seedOrchestration(url);
      const call = graphqlClient(url, seeded.token);
      if (WORKLOAD === 'creates') {
        const loop = async (seconds: number) => {
          let n = 0;
          const until = Date.now() + seconds * 1000;
          await Promise.all(
            Array.from({ length: 8 }, async () => {
              while (Date.now() < until) {
                await call(
                  `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`,
                  {
                    i: { deploymentId: seeded.deploymentId },
                  },
                );
                n++;
              }
            }),
          );
          return n / seconds;
        };
        await loop(2);
        const r = await profiler.around(() => loop(SECONDS));
        return {
          label: `${r.value.toFixed(0)} runs created/s while profiling`,
          profile: r.profile,
        };
      }
      if (WORKLOAD === 'transitions') {
        await lifecycle(call, seeded.deploymentId, 2, 8);
        const r = await profiler.around(() => lifecycle(call, seeded.deploymentId, SECONDS, 8));
        return {
          label: `${r.value.transitionsPerSecond.toFixed(0)} transitions/s while profiling`,
          profile: r.profile,
        };
      }
      // Claims: the runs are created before the profile starts (claims() creates, then claims).
      const count = Number(flag('claim-runs', '1000'));
      const r = await profiler.around(() =>
        claims(call, seeded.deploymentId, seeded.poolId, count),
      );
      return {
        label: `${r.value.runsPerSecond.toFixed(0)} runs claimed/s (creation included in the profile)`,
        profile: r.profile,
      };
    }
    if (WORKLOAD === 'fanout') {
      const s = await seedSubscriptions(url, 10);
      await burst([], s, 20); // warm-up
      const subs = await connectAll(url, Number(flag('subscribers', '5000')), s, () => undefined);
      try {
        await untilLive(subs, s);
        const r = await profiler.around(() => burst(subs, s, Number(flag('burst', '50'))));
        return {
          label: `${r.value.deliveriesPerSecond} deliveries/s, ${(r.value.events / r.value.mutationSeconds).toFixed(1)} runs created/s while profiling`,
          profile: r.profile,
        };
      } finally {
        await Promise.all(subs.map((sub) => sub.client.dispose()));
      }
    }
    const s = await seedWorkspace(url);
    const t = { url, token: s.token, workspaceId: s.workspaceId };
    if (WORKLOAD === 'idle') {
      // What a process spends with no request at all (relay polls, bus reads, timers).
      const r = await profiler.around(
        () => new Promise((done) => setTimeout(done, SECONDS * 1000)),
      );
      return { label: `idle for ${SECONDS} s`, profile: r.profile };
    }
    if (WORKLOAD === 'page') {
      const call = graphqlClient(url, s.token);
      const flows = await call(
        `query($id: ID!) { workspace(id: $id) { flows(first: 10) { edges { node { id } } } } }`,
        { id: s.workspaceId },
      );
      const flowIds = flows.workspace.flows.edges.map((e: any) => e.node.id as string);
      for (let i = 0; i < 100; i++)
        await call(`mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`, {
          i: { flowId: flowIds[i % flowIds.length], tags: ['bench'] },
        });
      const loop = async (seconds: number) => {
        let n = 0;
        const until = Date.now() + seconds * 1000;
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (Date.now() < until) {
              await call(RUNS_100, { id: s.workspaceId });
              n++;
            }
          }),
        );
        return n / seconds;
      };
      await loop(2);
      const r = await profiler.around(() => loop(SECONDS));
      return { label: `${r.value.toFixed(0)} pages/s while profiling`, profile: r.profile };
    }
    const work: Record<string, () => Promise<number>> = {
      batched: () => emitBatched(t, Number(flag('batches', '60')), 4),
      singles: () => emitSingles(t, Number(flag('singles', '1600')), 16),
      socket: () => emitOverSocket(t, Number(flag('socket-events', '4000')), 4),
    };
    const w = work[WORKLOAD];
    if (!w) throw new Error(`unknown --workload ${WORKLOAD}`);
    await emitBatched(t, 4, 4);
    const started = performance.now();
    const r = await profiler.around(w);
    const seconds = (performance.now() - started) / 1000;
    return {
      label: `${r.value} events in ${seconds.toFixed(1)} s = ${(r.value / seconds).toFixed(0)} events/s while profiling`,
      profile: r.profile,
    };
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
