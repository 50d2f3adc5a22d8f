/**
 * Event ingest through the gateway: `emitEvents` in batches of 100 and one event per call, on
 * embedded SQLite (files) and, with DATABASE_URL, on PostgreSQL. Prints events/s per database,
 * mode and concurrency (each event is stored with its related-resource rows and an
 * `event.emitted` outbox row in the call's transaction).
 *   npm run bench:events [-- --batches 30 --singles 300 --concurrency 1,4]
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadEnv } from '../lib/env.js';
import { startEmbedded } from '../server/services.js';
import { gqlRequest } from '../tests/harness/client.js';
import { seed } from './scenarios.js';
import { flag, onEachDatabase } from './load.js';

const BATCHES = Number(flag('batches', '30'));
const SINGLES = Number(flag('singles', '300'));
const CONCURRENCY = flag('concurrency', '1,4').split(',').map(Number);
const BATCH = 100;

const EMIT = `mutation Emit($input: EmitEventsInput!) { emitEvents(input: $input) }`;

/** A realistic client event: labels, two related resources, a small payload. */
function event(n: number) {
  return {
    event: `acme.order.${['created', 'paid', 'shipped', 'delivered'][n % 4]}`,
    resource: {
      id: `acme.order.${n % 500}`,
      labels: { 'flowplane.resource.name': `Order ${n % 500}`, region: ['eu', 'us'][n % 2]! },
    },
    related: [
      { id: `acme.customer.${n % 97}`, role: 'customer' },
      { id: `acme.warehouse.${n % 7}`, role: 'warehouse', labels: { zone: `z${n % 3}` } },
    ],
    payload: { amount: (n * 7919) % 10007, items: n % 9, note: `order ${n} step` },
  };
}

async function measure(
  url: string,
  token: string,
  workspaceId: string,
  perCall: number,
  calls: number,
  concurrency: number,
) {
  let n = 0;
  const bodies = Array.from({ length: calls }, () => ({
    input: { workspaceId, events: Array.from({ length: perCall }, () => event(n++)) },
  }));
  // Warm-up: JIT, grants cache, prepared paths.
  for (let i = 0; i < 3; i++) await gqlRequest(url, EMIT, bodies[i % bodies.length]!, token);
  let next = 0;
  let stored = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const res = await gqlRequest(url, EMIT, bodies[next++]!, token);
        if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
        stored += res.data.emitEvents as number;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { stored, seconds, perSecond: stored / seconds, msPerCall: (seconds / calls) * 1000 };
}

async function bench(
  label: string,
  extraEnv: Record<string, string>,
  cleanup: () => Promise<void>,
) {
  const env = loadEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_REQUESTS: 'false',
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...extraEnv,
  });
  const stack = await startEmbedded(env);
  try {
    const url = `http://127.0.0.1:${stack.port}/graphql`;
    const s = await seed(url);
    for (const c of CONCURRENCY) {
      const batched = await measure(url, s.token, s.workspaceId, BATCH, BATCHES, c);
      console.log(
        `${label}, batches of ${BATCH}, concurrency ${c}: ${batched.stored} events in ${batched.seconds.toFixed(2)} s = ${Math.round(batched.perSecond)} events/s (${batched.msPerCall.toFixed(0)} ms per call)`,
      );
      const single = await measure(url, s.token, s.workspaceId, 1, SINGLES, c);
      console.log(
        `${label}, single events, concurrency ${c}: ${single.stored} events in ${single.seconds.toFixed(2)} s = ${Math.round(single.perSecond)} events/s (${single.msPerCall.toFixed(1)} ms per call)`,
      );
    }
  } finally {
    await stack.stop();
    await cleanup();
  }
}

await onEachDatabase('events', bench);
process.exit(0);
