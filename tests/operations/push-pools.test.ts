import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgres } from '../../lib/db.js';
import { startTwoOperations, type TwoInstances } from '../harness/two-instances.js';
import { FlowRunCredential } from '../../subgraphs/operations/src/push-pools/push-entities.js';
import { pushService } from '../../subgraphs/operations/src/push-pools/push.service.js';
import { createWorkspace } from '../harness/seed.js';
import { requireService, testDatabase } from '../harness/services.js';
import { everyStatement, startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { operations } from './automation-fixtures.js';
import { createDeployment, createFlow, createRun, FLOW_RUN, ok, setState } from './fixtures.js';
import {
  createPushPool,
  PUSH_SECRET,
  pushOnce,
  pushReceiver,
  verifySignature,
} from './push-fixtures.js';

const TEMPLATE = {
  job_configuration: { image: '{{ image }}', memory: '{{ memory }}' },
  variables: {
    type: 'object',
    properties: {
      image: { type: 'string', default: 'python:3.11' },
      memory: { type: 'integer', minimum: 128, default: 512 },
    },
  },
};

let stack: Stack;
let alice: Actor;
let ws: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack({
    env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', PUSH_CREDENTIAL_GRACE_SECONDS: '0' },
  });
  alice = await stack.signUp();
  ws = (await createWorkspace(alice, alice.accountId)).id;
});

afterAll(async () => {
  for (const c of closers) await c();
  await stack?.stop();
});

async function receiver(answer?: Parameters<typeof pushReceiver>[1]) {
  const r = await pushReceiver(PUSH_SECRET, answer);
  closers.push(r.close);
  return r;
}

/** A deployment on a fresh webhook push pool that POSTs to `url`, and one run of it. */
async function pushedRun(url: string, pool: Record<string, unknown> = {}, jobVariables = {}) {
  const p = await createPushPool(
    alice,
    ws,
    `push-${uid(3)}`,
    { url: `${url}/jobs`, signingSecret: PUSH_SECRET, ...pool },
    { baseJobTemplate: TEMPLATE },
  );
  const flow = await createFlow(alice, ws);
  const d = await createDeployment(alice, flow.id, {
    workPoolId: p.id,
    jobVariables,
    parameters: { n: 3 },
  });
  const run = await createRun(alice, { deploymentId: d.id });
  return { pool: p, flow, deployment: d, run };
}

const RUN = `query($id: ID!) { flowRun(id: $id) { id stateType stateName infrastructureId state { message } } }`;

describe('webhook push pools', () => {
  it('configures a pool: READY with no worker, the signing secret is never readable, bad settings name the field', async () => {
    const p = await createPushPool(alice, ws, `push-${uid(3)}`, {
      url: 'https://jobs.example.test/run',
      cancelUrl: 'https://jobs.example.test/cancel',
      signingSecret: PUSH_SECRET,
    });
    expect(p.status).toBe('READY');
    expect(p.webhookPush).toEqual({
      url: 'https://jobs.example.test/run',
      cancelUrl: 'https://jobs.example.test/cancel',
      maxAttempts: 3,
      retryBaseSeconds: 10,
      signingSecretSet: true,
    });
    expect(JSON.stringify(p)).not.toContain(PUSH_SECRET);

    const bad = async (input: Record<string, unknown>) => {
      const res = await alice.gql(
        `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id } }`,
        { input: { workspaceId: ws, name: `bad-${uid(3)}`, ...input } },
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      return res.errors![0]!.extensions!.field;
    };
    expect(await bad({ type: 'webhook-push' })).toBe('webhookPush');
    expect(await bad({ type: 'webhook-push', webhookPush: { signingSecret: PUSH_SECRET } })).toBe(
      'webhookPush.url',
    );
    expect(
      await bad({
        type: 'webhook-push',
        webhookPush: { url: 'ftp://x.test/', signingSecret: PUSH_SECRET },
      }),
    ).toBe('webhookPush.url');
    expect(
      await bad({
        type: 'webhook-push',
        webhookPush: { url: 'https://x.test/', signingSecret: 'short' },
      }),
    ).toBe('webhookPush.signingSecret');
    expect(
      await bad({
        type: 'process',
        webhookPush: { url: 'https://x.test/', signingSecret: PUSH_SECRET },
      }),
    ).toBe('webhookPush');
  });

  it('refuses job variables the pool’s template does not accept, on create and update, changing nothing', async () => {
    const p = await createPushPool(
      alice,
      ws,
      `push-${uid(3)}`,
      { url: 'https://jobs.example.test/run', signingSecret: PUSH_SECRET },
      { baseJobTemplate: TEMPLATE },
    );
    const flow = await createFlow(alice, ws);
    const name = `dep-${uid(3)}`;
    const res = await alice.gql(
      `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
      { input: { flowId: flow.id, name, workPoolId: p.id, jobVariables: { memory: 64 } } },
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'jobVariables.memory',
    });
    const listed = await ok(
      alice,
      `query($id: ID!) { flow(id: $id) { deployments(first: 10) { totalCount } } }`,
      {
        id: flow.id,
      },
    );
    expect(listed.flow.deployments.totalCount).toBe(0);

    const d = await createDeployment(alice, flow.id, {
      workPoolId: p.id,
      jobVariables: { memory: 1024 },
    });
    const upd = await alice.gql(
      `mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { id } }`,
      { input: { id: d.id, jobVariables: { image: 42 }, tags: ['changed'] } },
    );
    expect(upd.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'jobVariables.image',
    });
    const after = await ok(alice, `query($id: ID!) { deployment(id: $id) { jobVariables tags } }`, {
      id: d.id,
    });
    expect(after.deployment).toEqual({ jobVariables: { memory: 1024 }, tags: [] });
  });

  it('submits a due run once, signed, with its job and a run-scoped credential; the run is PENDING with the infrastructure id', async () => {
    const rcv = await receiver();
    const { pool, flow, deployment, run } = await pushedRun(rcv.url, {}, { memory: 2048 });
    expect(run.stateType).toBe('SCHEDULED');
    await pushOnce(stack);
    await pushOnce(stack);
    expect(rcv.received).toHaveLength(1);
    const job = rcv.received[0]!;
    expect(job.path).toBe('/jobs');
    expect(job.signed).toBe(true);
    expect(job.headers['user-agent']).toBe('flowplane-push/1');
    expect(verifySignature('another-secret-0123456789', job.headers, job.body)).toBe(false);
    expect(job.json).toMatchObject({
      attempt: 1,
      flowRun: { id: run.id, name: run.name },
      flow: { id: flow.id, name: flow.name },
      deployment: { id: deployment.id, name: deployment.name },
      parameters: { n: 3 },
      jobVariables: { image: 'python:3.11', memory: 2048 },
      jobConfiguration: TEMPLATE.job_configuration,
      workPool: { id: pool.id, type: 'webhook-push' },
    });
    const base = stack.url.replace(/\/graphql$/, '');
    expect(job.json.api.url).toBe(`${base}/api/accounts/${alice.accountId}/workspaces/${ws}`);
    expect(job.json.api.key).toMatch(/^fpr_/);
    expect(job.json.env).toEqual({
      PREFECT_API_URL: job.json.api.url,
      PREFECT_API_KEY: job.json.api.key,
      PREFECT__FLOW_RUN_ID: run.id,
    });
    const now = await ok(alice, RUN, { id: run.id });
    expect(now.flowRun).toMatchObject({
      stateType: 'PENDING',
      infrastructureId: `job-${run.id}`,
    });
  });

  it('the credential reports on its run only: states, logs, artifacts, events; nothing of another run (GraphQL and REST), and it ends with the run', async () => {
    const rcv = await receiver();
    const { run, flow } = await pushedRun(rcv.url);
    const other = (await pushedRun(rcv.url)).run;
    await pushOnce(stack);
    const key = rcv.received.find((r) => r.json.flowRun.id === run.id)!.json.api.key as string;
    const job = stack.as(key);

    // Its own run: read, move to RUNNING, log, artifact, event.
    expect((await ok(job, RUN, { id: run.id })).flowRun.id).toBe(run.id);
    expect((await setState(job, run.id, { type: 'RUNNING' })).status).toBe('ACCEPT');
    const logs = await ok(job, `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
      input: {
        workspaceId: ws,
        logs: [
          {
            flowRunId: run.id,
            level: 20,
            message: 'hello from the push',
            timestamp: new Date().toISOString(),
          },
        ],
      },
    });
    expect(logs.writeLogs).toBe(1);
    await ok(
      job,
      `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id } }`,
      {
        input: { workspaceId: ws, type: 'MARKDOWN', data: '# done', flowRunId: run.id },
      },
    );
    await ok(job, `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
      input: {
        workspaceId: ws,
        events: [{ event: 'acme.step.done', resource: { id: `prefect.flow-run.${run.id}` } }],
      },
    });

    // Another run of the same workspace: every way in is refused.
    const refused = async (query: string, variables: Record<string, unknown>) => {
      const res = await job.gql(query, variables);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toMatch(/FORBIDDEN|NOT_FOUND/);
    };
    await refused(RUN, { id: other.id });
    await refused(
      `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
      { input: { flowRunId: other.id, state: { type: 'RUNNING' } } },
    );
    await refused(`mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
      input: {
        workspaceId: ws,
        logs: [
          { flowRunId: run.id, level: 20, message: 'mine', timestamp: new Date().toISOString() },
          {
            flowRunId: other.id,
            level: 20,
            message: 'not mine',
            timestamp: new Date().toISOString(),
          },
        ],
      },
    });
    await refused(
      `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id } }`,
      {
        input: { workspaceId: ws, type: 'MARKDOWN', data: 'x', flowRunId: other.id },
      },
    );
    await refused(`mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
      input: {
        workspaceId: ws,
        events: [{ event: 'acme.step.done', resource: { id: `prefect.flow-run.${other.id}` } }],
      },
    });
    await refused(`query($w: ID!) { workspace(id: $w) { flowRuns(first: 5) { totalCount } } }`, {
      w: ws,
    });
    await refused(`mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`, {
      input: { flowId: flow.id },
    });
    await refused(
      `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id } }`,
      {
        input: { workspaceId: ws, name: `x-${uid(3)}`, type: 'process' },
      },
    );
    // The 'not mine' line was refused with the batch: only the first call's line is stored.
    const stored = await ok(
      alice,
      `query($w: ID!, $run: ID!) { workspace(id: $w) { logs(first: 10, filter: { flowRunId: $run }) { totalCount } } }`,
      { w: ws, run: other.id },
    );
    expect(stored.workspace.logs.totalCount).toBe(0);

    // REST, Prefect's dialect: its run is readable, the other is not.
    const api = rcv.received[0]!.json.api.url.replace(/\/accounts\/.*$/, '');
    const rest = (path: string) =>
      fetch(`${api}/accounts/${alice.accountId}/workspaces/${ws}${path}`, {
        headers: { authorization: `Bearer ${key}` },
      });
    const own = await rest(`/flow_runs/${run.id}`);
    expect(own.status, await own.clone().text()).toBe(200);
    expect([403, 404]).toContain((await rest(`/flow_runs/${other.id}`)).status);
    const filter = await fetch(
      `${api}/accounts/${alice.accountId}/workspaces/${ws}/flow_runs/filter`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect([403, 404]).toContain(filter.status);

    // The run ends: the credential ends with it, on the cached identity too.
    expect((await setState(job, run.id, { type: 'COMPLETED' })).status).toBe('ACCEPT');
    await stack.quiesce();
    const after = await job.gql(RUN, { id: run.id });
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await rest(`/flow_runs/${run.id}`)).status).toBe(401);
    const row = await operations(stack)
      .orm.em.fork()
      .findOne(FlowRunCredential, { flowRunId: run.id });
    expect(row?.revokedAt).toBeInstanceOf(Date);
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('a run without a credential ends at the cost of one read at most (PostgreSQL: none, the relay reads it): no consumer transaction, no mark', async () => {
    const flow = await createFlow(alice, ws);
    const run = await createRun(alice, { flowId: flow.id });
    for (const type of ['PENDING', 'RUNNING'])
      expect((await setState(alice, run.id, { type })).status).toBe('ACCEPT');
    await stack.quiesce();
    const { lines, stop } = everyStatement(stack.counters.operations);
    try {
      expect((await setState(alice, run.id, { type: 'COMPLETED' })).status).toBe('ACCEPT');
      await stack.quiesce();
    } finally {
      stop();
    }
    // PostgreSQL: the relay's statement that takes the state's event reads it (its hint).
    const pg = isPostgres(operations(stack).orm);
    const reads = lines.filter((l) =>
      /select distinct flow_run_id from flow_run_credential/.test(l),
    );
    expect(reads, lines.join('\n')).toHaveLength(pg ? 0 : 1);
    const relayed = lines.filter((l) => /^\[query\] \(outbox\) update .?outbox/.test(l));
    expect(relayed.some((l) => /exists \(select 1 from flow_run_credential/.test(l))).toBe(pg);
    expect(lines.filter((l) => l.includes('flow_run_credential'))).toHaveLength(
      pg ? relayed.length : 1,
    );
    expect(lines.filter((l) => l.includes('handled_event'))).toEqual([]);
  });

  it('within the grace period after its run ended, the credential still delivers logs but no longer changes the run', async () => {
    const settings = operations(stack).opts.settings!.push as { credentialGraceSeconds: number };
    settings.credentialGraceSeconds = 3600;
    try {
      const rcv = await receiver();
      const { run } = await pushedRun(rcv.url);
      await pushOnce(stack);
      const job = stack.as(rcv.received[0]!.json.api.key as string);
      expect((await setState(job, run.id, { type: 'RUNNING' })).status).toBe('ACCEPT');
      expect((await setState(job, run.id, { type: 'COMPLETED' })).status).toBe('ACCEPT');
      await stack.quiesce();
      const late = await ok(job, `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
        input: {
          workspaceId: ws,
          logs: [
            {
              flowRunId: run.id,
              level: 20,
              message: 'trailing line',
              timestamp: new Date().toISOString(),
            },
          ],
        },
      });
      expect(late.writeLogs).toBe(1);
      const again = await job.gql(
        `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
        { input: { flowRunId: run.id, state: { type: 'RUNNING' }, force: true } },
      );
      expect(again.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      settings.credentialGraceSeconds = 0;
    }
  });

  it('retries a failing endpoint with back-off and marks the run CRASHED with the reason after the last attempt', async () => {
    const rcv = await receiver(() => ({ status: 500, body: 'database unavailable' }));
    const { run } = await pushedRun(rcv.url);
    const t0 = Date.now() + 1000;
    await pushOnce(stack, new Date(t0));
    expect(rcv.received).toHaveLength(1);
    // Not due again before the back-off (10 s, then 20 s).
    await pushOnce(stack, new Date(t0 + 5_000));
    expect(rcv.received).toHaveLength(1);
    expect((await ok(alice, RUN, { id: run.id })).flowRun.stateType).toBe('PENDING');
    await pushOnce(stack, new Date(t0 + 10_500));
    expect(rcv.received).toHaveLength(2);
    await pushOnce(stack, new Date(t0 + 31_000));
    expect(rcv.received).toHaveLength(3);
    await pushOnce(stack, new Date(t0 + 600_000));
    expect(rcv.received).toHaveLength(3);
    expect(rcv.received.every((r) => r.signed)).toBe(true);
    expect(rcv.received.map((r) => r.json.attempt)).toEqual([1, 2, 3]);
    const crashed = (await ok(alice, RUN, { id: run.id })).flowRun;
    expect(crashed.stateType).toBe('CRASHED');
    expect(crashed.state.message).toMatch(
      /failed after 3 attempts: The push endpoint answered 500: database unavailable/,
    );
    // Each attempt's credential was revoked with it.
    const creds = await operations(stack)
      .orm.em.fork()
      .find(FlowRunCredential, { flowRunId: run.id });
    expect(creds).toHaveLength(3);
    expect(creds.every((c) => c.revokedAt)).toBe(true);
  });

  it('honours maxAttempts', async () => {
    const rcv = await receiver(() => ({ status: 503 }));
    const { run } = await pushedRun(rcv.url, { maxAttempts: 1 });
    await pushOnce(stack);
    expect(rcv.received).toHaveLength(1);
    const crashed = (await ok(alice, RUN, { id: run.id })).flowRun;
    expect(crashed.stateType).toBe('CRASHED');
    expect(crashed.state.message).toMatch(/after 1 attempt: The push endpoint answered 503/);
  });

  it('cancelling a pushed run calls the cancel URL, signed, and the run ends CANCELLED', async () => {
    const rcv = await receiver();
    const { run } = await pushedRun(rcv.url, { cancelUrl: `${rcv.url}/cancel` });
    await pushOnce(stack);
    expect(rcv.received).toHaveLength(1);
    expect((await setState(alice, run.id, { type: 'CANCELLING' })).status).toBe('ACCEPT');
    await pushOnce(stack);
    const cancel = rcv.received.filter((r) => r.path === '/cancel');
    expect(cancel).toHaveLength(1);
    expect(cancel[0]!.signed).toBe(true);
    expect(cancel[0]!.json).toEqual({ flowRunId: run.id, infrastructureId: `job-${run.id}` });
    const ended = (await ok(alice, RUN, { id: run.id })).flowRun;
    expect(ended.stateType).toBe('CANCELLED');
    await pushOnce(stack);
    expect(rcv.received.filter((r) => r.path === '/cancel')).toHaveLength(1);
  });
});

describe('the address policy applies to push endpoints', () => {
  it('refuses a loopback endpoint unless internal addresses are allowed: CRASHED at once, nothing sent', async () => {
    const closed = await startStack();
    try {
      const bob = await closed.signUp();
      const w = (await createWorkspace(bob, bob.accountId)).id;
      const rcv = await pushReceiver(PUSH_SECRET);
      closers.push(rcv.close);
      const p = await createPushPool(bob, w, 'internal', {
        url: `${rcv.url}/jobs`,
        signingSecret: PUSH_SECRET,
      });
      const flow = await createFlow(bob, w);
      const d = await createDeployment(bob, flow.id, { workPoolId: p.id });
      const run = await createRun(bob, { deploymentId: d.id });
      await pushOnce(closed);
      expect(rcv.received).toHaveLength(0);
      const crashed = (await ok(bob, RUN, { id: run.id })).flowRun;
      expect(crashed.stateType).toBe('CRASHED');
      expect(crashed.state.message).toMatch(
        /after 1 attempt: Refused: 127\.0\.0\.1 resolves to a loopback address/,
      );
    } finally {
      await closed.stop();
    }
  });
});

function distributed(): boolean {
  requireService('DATABASE_URL');
  const redis = requireService('REDIS_URL');
  return redis && testDatabase() === 'postgres';
}

describe.runIf(distributed())('two operations instances on PostgreSQL', () => {
  let two: TwoInstances | undefined;
  afterAll(() => two?.stop());

  it('never submit the same run twice', async () => {
    const hits = new Map<string, number>();
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = JSON.parse(Buffer.concat(chunks).toString('utf8')).flowRun.id as string;
        hits.set(id, (hits.get(id) ?? 0) + 1);
        // A little latency, so both instances are busy at once.
        setTimeout(() => res.end(JSON.stringify({ infrastructureId: id })), 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    two = await startTwoOperations({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const { stack: pgStack, first, second } = two;
    const owner = await pgStack.signUp();
    const w = (await createWorkspace(owner, owner.accountId)).id;
    const p = await createPushPool(owner, w, 'shared', {
      url: `${url}/jobs`,
      signingSecret: PUSH_SECRET,
    });
    const flow = await createFlow(owner, w);
    const d = await createDeployment(owner, flow.id, { workPoolId: p.id });
    const N = 30;
    const runs: string[] = [];
    for (let i = 0; i < N; i++) runs.push((await createRun(owner, { deploymentId: d.id })).id);

    const services = [pushService(first), pushService(second)];
    const now = new Date(Date.now() + 1000);
    // Several passes of both instances at once.
    for (let round = 0; round < 3; round++)
      await Promise.all([...services, ...services].map((s) => s.runOnce(now)));

    expect([...hits.keys()].sort()).toEqual([...runs].sort());
    expect([...hits.values()].every((n) => n === 1)).toBe(true);
    const states = await Promise.all(
      runs.map(async (id) => (await ok(owner, FLOW_RUN, { id })).flowRun.stateType),
    );
    expect(new Set(states)).toEqual(new Set(['PENDING']));
  }, 180_000);
});
