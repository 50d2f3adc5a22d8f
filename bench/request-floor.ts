/**
 * What a request costs before it does anything: the server CPU per request of a ladder of
 * operations through `flowplane serve all` (its own process, in-process bus), each from 16
 * concurrent clients over one API key:
 *   npm run bench:request-floor [-- --database sqlite|postgresql --requests 3000]
 * - `{ __typename }`: HTTP, authentication of the key, the gateway's pipeline, no subgraph;
 * - `workspace { id }`: plus one subgraph (workspaces), its context and one read;
 * - `workspace { flows { totalCount } }`: two subgraphs in sequence;
 * - `emitEvents` of one event: the single-event ingest path (goal 2 of issue 16).
 * The differences between the rungs are what each layer costs (see bench/RESULTS.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { graphqlClient } from './http-client.js';
import { EMIT, flowplaneEvent } from './ingest-workloads.js';
import { flag, machine, processTreeCpuMs, serveAllVars } from './load.js';
import { seed } from './scenarios.js';

const DATABASE = flag('database', process.env.DATABASE_URL ? 'postgresql' : 'sqlite');
const REQUESTS = Number(flag('requests', '3000'));
const CLIENTS = 16;

async function main() {
  if (DATABASE === 'postgresql' && !process.env.DATABASE_URL)
    throw new Error('--database postgresql needs DATABASE_URL');
  const dir = mkdtempSync(join(tmpdir(), 'fp-floor-'));
  const prefix = `bench_floor_${randomBytes(3).toString('hex')}_`;
  const server = await spawnService(
    'all',
    serveAllVars(DATABASE as 'sqlite' | 'postgresql', dir, prefix),
    DATABASE === 'postgresql' ? ['REDIS_URL'] : ['REDIS_URL', 'DATABASE_URL'],
    180_000,
  );
  try {
    const s = await seed(server.url);
    const call = graphqlClient(server.url, s.token, CLIENTS);
    const name = `floor${randomBytes(3).toString('hex')}`;
    const rungs: [string, (n: number) => Promise<unknown>][] = [
      ['{ __typename }', () => call('{ __typename }')],
      [
        'workspace { id }',
        () => call('query($w: ID!) { workspace(id: $w) { id } }', { w: s.workspaceId }),
      ],
      [
        'workspace { flows { totalCount } }',
        () =>
          call('query($w: ID!) { workspace(id: $w) { flows(first: 1) { totalCount } } }', {
            w: s.workspaceId,
          }),
      ],
      [
        'emitEvents (1 event)',
        (n) =>
          call(EMIT, { input: { workspaceId: s.workspaceId, events: [flowplaneEvent(name, n)] } }),
      ],
    ];
    console.log(`${machine()}; ${DATABASE}; ${CLIENTS} clients, ${REQUESTS} requests a rung`);
    console.log('| operation | requests/s | server CPU ms per request |\n|---|---:|---:|');
    for (const [label, op] of rungs) {
      await drive(op, 300); // warm-up
      const cpu = processTreeCpuMs(server.child.pid!);
      const started = process.hrtime.bigint();
      await drive(op, REQUESTS);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const ms = (processTreeCpuMs(server.child.pid!) - cpu) / REQUESTS;
      console.log(`| ${label} | ${Math.round(REQUESTS / seconds)} | ${ms.toFixed(3)} |`);
    }
    console.log(`load ${loadavg()[0]!.toFixed(1)}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    if (DATABASE === 'postgresql') await dropSchemas(prefix);
  }
}

/** `count` calls of `op` from CLIENTS concurrent loops. */
async function drive(op: (n: number) => Promise<unknown>, count: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) await op(next++);
    }),
  );
}

await main();
