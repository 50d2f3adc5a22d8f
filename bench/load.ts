/**
 * Shared load-generation helpers of the benchmarks: autocannon in its own process against
 * loopback, medians over runs, and a measurement that refuses to time failing requests.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gqlRequest } from '../tests/harness/client.js';
import { dropSchemas } from '../tests/harness/stack.js';

const run = promisify(execFile);
const AUTOCANNON = fileURLToPath(
  new URL('../node_modules/autocannon/autocannon.js', import.meta.url),
);

const args = process.argv.slice(2);
/** A `--name value` command-line flag, or `dflt`. */
export const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
export const DURATION = Number(flag('duration', '10'));
export const RUNS = Number(flag('runs', '3'));
export const CONNECTIONS = Number(flag('connections', '16'));

export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  samples: Sample[];
}

export async function autocannon(url: string, body: string, token: string): Promise<Sample> {
  const { stdout } = await run(
    process.execPath,
    [
      AUTOCANNON,
      '--json',
      '-c',
      String(CONNECTIONS),
      '-d',
      String(DURATION),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-H',
      `authorization=Bearer ${token}`,
      '-b',
      body,
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Checks the query answers without errors, warms up, then takes RUNS samples (medians). */
export async function measure(
  name: string,
  url: string,
  query: string,
  variables: unknown,
  token: string,
): Promise<Row> {
  // Fail loudly if the query does not work: a benchmark of errors measures nothing.
  const check = await gqlRequest(url, query, variables as Record<string, unknown>, token);
  if (check.errors?.length) throw new Error(`${name}: ${JSON.stringify(check.errors)}`);
  const body = JSON.stringify({ query, variables });
  await autocannon(url, body, token).catch(() => undefined); // warm-up (JIT, caches)
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await autocannon(url, body, token));
  const bad = samples.reduce((n, s) => n + s.errors + s.non2xx, 0);
  if (bad) throw new Error(`${name}: ${bad} failed requests`);
  const row = {
    name,
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    samples,
  };
  console.log(`${name}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms`);
  return row;
}

/**
 * Runs `bench` on embedded SQLite files in a temp folder, then (with DATABASE_URL) on
 * PostgreSQL under a fresh schema prefix; each run's data is removed by its `cleanup`.
 */
export async function onEachDatabase(
  name: string,
  bench: (
    label: string,
    env: Record<string, string>,
    cleanup: () => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `flowplane-bench-${name}-`));
  await bench('SQLite (embedded, files)', { DATA_DIR: dir }, async () =>
    rmSync(dir, { recursive: true, force: true }),
  );
  if (!process.env.DATABASE_URL) return console.log('PostgreSQL skipped: set DATABASE_URL');
  const prefix = `bench_${name}_${randomBytes(3).toString('hex')}_`;
  await bench(
    'PostgreSQL (embedded)',
    { DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA_PREFIX: prefix },
    () => dropSchemas(prefix),
  );
}
