import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlRequest } from '../harness/client.js';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../harness/processes.js';
import { DATABASE_URL, requireService, testDatabase } from '../harness/services.js';
import { dropSchemas, uid } from '../harness/stack.js';
import { connectWs, type Collector, type WsConnection } from '../harness/ws.js';

/**
 * Two gateways and the four subgraphs as six OS processes on one Redis (issue 5, scale-out): a
 * run changed through gateway A reaches a subscriber on gateway B in order, exactly once; a key
 * revoked through A closes B's socket; SIGTERM closes B's sockets with 1001.
 */
const enabled = requireService('REDIS_URL');
const dir = mkdtempSync(join(tmpdir(), 'flowplane-subs-'));
const schemaPrefix = `t_${uid(4)}_`;
const procs: ServiceProcess[] = [];
/** Six processes start at once: on a busy two-core machine that takes a while. */
const START_TIMEOUT_MS = 150_000;
const sockets: WsConnection[] = [];
let gatewayA: ServiceProcess;
let gatewayB: ServiceProcess;
let token = '';
let workspaceId = '';
let deploymentId = '';

/** A call as the test's user (anonymous until signed up). */
const gql = (url: string, query: string, variables?: Record<string, unknown>) =>
  gqlRequest(url, query, variables, token || undefined);

async function ok(url: string, query: string, variables?: Record<string, unknown>) {
  const res = await gql(url, query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data;
}

const RUN_EVENTS = `subscription($w: ID!, $f: FlowRunEventFilter) {
  flowRunEvents(workspaceId: $w, filter: $f) { id to flowRun { id deployment { id } } }
}`;

beforeAll(async () => {
  if (!enabled) return;
  const subgraphs = await spawnSubgraphs({
    dir,
    schemaPrefix,
    postgres: testDatabase() === 'postgres',
    databaseUrl: DATABASE_URL,
    timeoutMs: START_TIMEOUT_MS,
  });
  procs.push(...subgraphs.processes);
  const env = { ...subgraphs.env, ...subgraphs.urls };
  [gatewayA, gatewayB] = await Promise.all([
    spawnService('gateway', env, subgraphs.unset, START_TIMEOUT_MS),
    spawnService('gateway', env, subgraphs.unset, START_TIMEOUT_MS),
  ]);
  procs.push(gatewayA, gatewayB);

  const handle = `s-${uid()}`;
  const signUp = await gql(
    gatewayA.url,
    `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
    { input: { handle, email: `${handle}@example.test`, password: 'Subscribe-42' } },
  );
  expect(signUp.errors, JSON.stringify(signUp.errors)).toBeUndefined();
  token = signUp.data.signUp.token;
  let accountId = '';
  for (let i = 0; i < 100 && !accountId; i++) {
    const me = await gql(gatewayA.url, `{ me { accounts { id } } }`);
    accountId = me.data?.me?.accounts?.[0]?.id ?? '';
    if (!accountId) await new Promise((r) => setTimeout(r, 100));
  }
  const ws = await ok(
    gatewayA.url,
    `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
    { input: { accountId, handle: 'live', name: 'Live' } },
  );
  workspaceId = ws.createWorkspace.id;
  const flow = await ok(
    gatewayA.url,
    `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`,
    { input: { workspaceId, name: 'etl' } },
  );
  const dep = await ok(
    gatewayA.url,
    `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
    { input: { flowId: flow.createFlow.id, name: 'nightly' } },
  );
  deploymentId = dep.createDeployment.id;
}, 3 * START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose().catch(() => undefined)));
  await Promise.all(procs.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
  if (enabled && testDatabase() === 'postgres') await dropSchemas(schemaPrefix);
});

async function open(url: string, credential = token): Promise<WsConnection> {
  const conn = await connectWs(url, { authorization: `Bearer ${credential}` });
  sockets.push(conn);
  return conn;
}

const createRun = async () =>
  (
    await ok(
      gatewayA.url,
      `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`,
      { input: { deploymentId } },
    )
  ).createFlowRun.id as string;

/**
 * Another process cannot tell when its subscription is registered: create runs through A until
 * the subscriber sees one (each is a real event, filtered out of the assertions by run id).
 */
async function untilLive(subs: Collector[]): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const probe = await createRun();
    const seen = () =>
      subs.every((s) => s.results.some((r) => r.data?.flowRunEvents.flowRun.id === probe));
    for (let j = 0; j < 10 && !seen(); j++) await new Promise((r) => setTimeout(r, 100));
    if (seen()) return;
  }
  throw new Error('the subscriptions never went live');
}

const eventsOf = (sub: Collector, runId: string) =>
  sub.results.map((r) => r.data!.flowRunEvents).filter((e) => e.flowRun.id === runId);

describe.skipIf(!enabled)('subscriptions across gateway instances (Redis)', () => {
  it('a run changed through gateway A reaches subscribers on B (and A) in order, exactly once', async () => {
    const onB = (await open(gatewayB.url)).subscribe(RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    const onA = (await open(gatewayA.url)).subscribe(RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    await untilLive([onB, onA]);
    const runId = await createRun();
    for (const type of ['PENDING', 'RUNNING', 'COMPLETED']) {
      const res = await ok(
        gatewayA.url,
        `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
        { input: { flowRunId: runId, state: { type } } },
      );
      expect(res.setFlowRunState.status).toBe('ACCEPT');
    }
    // A later run's first event marks the end: anything of the first run would come before it.
    const sentinel = await createRun();
    for (const sub of [onB, onA]) {
      for (let i = 0; i < 100 && !eventsOf(sub, sentinel).length; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(eventsOf(sub, sentinel).length).toBe(1);
      const mine = eventsOf(sub, runId);
      expect(mine.map((e) => e.to)).toEqual(['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED']);
      expect(new Set(mine.map((e) => e.id)).size).toBe(4);
      expect(mine[0]!.flowRun.deployment.id).toBe(deploymentId);
    }
    expect(eventsOf(onB, runId).map((e) => e.id)).toEqual(eventsOf(onA, runId).map((e) => e.id));
  });

  it('a key revoked through gateway A closes its socket on gateway B with 4403', async () => {
    const created = await ok(
      gatewayA.url,
      `mutation { createApiKey(input: { name: "b" }) { key apiKey { id } } }`,
    );
    const conn = await open(gatewayB.url, created.createApiKey.key);
    const sub = conn.subscribe(RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    await untilLive([sub]);
    await ok(gatewayA.url, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
      id: created.createApiKey.apiKey.id,
    });
    expect((await conn.closedWithin()).code).toBe(4403);
  });

  it('SIGTERM closes gateway B’s sockets with 1001 and exits 0', async () => {
    const conn = await open(gatewayB.url);
    const sub = conn.subscribe(RUN_EVENTS, {
      w: workspaceId,
      f: { deploymentIds: [deploymentId] },
    });
    await untilLive([sub]);
    const exit = new Promise<number | null>((r) => gatewayB.child.once('exit', (code) => r(code)));
    gatewayB.child.kill('SIGTERM');
    expect(await conn.closedWithin()).toEqual({ code: 1001, reason: 'Going away' });
    expect(await exit, gatewayB.output.join('').slice(-2000)).toBe(0);
  });
});
