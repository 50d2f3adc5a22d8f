/**
 * Load benchmark: autocannon (in its own process) against loopback.
 *   npm run bench [-- --duration 10 --runs 3 --connections 16 --only me --dedupe false]
 * Scenarios: `me` and a four-subgraph query through the gateway in embedded and distributed
 * mode, and `me` sent straight to the users subgraph (with a minted internal token) as the
 * baseline. Prints a markdown table of medians; raw runs go to bench/results/.
 */
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { loadEnv } from '../lib/env.js';
import { listen, closeServer } from '../lib/http.js';
import { InternalTokens } from '../lib/internal-token.js';
import { startEmbedded } from '../server/services.js';
import { spawnService, type ServiceProcess } from '../tests/harness/processes.js';
import { FOUR, ME, seed } from './scenarios.js';
import { CONNECTIONS, DURATION, flag, measure, RUNS } from './load.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const ONLY = flag('only', '');
/** `--dedupe false`: the gateways do not share identical in-flight subgraph fetches. */
const DEDUPE = flag('dedupe', 'true');

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  const rows = [];
  const dir = mkdtempSync(join(tmpdir(), 'flowplane-bench-'));
  const want = (n: string) => !ONLY || n.includes(ONLY);
  try {
    // Embedded: gateway + subgraphs in this process, SQLite files.
    const env = loadEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'embedded'),
      NODE_ENV: 'production',
      // Throughput, not limiting, is measured: per-request log lines and rate limits are off.
      LOG_REQUESTS: 'false',
      RATE_LIMIT_COST_PER_MINUTE: '0',
      BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      GATEWAY_DEDUPE_QUERIES: DEDUPE,
    });
    const embedded = await startEmbedded(env);
    const url = `http://127.0.0.1:${embedded.port}/graphql`;
    const s = await seed(url);
    if (want('me')) rows.push(await measure('embedded gateway: me', url, ME, {}, s.token));
    if (want('four'))
      rows.push(
        await measure(
          'embedded gateway: four subgraphs',
          url,
          FOUR,
          { id: s.workspaceId },
          s.token,
        ),
      );
    if (want('direct')) {
      const users = embedded.subgraphs.users!;
      const server = users.httpServer();
      const port = await listen(server, 0, '127.0.0.1');
      const identity = await embedded.gateway!.auth.authenticate(s.token);
      const tokens = new InternalTokens(env.internalTokenSecret, 3600);
      const internal = tokens.sign(identity);
      rows.push(
        await measure(
          'users subgraph direct: me',
          `http://127.0.0.1:${port}/graphql`,
          ME,
          {},
          internal,
        ),
      );
      await closeServer(server);
    }
    await embedded.stop();

    // Distributed: five processes over HTTP (and Redis for domain events when REDIS_URL is set).
    if (want('distributed') || want('me') || want('four')) {
      const procs: ServiceProcess[] = [];
      const denv: Record<string, string> = {
        INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex'),
        DATA_DIR: join(dir, 'distributed'),
        REDIS_PREFIX: `fp-bench-${randomBytes(3).toString('hex')}`,
        NODE_ENV: 'production',
        // Throughput, not limiting, is measured: per-request log lines and rate limits are off.
        LOG_REQUESTS: 'false',
        RATE_LIMIT_COST_PER_MINUTE: '0',
        BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        GATEWAY_DEDUPE_QUERIES: DEDUPE,
      };
      const unset = ['DATABASE_URL'];
      if (!process.env.REDIS_URL)
        console.log('note: REDIS_URL unset; distributed sign-up provisioning needs it');
      try {
        const subs = await Promise.all(
          ['users', 'workspaces', 'access', 'operations'].map((n) => spawnService(n, denv, unset)),
        );
        procs.push(...subs);
        const gw = await spawnService(
          'gateway',
          {
            ...denv,
            USERS_URL: subs[0]!.url,
            WORKSPACES_URL: subs[1]!.url,
            ACCESS_URL: subs[2]!.url,
            OPERATIONS_URL: subs[3]!.url,
          },
          unset,
        );
        procs.push(gw);
        const d = await seed(gw.url);
        if (want('me') || want('distributed'))
          rows.push(await measure('distributed gateway: me', gw.url, ME, {}, d.token));
        if (want('four') || want('distributed')) {
          rows.push(
            await measure(
              'distributed gateway: four subgraphs',
              gw.url,
              FOUR,
              { id: d.workspaceId },
              d.token,
            ),
          );
        }
      } finally {
        await Promise.all(procs.map((p) => p.stop()));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const stamp = new Date().toISOString();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  writeFileSync(
    join(RESULTS, `${stamp.replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ stamp, machine, DURATION, RUNS, CONNECTIONS, rows }, null, 2),
  );
  console.log(
    `\n${stamp} — ${machine}; ${CONNECTIONS} connections, ${RUNS} runs × ${DURATION} s, medians\n`,
  );
  console.log('| scenario | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} |`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
