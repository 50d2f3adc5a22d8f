/**
 * Log ingest through the gateway: batches of 1,000 entries via `writeLogs`, on embedded SQLite
 * (files) and, with DATABASE_URL, on PostgreSQL. Prints entries/s per database and concurrency.
 *   npm run bench:logs [-- --batches 40 --concurrency 1,4]
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadEnv } from '../lib/env.js';
import { startEmbedded } from '../server/services.js';
import { gqlRequest } from '../tests/harness/client.js';
import { seed } from './scenarios.js';
import { flag, onEachDatabase } from './load.js';

const BATCHES = Number(flag('batches', '40'));
const CONCURRENCY = flag('concurrency', '1,4').split(',').map(Number);
const BATCH = 1000;

const WRITE = `mutation Write($input: WriteLogsInput!) { writeLogs(input: $input) }`;

function batch(runs: string[], n: number) {
  const base = Date.now();
  return Array.from({ length: BATCH }, (_, i) => ({
    flowRunId: runs[i % runs.length]!,
    level: [10, 20, 20, 20, 30, 40][i % 6],
    message: `task step ${n}.${i} finished: rows=${(i * 7919) % 10007} elapsed=${i % 97}ms`,
    timestamp: new Date(base + i).toISOString(),
  }));
}

async function measure(url: string, token: string, workspaceId: string, concurrency: number) {
  const runs = Array.from({ length: 8 }, () => randomUUID());
  const bodies = Array.from({ length: BATCHES }, (_, n) => ({
    input: { workspaceId, logs: batch(runs, n) },
  }));
  // Warm-up: JIT, grants cache, prepared paths.
  for (let i = 0; i < 3; i++) await gqlRequest(url, WRITE, bodies[i]!, token);
  let next = 0;
  let stored = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const res = await gqlRequest(url, WRITE, bodies[next++]!, token);
        if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
        stored += res.data.writeLogs as number;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { stored, seconds, perSecond: stored / seconds };
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
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...extraEnv,
  });
  const stack = await startEmbedded(env);
  try {
    const url = `http://127.0.0.1:${stack.port}/graphql`;
    const s = await seed(url);
    for (const c of CONCURRENCY) {
      const r = await measure(url, s.token, s.workspaceId, c);
      console.log(
        `${label}, concurrency ${c}: ${r.stored} entries in ${r.seconds.toFixed(2)} s = ${Math.round(r.perSecond)} entries/s (${((r.seconds / (r.stored / BATCH)) * 1000).toFixed(0)} ms per batch of ${BATCH})`,
      );
    }
  } finally {
    await stack.stop();
    await cleanup();
  }
}

await onEachDatabase('logs', bench);
process.exit(0);
