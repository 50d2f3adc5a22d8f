/**
 * What one small request costs a subgraph process over HTTP (the distributed mode, where the
 * 100-run page of goal 5 spends half its subgraph CPU in two one-row requests):
 *   npm run bench:subgraph-floor [-- --duration 5 --runs 3]
 * The four subgraphs and a gateway run as separate processes on PostgreSQL (Redis bus); users
 * `_entities` of one user's handle (what the page asks for its runs' creator) goes straight to
 * the users subgraph with an internal token signed as the gateway signs them, from 1 and from
 * 16 connections (`--connection-counts`): CPU per request of the subgraph's process (user and
 * system time from /proc). First, the idle CPU of each process per second.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalTokens } from '../lib/internal-token.js';
import { spawnService, spawnSubgraphs } from '../tests/harness/processes.js';
import { dropSchemas } from '../tests/harness/stack.js';
import { autocannon, flag, machine, median, MEASURED_SERVER_VARS, procStat, RUNS } from './load.js';
import { seed } from './scenarios.js';

const CONNECTIONS = flag('connection-counts', '1,16').split(',').map(Number);

async function main() {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL)
    throw new Error('bench:subgraph-floor needs DATABASE_URL and REDIS_URL');
  const dir = mkdtempSync(join(tmpdir(), 'fp-floor-'));
  const prefix = `bench_sfloor_${randomBytes(3).toString('hex')}_`;
  const subgraphs = await spawnSubgraphs({
    dir,
    schemaPrefix: prefix,
    postgres: true,
    databaseUrl: process.env.DATABASE_URL,
    env: { ...MEASURED_SERVER_VARS, BACKGROUND_SERVICES: 'false' },
    timeoutMs: 180_000,
  });
  const gateway = await spawnService(
    'gateway',
    { ...subgraphs.env, ...subgraphs.urls, ...MEASURED_SERVER_VARS },
    subgraphs.unset,
    180_000,
  );
  const procs = [...subgraphs.processes, gateway];
  try {
    console.log(`${new Date().toISOString()} — ${machine()}`);
    const names = ['users', 'workspaces', 'access', 'operations', 'gateway'];
    const cpuMs = (pid: number) => {
      const { userMs, systemMs } = procStat(pid);
      return userMs + systemMs;
    };
    const before = procs.map((p) => cpuMs(p.child.pid!));
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = procs.map((p, i) => (cpuMs(p.child.pid!) - before[i]!) / 10);
    console.log(`idle CPU ms/s: ${names.map((n, i) => `${n} ${idle[i]!.toFixed(0)}`).join(', ')}`);

    const s = await seed(gateway.url);
    const me = (await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    }).then((r) => r.json())) as { data: { me: { id: string } } };
    const userId = me.data.me.id;
    // The claims the gateway would send for this user (its grants read from the access subgraph
    // are left out: neither request below needs them).
    const tokens = new InternalTokens(subgraphs.env.INTERNAL_TOKEN_SECRET!, 3600);
    const token = tokens.sign({
      principal: { type: 'user', id: userId },
      grants: { accounts: {}, workspaces: {} },
    });
    const url = subgraphs.urls.USERS_URL!;
    const body = JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { handle } } }',
      variables: { r: [{ __typename: 'User', id: userId }] },
    });
    const expected = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    }).then((r) => r.text());
    if (!expected.includes('"handle"') || expected.includes('"errors"'))
      throw new Error(`users _entities: ${expected.slice(0, 300)}`);
    const pid = procs[0]!.child.pid!;
    console.log(
      '\n| users `_entities` of one handle: connections | requests/s | CPU ms/request (user + system) |',
    );
    console.log('|---:|---:|---:|');
    for (const connections of CONNECTIONS) {
      await autocannon(url, body, token, expected, connections);
      const rows: { rps: number; user: number; system: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        const a = procStat(pid);
        const sample = await autocannon(url, body, token, undefined, connections);
        const b = procStat(pid);
        rows.push({
          rps: sample.rps,
          user: (b.userMs - a.userMs) / sample.total,
          system: (b.systemMs - a.systemMs) / sample.total,
        });
      }
      const [rps, user, system] = [
        median(rows.map((r) => r.rps)),
        median(rows.map((r) => r.user)),
        median(rows.map((r) => r.system)),
      ];
      console.log(
        `| ${connections} | ${rps.toFixed(0)} | ${(user + system).toFixed(3)} (${user.toFixed(3)} + ${system.toFixed(3)}) |`,
      );
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas(prefix);
  }
}

await main();
process.exit(0);
