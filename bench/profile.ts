/**
 * CPU profile of the embedded stack under load: `node --cpu-prof` on this script, autocannon in
 * a child process. npm run bench:profile [-- four|me] → prints the hottest functions (self time).
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadEnv } from '../lib/env.js';
import { startEmbedded } from '../server/services.js';
import { FOUR, ME, seed } from './scenarios.js';
import { printProfile } from './profile-report.js';

const run = promisify(execFile);
const AUTOCANNON = fileURLToPath(
  new URL('../node_modules/autocannon/autocannon.js', import.meta.url),
);

const which = process.argv[2] ?? 'four';
const dir = mkdtempSync(join(tmpdir(), 'flowplane-profile-'));
const env = loadEnv({
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: dir,
  NODE_ENV: 'production',
  LOG_REQUESTS: 'false',
  RATE_LIMIT_COST_PER_MINUTE: '0',
  BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
});
const stack = await startEmbedded(env);
const url = `http://127.0.0.1:${stack.port}/graphql`;
const s = await seed(url);
const body = JSON.stringify(
  which === 'me' ? { query: ME } : { query: FOUR, variables: { id: s.workspaceId } },
);
const args = [
  AUTOCANNON,
  '--json',
  '-c',
  '16',
  '-d',
  '8',
  '-m',
  'POST',
  '-H',
  'content-type=application/json',
  '-H',
  `authorization=Bearer ${s.token}`,
  '-b',
  body,
  url,
];
await run(process.execPath, args); // warm-up
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 26 });
const { profile } = await session.post('Profiler.stop');
console.log(`${which}: ${JSON.parse(stdout).requests.average} req/s while profiling`);
printProfile(profile, { busyOnly: true });
const saved = join(tmpdir(), `flowplane-${which}.cpuprofile`);
writeFileSync(saved, JSON.stringify(profile));
console.log(`\nprofile saved to ${saved} (Chrome DevTools or speedscope open it)`);
await stack.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
