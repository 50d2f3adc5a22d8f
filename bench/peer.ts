/**
 * Our gateway against a peer gateway we did not write, on the same four subgraph processes, in
 * one run with the baselines: the users subgraph queried directly (with a minted internal
 * token) and our gateway in embedded mode (`serve all` on SQLite files of its own, same data):
 *   npm run bench:peer [-- --duration 10 --runs 3 --connections 16]
 * The peer is GraphQL Hive Gateway (`@graphql-hive/gateway`), installed outside the project
 * (it is not a dependency of Flowplane), with one transitive version pinned so it runs on Node 20:
 *   mkdir -p /work/peer && echo '{"private":true,"overrides":
 *     {"@graphql-hive/render-laboratory":"0.1.17"}}' > /work/peer/package.json
 *   npm i -E --prefix /work/peer @graphql-hive/gateway@2.15.1
 * and found through HIVE_GATEWAY_DIR (default /work/peer). It serves the same supergraph
 * (subgraph URLs rewritten to the running processes), runs as one process like ours, and
 * forwards the client's `Authorization` header to the subgraphs; its clients send a minted
 * internal token there, so the peer does no authentication of its own while ours resolves an
 * API key (cached) and signs a token per request. Both run with NODE_ENV=production.
 * Each row also meters CPU per request (from /proc) of the gateway and of the four subgraph
 * processes behind it. Both gateways share identical in-flight subgraph fetches by default
 * (Hive's HTTP executor does, ours too); `--dedupe false` turns that off in both.
 * `--profile DIR` runs our gateway and the subgraphs under `node --cpu-prof` and prints each
 * one's hottest functions when they stop (the profiles stay in DIR).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../lib/bus.js';
import { InternalTokens } from '../lib/internal-token.js';
import { Authenticator } from '../gateway/src/auth/authenticator.js';
import { SUPERGRAPH_PATH } from '../gateway/src/gateway.js';
import { HttpTransport, SUBGRAPH_NAMES, type SubgraphName } from '../gateway/src/transport.js';
import { gqlRequest } from '../tests/harness/client.js';
import { spawnService, type ServiceProcess } from '../tests/harness/processes.js';
import { CONNECTIONS, DURATION, flag, measure, RUNS, type Row } from './load.js';
import { FOUR, ME, RUNS_100, seed } from './scenarios.js';
import { printProfile } from './profile-report.js';

const HIVE_DIR = process.env.HIVE_GATEWAY_DIR ?? '/work/peer';
const HIVE_BIN = join(HIVE_DIR, 'node_modules/@graphql-hive/gateway/dist/bin.js');
const ONLY = flag('only', '');
const PROFILE_DIR = flag('profile', '');
/** `--dedupe false`: neither gateway shares identical in-flight subgraph fetches. */
const DEDUPE = flag('dedupe', 'true') !== 'false';

const HIVE_CONFIG = `export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get('authorization') ?? undefined,
    }),
  },
  transportEntries: {
    '*.http': { options: { deduplicateInflightRequests: ${DEDUPE} } },
  },
  logging: 'error',
};
`;

/** Starts Hive Gateway on `supergraphFile` and waits until it answers a query. */
async function startHive(dir: string, supergraphFile: string, token: string) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const config = join(dir, 'gateway.mjs');
  writeFileSync(config, HIVE_CONFIG);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      HIVE_BIN,
      'supergraph',
      supergraphFile,
      '--port',
      String(port),
      '--fork',
      '1',
      '--config-path',
      config,
    ],
    {
      cwd: dir,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    const res = await gqlRequest(url, ME, {}, token).catch(() => null);
    if (res?.data) return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`Hive Gateway did not start:\n${output.join('')}`);
}

/** Prints the profile each process wrote into `dir` when it stopped (file names carry the pid). */
function printProfiles(dir: string, services: { name: string; pid: number }[]): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const { name, pid } of services) {
    const file = files.find((f) => f.split('.')[3] === String(pid));
    if (!file) {
      console.log(`\n${name}: no profile in ${dir}`);
      continue;
    }
    console.log(`\n== ${name} (${join(dir, file)})`);
    printProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), { busyOnly: true });
  }
}

async function main() {
  if (!process.env.REDIS_URL)
    throw new Error('REDIS_URL must be set: the four subgraph processes share domain events');
  if (!existsSync(HIVE_BIN))
    throw new Error(
      `Hive Gateway not found at ${HIVE_BIN}: npm i -E --prefix ${HIVE_DIR} @graphql-hive/gateway@2.15.1`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'flowplane-peer-'));
  const procs: (ServiceProcess | { stop(): unknown })[] = [];
  const rows: Row[] = [];
  const want = (n: string) => !ONLY || n.includes(ONLY);
  const secret = randomBytes(32).toString('hex');
  const env: Record<string, string> = {
    INTERNAL_TOKEN_SECRET: secret,
    DATA_DIR: join(dir, 'data'),
    REDIS_PREFIX: `fp-peer-${randomBytes(3).toString('hex')}`,
    NODE_ENV: 'production',
    LOG_REQUESTS: 'false',
    RATE_LIMIT_COST_PER_MINUTE: '0',
    RATE_LIMIT_ACCOUNT_COST_PER_MINUTE: '0',
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const profiled: { name: string; pid: number }[] = [];
  try {
    const subs = await Promise.all(
      SUBGRAPH_NAMES.map((n) => spawnService(n, env, ['DATABASE_URL'], 60_000, profileArgs)),
    );
    procs.push(...subs);
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [n, subs[i]!.url])) as Record<
      SubgraphName,
      string
    >;
    const ours = await spawnService(
      'gateway',
      {
        ...env,
        USERS_URL: urls.users,
        WORKSPACES_URL: urls.workspaces,
        ACCESS_URL: urls.access,
        OPERATIONS_URL: urls.operations,
        GATEWAY_DEDUPE_QUERIES: String(DEDUPE),
      },
      ['DATABASE_URL'],
      60_000,
      profileArgs,
    );
    procs.push(ours);
    for (const p of [ours, ...subs]) profiled.push({ name: p.name, pid: p.child.pid! });
    const s = await seedWithRuns(ours.url);

    // The peer's clients carry an internal token for the same principal and grants.
    const tokens = new InternalTokens(secret, 3600);
    const auth = new Authenticator(new HttpTransport(urls), tokens, new InProcessBus(), 0, 3600);
    const identity = await auth.authenticate(s.token);
    auth.close();
    const internal = tokens.sign(identity);

    let sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
    for (const n of SUBGRAPH_NAMES)
      sdl = sdl.replace(`http://${n}.flowplane.internal/graphql`, urls[n]);
    const supergraphFile = join(dir, 'supergraph.graphql');
    writeFileSync(supergraphFile, sdl);
    const hive = await startHive(dir, supergraphFile, internal);
    procs.push(hive);

    // Our gateway in embedded mode, in one more process: `serve all` with its own in-process
    // bus, on SQLite files of its own (one process per data folder), seeded the same way.
    const embedded = await spawnService(
      'all',
      {
        ...env,
        DATA_DIR: join(dir, 'embedded'),
        BACKGROUND_SERVICES: 'false',
        GATEWAY_DEDUPE_QUERIES: String(DEDUPE),
      },
      ['DATABASE_URL', 'REDIS_URL'],
    );
    procs.push(embedded);
    const e = await seedWithRuns(embedded.url);

    // The baseline of the single-subgraph query: `me` straight to the users subgraph.
    if (want('me') || want('direct'))
      rows.push(
        await measure(
          'users subgraph direct: me',
          urls.users,
          ME,
          {},
          internal,
          subs[0]!.child.pid,
        ),
      );
    const scenarios: [string, string, Record<string, unknown>][] = [
      ['me', ME, {}],
      ['four subgraphs', FOUR, { id: s.workspaceId }],
      ['100 flow runs', RUNS_100, { id: s.workspaceId }],
    ];
    for (const [name, query, vars] of scenarios) {
      if (!want(name)) continue;
      const behind = subs.map((p) => p.child.pid!);
      const targets: [string, string, string, number, number[]][] = [
        ['flowplane gateway', ours.url, s.token, ours.child.pid!, behind],
        ['hive gateway', hive.url, internal, hive.pid, behind],
        ['flowplane embedded', embedded.url, e.token, embedded.child.pid!, []],
      ];
      for (const [label, url, token, pid, others] of targets) {
        // The embedded stack has its own workspace (same shape).
        const v = label === 'flowplane embedded' && 'id' in vars ? { id: e.workspaceId } : vars;
        rows.push(await measure(`${label}: ${name}`, url, query, v, token, pid, others));
      }
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
  if (PROFILE_DIR) printProfiles(PROFILE_DIR, profiled);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  console.log(
    `\n${new Date().toISOString()} — ${machine}; ${CONNECTIONS} connections, ${RUNS} runs × ${DURATION} s, medians; in-flight dedupe ${DEDUPE ? 'on' : 'off'}\n`,
  );
  console.log(
    '| scenario | req/s | p50 ms | p99 ms | gateway CPU ms/request | subgraphs CPU ms/request |\n|---|---:|---:|---:|---:|---:|',
  );
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.cpuMsPerRequest?.toFixed(3) ?? ''} | ${r.otherCpuMsPerRequest?.toFixed(3) ?? ''} |`,
    );
  const rps = (name: string) => rows.find((r) => r.name === name)?.rps;
  console.log('\nratios:');
  for (const q of ['me', 'four subgraphs', '100 flow runs']) {
    const ours = rps(`flowplane gateway: ${q}`);
    const peer = rps(`hive gateway: ${q}`);
    if (ours && peer) console.log(`- ${q}: flowplane / hive = ${(ours / peer).toFixed(2)}`);
  }
  const direct = rps('users subgraph direct: me');
  const embeddedMe = rps('flowplane embedded: me');
  if (direct && embeddedMe)
    console.log(`- me: embedded / direct subgraph = ${(embeddedMe / direct).toFixed(2)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/** The scenarios' data through `url`: a user, a workspace of 10 flows, and 100 flow runs. */
async function seedWithRuns(url: string) {
  const s = await seed(url);
  const flows = await gqlRequest(
    url,
    `query($id: ID!) { workspace(id: $id) { flows(first: 10) { edges { node { id } } } } }`,
    { id: s.workspaceId },
    s.token,
  );
  const flowIds = flows.data.workspace.flows.edges.map((f: any) => f.node.id as string);
  for (let i = 0; i < 100; i++) {
    const r = await gqlRequest(
      url,
      `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`,
      { i: { flowId: flowIds[i % flowIds.length], tags: ['bench'] } },
      s.token,
    );
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  }
  return s;
}
