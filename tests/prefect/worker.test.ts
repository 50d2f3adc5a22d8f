import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { prefectTarget, runCli, runFlows, type PrefectTarget } from './prefect.js';

// Scenario 3 of the Prefect compatibility: `flow.deploy()` to a process work pool, and real
// `prefect worker start --type process` workers draining the deployment's runs.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;
const workers: { child: ChildProcess; output: () => string }[] = [];

beforeAll(async () => {
  if (!bin) return;
  stack = await startStack();
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
});

afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode !== null) continue;
    const gone = new Promise((r) => w.child.on('exit', r));
    w.child.kill('SIGTERM');
    await gone;
  }
  await stack?.stop();
});

function startWorker(pool: string, name: string) {
  const child = spawn(
    `${bin}/prefect`,
    ['worker', 'start', '--pool', pool, '--type', 'process', '--name', name],
    {
      env: {
        ...target.env,
        PREFECT_WORKER_QUERY_SECONDS: '1',
        PREFECT_WORKER_PREFETCH_SECONDS: '5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const w = { child, output: () => out };
  workers.push(w);
  return w;
}

const CREATE = `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id stateType } }`;
const RUN = `query($id: ID!) { flowRun(id: $id) {
  id stateType stateName runCount parameters
  state { type name message }
  states { type name }
  deployment { id name }
  taskRuns(first: 10) { edges { node { name stateType } } }
} }`;
const LOGS = `query($w: ID!, $run: ID!) { workspace(id: $w) {
  logs(first: 100, filter: { flowRunId: $run }) { edges { node { message } } }
} }`;
const SET_STATE = `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`;

describe.skipIf(!bin)(
  'Prefect workers drain a deployment (real client, CLI and worker)',
  { timeout: 300_000 },
  () => {
    it('flow.deploy() to a process pool; two workers run each GraphQL-created run once, with logs; a cancelled run is stopped by its worker', async () => {
      const pool = `pool-${uid(3)}`;
      const created = await runCli(
        bin!,
        'prefect',
        ['work-pool', 'create', pool, '--type', 'process'],
        target.env,
      );
      expect(created.code, created.output).toBe(0);

      const deployed = await runFlows(bin!, ['deploy', pool, 'nightly'], target.env);
      expect(deployed.result, deployed.stderr + deployed.stdout).toMatchObject({
        deployment_id: expect.any(String),
      });
      const deploymentId = deployed.result.deployment_id as string;
      const d = await ok(
        owner,
        `query($id: ID!) { deployment(id: $id) { name entrypoint workPool { id name } flow { name } } }`,
        { id: deploymentId },
      );
      expect(d.deployment).toEqual({
        name: 'nightly',
        entrypoint: 'scenario_flows.py:deployed',
        workPool: { id: expect.any(String), name: pool },
        flow: { name: 'deployed-flow' },
      });
      const poolId = d.deployment.workPool.id as string;

      const a = startWorker(pool, 'worker-a');
      const b = startWorker(pool, 'worker-b');

      // Three runs created through GraphQL, picked up by whichever worker claims them.
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const r = await ok(owner, CREATE, { input: { deploymentId, parameters: { n } } });
        expect(r.createFlowRun.stateType).toBe('SCHEDULED');
        ids.push(r.createFlowRun.id);
      }
      for (const id of ids) {
        await eventually(async () => {
          expect((await ok(owner, RUN, { id })).flowRun.stateType).toBe('COMPLETED');
        }, 180_000);
      }
      for (const [i, id] of ids.entries()) {
        const run = (await ok(owner, RUN, { id })).flowRun;
        // Claimed once (the claim's PENDING), proposed PENDING by its worker, executed once.
        expect(run.states.map((s: any) => s.type)).toEqual([
          'SCHEDULED',
          'PENDING',
          'PENDING',
          'RUNNING',
          'COMPLETED',
        ]);
        expect(run.runCount).toBe(1);
        expect(run.deployment.id).toBe(deploymentId);
        // Task runs (from the client's events) and logs arrive in their own batches.
        await eventually(async () => {
          const again = (await ok(owner, RUN, { id })).flowRun;
          expect(again.taskRuns.edges.map((e: any) => e.node)).toEqual([
            expect.objectContaining({ stateType: 'COMPLETED' }),
          ]);
          const logs = (
            await ok(owner, LOGS, { w: target.workspaceId, run: id })
          ).workspace.logs.edges.map((e: any) => e.node.message);
          expect(logs).toContain(`deployed run ${id} got ${i + 1}`);
          expect(logs).toContain(`shouting ${(i + 1) * 2}`);
        }, 30_000);
        // Exactly one worker submitted it.
        const submitted = [a, b].filter((w) => w.output().includes(`submitting flow run '${id}'`));
        expect(submitted).toHaveLength(1);
      }

      // The lines a worker sends carry its id (Cloud mode: the id its heartbeat returned) and are
      // stored with it: each run's submission is in exactly one worker's log.
      await eventually(async () => {
        const workers = (
          await ok(
            owner,
            `query($id: ID!) { workPool(id: $id) { workers { name
              logs(first: 100) { edges { node { message flowRunId } } } } } }`,
            { id: poolId },
          )
        ).workPool.workers as { name: string; logs: { edges: { node: any }[] } }[];
        expect(workers.map((w) => w.name).sort()).toEqual(['worker-a', 'worker-b']);
        const own = workers.flatMap((w) => w.logs.edges.map((e) => e.node.message));
        for (const id of ids)
          expect(own.filter((m: string) => m.includes(`submitting flow run '${id}'`))).toHaveLength(
            1,
          );
      }, 30_000);

      // A long run, cancelled through GraphQL while it runs: its worker kills the process.
      const long = await ok(owner, CREATE, {
        input: { deploymentId, parameters: { n: 9, seconds: 600 } },
      });
      const longId = long.createFlowRun.id as string;
      await eventually(async () => {
        const run = (await ok(owner, RUN, { id: longId })).flowRun;
        expect(run.stateType).toBe('RUNNING');
        const logs = (await ok(owner, LOGS, { w: target.workspaceId, run: longId })).workspace.logs
          .edges;
        expect(logs.map((e: any) => e.node.message)).toContain(`deployed run ${longId} got 9`);
      }, 180_000);
      const cancel = await ok(owner, SET_STATE, {
        input: { flowRunId: longId, state: { type: 'CANCELLING' } },
      });
      expect(cancel.setFlowRunState.status).toBe('ACCEPT');
      await eventually(async () => {
        expect((await ok(owner, RUN, { id: longId })).flowRun.stateType).toBe('CANCELLED');
      }, 120_000);
      const run = (await ok(owner, RUN, { id: longId })).flowRun;
      expect(run.states.map((s: any) => s.type)).toEqual([
        'SCHEDULED',
        'PENDING',
        'PENDING',
        'RUNNING',
        'CANCELLING',
        'CANCELLED',
      ]);
      // Both workers are still serving.
      expect(a.child.exitCode).toBeNull();
      expect(b.child.exitCode).toBeNull();
    });
  },
);
