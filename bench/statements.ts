/**
 * Every SQL statement one operation costs, background work included (the outbox relay, the
 * consumers it feeds): the embedded stack in this process with a statement log on each subgraph.
 *   npm run bench:statements [-- --database sqlite|postgresql]
 * Prints, per operation, the statements per subgraph grouped by label (request, outbox,
 * consumer) and kind, averaged over the repetitions, and the CPU the operation cost this process
 * (a rough split of a workload's cost by operation: the client and the log are in it too).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { QueryCounter } from '../lib/orm.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../gateway/src/transport.js';
import { startEmbedded } from '../server/services.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient } from './http-client.js';
import { flowplaneEvent, EMIT } from './ingest-workloads.js';
import { benchEnv, flag } from './load.js';
import { seed } from './orchestration.js';
import { RUNS_100 } from './scenarios.js';

const DATABASE = flag('database', 'sqlite');
const REPEAT = Number(flag('repeat', '10'));
/** `--verbose`: print every statement of the last repetition's subgraphs too. */
const VERBOSE = process.argv.includes('--verbose');

/** Keeps every statement (the counter of the tests leaves background work out). */
class StatementLog extends QueryCounter {
  readonly all: string[] = [];
  override record(line: string): void {
    this.all.push(line);
  }
}

const logs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, new StatementLog()])) as Record<
  SubgraphName,
  StatementLog
>;
const prefix = `bench_stmt_${randomBytes(3).toString('hex')}_`;
const env = benchEnv(
  DATABASE === 'postgresql'
    ? { DATABASE_URL: process.env.DATABASE_URL!, DATABASE_SCHEMA_PREFIX: prefix }
    : {},
);
const stack = await startEmbedded(env, {
  database: DATABASE === 'postgresql' ? undefined : () => ({ kind: 'sqlite', path: ':memory:' }),
  queryCounters: logs,
});
const url = `http://127.0.0.1:${stack.port}/graphql`;
const s = await seed(url);
const call = graphqlClient(url, s.token);
const settle = () => new Promise((r) => setTimeout(r, 300));

/** The statements of `op`, run REPEAT times, per subgraph and label/kind (averaged). */
async function trace(name: string, op: (i: number) => Promise<unknown>) {
  await settle();
  for (const l of Object.values(logs)) l.all.length = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < REPEAT; i++) await op(i);
  await settle();
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000 / REPEAT;
  console.log(
    `\n== ${name} (per operation, ${REPEAT} repetitions; ${ms.toFixed(1)} ms of CPU, this ` +
      `process's: client, gateway, subgraphs, background work, statement log)`,
  );
  for (const n of SUBGRAPH_NAMES) {
    const groups = new Map<string, number>();
    for (const line of logs[n].all) {
      const m = /^\[query\] (\((\w+)\) )?(\w+)(?: (?:into|from)? ?"?(?:\w+"?\.)?"?(\w+)"?)?/i.exec(
        line,
      );
      const label = m?.[2] ?? 'request';
      const key = `${label}: ${(m?.[3] ?? '?').toLowerCase()} ${m?.[4] ?? ''}`.trim();
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    if (!groups.size) continue;
    const total = logs[n].all.length / REPEAT;
    console.log(`  ${n}: ${total.toFixed(1)} statements`);
    for (const [k, c] of [...groups].sort((a, b) => b[1] - a[1]))
      console.log(`    ${(c / REPEAT).toFixed(1).padStart(5)}  ${k}`);
    if (VERBOSE)
      for (const line of logs[n].all.slice(-Math.ceil(logs[n].all.length / REPEAT)))
        console.log(`      ${line.slice(0, 240)}`);
  }
}

const CREATE = `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`;
const SET = `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`;
const ids: string[] = [];
await trace('createFlowRun', async () =>
  ids.push((await call(CREATE, { i: { deploymentId: s.deploymentId } })).createFlowRun.id),
);
for (const type of ['PENDING', 'RUNNING', 'COMPLETED'])
  await trace(`setFlowRunState ${type}`, (i) =>
    call(SET, { i: { flowRunId: ids[i], state: { type } } }),
  );
for (let i = 0; i < REPEAT * 10; i++) await call(CREATE, { i: { deploymentId: s.deploymentId } });
await trace('claimFlowRuns (limit 10)', () =>
  call(`mutation($i: ClaimFlowRunsInput!) { claimFlowRuns(input: $i) { id } }`, {
    i: { workPoolId: s.poolId, workerName: 'w', limit: 10 },
  }),
);
const workspaceId = (
  await call(`query($id: ID!) { flow(id: $id) { workspace { id } } }`, { id: s.flowId })
).flow.workspace.id as string;
await trace('emitEvents (1 event)', (i) =>
  call(EMIT, { input: { workspaceId, events: [flowplaneEvent('stmt', i)] } }),
);
await trace('emitEvents (100 events)', (i) =>
  call(EMIT, {
    input: {
      workspaceId,
      events: Array.from({ length: 100 }, (_, k) => flowplaneEvent('stmt', i * 100 + k)),
    },
  }),
);
await trace('100-run page', () => call(RUNS_100, { id: workspaceId }));
await stack.stop();
if (DATABASE === 'postgresql') await dropSchemas(prefix);
process.exit(0);
