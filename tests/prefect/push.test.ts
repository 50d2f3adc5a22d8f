import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import {
  createPushPool,
  PUSH_SECRET,
  pushOnce,
  pushReceiver,
} from '../operations/push-fixtures.js';
import { FLOWS, prefectEnv, prefectTarget, type PrefectTarget } from './prefect.js';

// A push work pool with no worker anywhere: Flowplane POSTs the signed job to a receiver (this
// test's HTTP server, standing in for a serverless function), which starts a real
// `prefect flow-run execute <id>` with only the run-scoped credential it was handed.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (!bin) return;
  // The run's trailing logs and events arrive after its last state: a short grace period.
  stack = await startStack({
    env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', PUSH_CREDENTIAL_GRACE_SECONDS: '5' },
  });
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
});

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode !== null) continue;
    const gone = new Promise((r) => c.on('exit', r));
    c.kill('SIGTERM');
    await gone;
  }
  for (const c of closers) await c();
  await stack?.stop();
});

const RUN = `query($id: ID!) { flowRun(id: $id) {
  id stateType runCount infrastructureId workerName
  states { type name }
  taskRuns(first: 10) { edges { node { name stateType } } }
} }`;
const LOGS = `query($w: ID!, $run: ID!) { workspace(id: $w) {
  logs(first: 200, filter: { flowRunId: $run }) { edges { node { message } } }
} }`;

describe.skipIf(!bin)(
  'push work pools run flows with no worker (real Prefect)',
  { timeout: 300_000 },
  () => {
    it('a webhook push pool: the receiver starts `prefect flow-run execute` with the run-scoped credential; the run completes with its logs', async () => {
      let output = '';
      const rcv = await pushReceiver(PUSH_SECRET, (r) => {
        if (!r.signed || r.path !== '/jobs')
          return { status: 401, body: '{"error":"bad signature"}' };
        const job = r.json;
        const child = spawn(`${bin}/prefect`, ['flow-run', 'execute', job.flowRun.id], {
          env: {
            // Nothing of the owner's: only what the job carries.
            ...prefectEnv(job.api.url, job.api.key, job.api.url.replace(/\/accounts\/.*$/, '')),
            ...job.env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout!.on('data', (c) => (output += c));
        child.stderr!.on('data', (c) => (output += c));
        children.push(child);
        return { status: 202, body: JSON.stringify({ infrastructureId: `pid-${child.pid}` }) };
      });
      closers.push(rcv.close);

      const pool = await createPushPool(owner, target.workspaceId, `push-${uid(3)}`, {
        url: `${rcv.url}/jobs`,
        signingSecret: PUSH_SECRET,
      });
      const flow = await ok(
        owner,
        `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`,
        {
          input: { workspaceId: target.workspaceId, name: 'deployed-flow' },
        },
      );
      const d = await ok(
        owner,
        `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
        {
          input: {
            flowId: flow.createFlow.id,
            name: 'pushed',
            workPoolId: pool.id,
            entrypoint: 'scenario_flows.py:deployed',
            pullSteps: [
              { 'prefect.deployments.steps.set_working_directory': { directory: dirname(FLOWS) } },
            ],
            parameters: { n: 4 },
          },
        },
      );
      const run = await ok(
        owner,
        `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id stateType } }`,
        { input: { deploymentId: d.createDeployment.id } },
      );
      const id = run.createFlowRun.id as string;
      expect(run.createFlowRun.stateType).toBe('SCHEDULED');

      await pushOnce(stack);
      expect(rcv.received).toHaveLength(1);
      await eventually(async () => {
        const r = (await ok(owner, RUN, { id })).flowRun;
        expect(r.stateType, output).toBe('COMPLETED');
      }, 180_000);
      const r = (await ok(owner, RUN, { id })).flowRun;
      expect(r.states.map((s: { type: string }) => s.type)).toEqual([
        'SCHEDULED',
        'PENDING',
        'RUNNING',
        'COMPLETED',
      ]);
      expect(r.runCount).toBe(1);
      expect(r.workerName).toBe('flowplane-push');
      expect(r.infrastructureId).toMatch(/^pid-\d+$/);
      await eventually(async () => {
        const logs = (
          await ok(owner, LOGS, { w: target.workspaceId, run: id })
        ).workspace.logs.edges.map((e: { node: { message: string } }) => e.node.message);
        expect(logs, output).toContain(`deployed run ${id} got 4`);
        expect(logs).toContain('shouting 8');
        const again = (await ok(owner, RUN, { id })).flowRun;
        expect(again.taskRuns.edges.map((e: { node: unknown }) => e.node)).toEqual([
          expect.objectContaining({ stateType: 'COMPLETED' }),
        ]);
      }, 30_000);
      // Nobody polled: no worker ever heartbeat on the pool.
      const workers = await ok(
        owner,
        `query($id: ID!) { workPool(id: $id) { status workers { name } } }`,
        {
          id: pool.id,
        },
      );
      expect(workers.workPool).toEqual({ status: 'READY', workers: [] });
      // The credential ends with the run, once the grace period is over.
      const key = rcv.received[0]!.json.api.key as string;
      await eventually(async () => {
        const after = await stack
          .as(key)
          .gql(`query($id: ID!) { flowRun(id: $id) { id } }`, { id });
        expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }, 30_000);
    });
  },
);
