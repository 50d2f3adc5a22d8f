/**
 * CPU profile of run orchestration in the embedded stack: 8 in-process clients loop
 * createFlowRun → PENDING → RUNNING → COMPLETED through the gateway's HTTP endpoint while the
 * inspector samples. npm run bench:profile:orchestration → hottest packages and functions.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { loadEnv } from '../lib/env.js';
import { startEmbedded } from '../server/services.js';
import { gqlRequest } from '../tests/harness/client.js';
import { printProfile } from './profile-report.js';

const SECONDS = Number(process.argv[2] ?? '8');
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
const handle = `prof-${randomBytes(3).toString('hex')}`;
const up = await gqlRequest(url, `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
  i: { handle, email: `${handle}@example.test`, password: 'Bench-Mark-123' },
});
const token = up.data.signUp.token as string;
const call = async (query: string, variables?: Record<string, unknown>) => {
  const res = await gqlRequest(url, query, variables, token);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
};
let accountId = '';
while (!accountId) accountId = (await call(`{ me { accounts { id } } }`)).me.accounts[0]?.id ?? '';
const workspaceId = (
  await call(`mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }`, {
    i: { accountId, handle: 'prof', name: 'Profile' },
  })
).createWorkspace.id;
const flowId = (
  await call(`mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }`, {
    i: { workspaceId, name: 'prof' },
  })
).createFlow.id;
const deploymentId = (
  await call(`mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id } }`, {
    i: { flowId, name: 'prof' },
  })
).createDeployment.id;

async function loop(seconds: number): Promise<number> {
  let transitions = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        const id = (
          await call(`mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`, {
            i: { deploymentId },
          })
        ).createFlowRun.id;
        for (const type of ['PENDING', 'RUNNING', 'COMPLETED']) {
          await call(
            `mutation($i: SetFlowRunStateInput!) { setFlowRunState(input: $i) { status } }`,
            { i: { flowRunId: id, state: { type } } },
          );
          transitions++;
        }
      }
    }),
  );
  return transitions / seconds;
}

await loop(2); // warm-up
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const rate = await loop(SECONDS);
const { profile } = await session.post('Profiler.stop');
console.log(`orchestration: ${rate.toFixed(0)} transitions/s while profiling (clients in-process)`);
printProfile(profile);
await stack.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
