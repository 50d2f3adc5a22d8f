/**
 * Shared load-generation helpers of the benchmarks: autocannon in its own process against
 * loopback, medians over runs, and a measurement that refuses to time failing requests.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadEnv, type Env } from '../lib/env.js';
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
/**
 * The environment of an embedded stack under measurement: loopback on an ephemeral port,
 * production mode, per-request log lines, rate limits and background jobs off, fresh keys;
 * `extra` adds to it or overrides it (a DATABASE_URL and schema prefix, a DATA_DIR).
 */
export function benchEnv(extra: Record<string, string> = {}): Env {
  return loadEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_REQUESTS: 'false',
    BACKGROUND_SERVICES: 'false',
    RATE_LIMIT_COST_PER_MINUTE: '0',
    RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: '0',
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...extra,
  });
}

/** What every server process under measurement runs with: production, no request log, no budgets. */
export const MEASURED_SERVER_VARS = {
  NODE_ENV: 'production',
  // The product's default; the tests' harness polls every 200 ms to be quick, and an idle
  // process's poll is part of what a benchmark measures per request.
  OUTBOX_POLL_MS: '1000',
  LOG_REQUESTS: 'false',
  RATE_LIMIT_COST_PER_MINUTE: '0',
  RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: '0',
};

/**
 * The variables of a `flowplane serve all` child process under measurement (what `benchEnv`
 * sets, but background services as `extra` says): SQLite files in `dir`, or PostgreSQL
 * (DATABASE_URL) under the schema prefix `prefix`.
 */
export function serveAllVars(
  database: 'sqlite' | 'postgresql',
  dir: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...MEASURED_SERVER_VARS,
    BACKGROUND_SERVICES: 'false',
    DATA_DIR: dir,
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...(database === 'postgresql'
      ? { DATABASE_URL: process.env.DATABASE_URL!, DATABASE_SCHEMA_PREFIX: prefix }
      : {}),
    ...extra,
  };
}

/** The machine a benchmark ran on: cores, CPU model, memory and Node's version. */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export const DURATION = Number(flag('duration', '10'));
export const RUNS = Number(flag('runs', '3'));
export const CONNECTIONS = Number(flag('connections', '16'));

export interface Sample {
  rps: number;
  /** Requests completed in the run. */
  total: number;
  /** CPU milliseconds the metered processes spent per request (when metering). */
  cpuMsPerRequest?: number;
  /** The same for the other processes metered alongside (say, the subgraphs behind it). */
  otherCpuMsPerRequest?: number;
  /** The same for each of the other processes, in the order given. */
  eachOtherCpuMsPerRequest?: number[];
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Responses whose body differed from the expected one (checked runs only). */
  mismatches: number;
}

export interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  samples: Sample[];
  /** Median CPU milliseconds per request of the metered processes (gateway under test). */
  cpuMsPerRequest?: number;
  /** Median CPU milliseconds per request of the processes behind it. */
  otherCpuMsPerRequest?: number;
  /** The same for each of them, in the order given. */
  eachOtherCpuMsPerRequest?: number[];
}

/**
 * One autocannon run. With `expectBody`, every response body must equal it (counted in
 * `mismatches`); that slows the load generator, so only the warm-up run checks bodies.
 */
export async function autocannon(
  url: string,
  body: string,
  token: string,
  expectBody?: string,
  connections = CONNECTIONS,
): Promise<Sample> {
  const { stdout } = await run(
    process.execPath,
    [
      AUTOCANNON,
      '--json',
      '-c',
      String(connections),
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
      ...(expectBody ? ['--expectBody', expectBody] : []),
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout);
  return {
    rps: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    mismatches: r.mismatches ?? 0,
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const CLOCK_TICK_MS = 10; // Linux USER_HZ is 100

/** One process's parent and CPU milliseconds so far (user, system), from /proc/<pid>/stat. */
export function procStat(pid: number | string): { ppid: number; userMs: number; systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state ppid … utime(14) stime(15).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(f[1]),
    userMs: Number(f[11]) * CLOCK_TICK_MS,
    systemMs: Number(f[12]) * CLOCK_TICK_MS,
  };
}

/**
 * CPU milliseconds (user + system) a process and all its descendants have used so far, from
 * /proc (Linux). Benchmarks meter the process under test with it: CPU per request compares two
 * servers even when the machine's other processes (load generator, subgraphs) share its cores.
 */
export function processTreeCpuMs(rootPid: number): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { ppid, userMs, systemMs } = procStat(entry);
      cpu.set(Number(entry), userMs + systemMs);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(entry));
    } catch {
      /* the process ended meanwhile */
    }
  }
  let total = 0;
  const todo = [rootPid];
  while (todo.length) {
    const pid = todo.pop()!;
    total += cpu.get(pid) ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Checks the query answers without errors, warms up, then takes RUNS samples (medians). With
 * `meterPid`, each sample also records that process tree's CPU time per request.
 */
export async function measure(
  name: string,
  url: string,
  query: string,
  variables: unknown,
  token: string,
  meterPid?: number,
  otherPids: number[] = [],
): Promise<Row> {
  // Fail loudly if the query does not work: a benchmark of errors measures nothing.
  const body = JSON.stringify({ query, variables });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const expected = await res.text();
  const check = JSON.parse(expected) as { data?: unknown; errors?: unknown[] };
  if (!res.ok || check.errors?.length || !check.data)
    throw new Error(`${name}: ${res.status} ${expected.slice(0, 500)}`);
  // The warm-up (JIT, caches) also checks that every answer under load is this one, byte for
  // byte (each server's own serialisation).
  const warm = await autocannon(url, body, token, expected);
  if (warm.mismatches || warm.errors || warm.non2xx)
    throw new Error(
      `${name}: under load ${warm.mismatches} answers differed from ${expected.slice(0, 200)}, ${warm.errors} errors, ${warm.non2xx} non-2xx`,
    );
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = meterPid ? processTreeCpuMs(meterPid) : 0;
    const eachBefore = otherPids.map(processTreeCpuMs);
    const sample = await autocannon(url, body, token);
    if (meterPid) sample.cpuMsPerRequest = (processTreeCpuMs(meterPid) - before) / sample.total;
    if (otherPids.length) {
      sample.eachOtherCpuMsPerRequest = otherPids.map(
        (pid, i) => (processTreeCpuMs(pid) - eachBefore[i]!) / sample.total,
      );
      sample.otherCpuMsPerRequest = sample.eachOtherCpuMsPerRequest.reduce((a, b) => a + b, 0);
    }
    samples.push(sample);
  }
  const bad = samples.reduce((n, s) => n + s.errors + s.non2xx, 0);
  if (bad) throw new Error(`${name}: ${bad} failed requests`);
  const row = {
    name,
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    samples,
    ...(meterPid ? { cpuMsPerRequest: median(samples.map((s) => s.cpuMsPerRequest!)) } : {}),
    ...(otherPids.length
      ? {
          otherCpuMsPerRequest: median(samples.map((s) => s.otherCpuMsPerRequest!)),
          eachOtherCpuMsPerRequest: otherPids.map((_, i) =>
            median(samples.map((s) => s.eachOtherCpuMsPerRequest![i]!)),
          ),
        }
      : {}),
  };
  const cpu =
    (row.cpuMsPerRequest ? `, ${row.cpuMsPerRequest.toFixed(3)} CPU ms/request` : '') +
    (row.otherCpuMsPerRequest ? ` (+ ${row.otherCpuMsPerRequest.toFixed(3)} behind it)` : '');
  console.log(`${name}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms${cpu}`);
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
