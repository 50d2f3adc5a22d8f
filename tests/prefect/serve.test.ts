import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ok } from '../operations/fixtures.js';
import { prefectTarget, startFlows, type PrefectTarget } from './prefect.js';

// Scenario 4 of the Prefect compatibility: `flow.serve()` with an interval schedule; Flowplane's
// scheduler creates the runs and the serving process (no work pool) executes them.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;
let served: ChildProcess | undefined;

beforeAll(async () => {
  if (!bin) return;
  stack = await startStack();
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
});

afterAll(async () => {
  if (served && served.exitCode === null) {
    const gone = new Promise((r) => served!.on('exit', r));
    served.kill('SIGTERM');
    await gone;
  }
  await stack?.stop();
});

const DEPLOYMENT = `query($w: ID!, $name: String!) { workspace(id: $w) {
  deploymentByName(flowName: "hello-flow", name: $name) {
    id paused workPool { id } schedules { intervalSeconds active }
  }
} }`;
const RUNS = `query($w: ID!, $d: ID!) { workspace(id: $w) {
  flowRuns(first: 200, filter: { deploymentId: $d }) { edges { node {
    id stateType autoScheduled parameters states { type }
    taskRuns(first: 5) { edges { node { stateType } } }
  } } }
} }`;

describe.skipIf(!bin)(
  'flow.serve() with an interval schedule (real client)',
  { timeout: 240_000 },
  () => {
    it('registers the deployment; the scheduler’s runs are claimed and executed by the serving process', async () => {
      const name = `every-5s-${uid(3)}`;
      served = startFlows(bin!, ['serve', name, '5'], {
        ...target.env,
        PREFECT_RUNNER_POLL_FREQUENCY: '1',
      });
      let out = '';
      served.stdout!.on('data', (c) => (out += c));
      served.stderr!.on('data', (c) => (out += c));

      let deploymentId = '';
      await eventually(async () => {
        const d = await ok(owner, DEPLOYMENT, { w: target.workspaceId, name });
        expect(d.workspace.deploymentByName, out).toMatchObject({
          paused: false,
          workPool: null,
          schedules: [{ intervalSeconds: 5, active: true }],
        });
        deploymentId = d.workspace.deploymentByName.id;
      }, 120_000);

      // The scheduler (a background service, run here once) creates the upcoming runs.
      const scheduler = stack.running.subgraphs.operations!.services.find(
        (s) => s.name === 'scheduler',
      )!;
      expect(await scheduler.runOnce()).toBeGreaterThanOrEqual(3);

      // The serving process claims the due ones and runs them: two complete, with their task.
      // A page of 200 runs with their states and task runs is costly: polled every 2 s (not
      // 100 ms), it stays within the owner's rate-limit budget however long the runs take.
      let doneIds: string[] = [];
      await eventually(
        async () => {
          const runs = (
            await ok(owner, RUNS, { w: target.workspaceId, d: deploymentId })
          ).workspace.flowRuns.edges.map((e: any) => e.node);
          const done = runs.filter((r: any) => r.stateType === 'COMPLETED');
          expect(
            done.length,
            JSON.stringify(runs.slice(0, 6).map((r: any) => r.states.map((s: any) => s.type))) +
              out.slice(-3000),
          ).toBeGreaterThanOrEqual(2);
          for (const r of done) {
            expect(r).toMatchObject({ autoScheduled: true, parameters: { name: 'served' } });
            expect(r.states.map((s: any) => s.type)).toEqual([
              'SCHEDULED',
              'PENDING',
              'PENDING',
              'RUNNING',
              'COMPLETED',
            ]);
          }
          doneIds = done.slice(0, 2).map((r: any) => r.id);
        },
        120_000,
        2000,
      );
      await eventually(
        async () => {
          const runs = (
            await ok(owner, RUNS, { w: target.workspaceId, d: deploymentId })
          ).workspace.flowRuns.edges.map((e: any) => e.node);
          const done = runs.filter((r: any) => doneIds.includes(r.id));
          expect(done).toHaveLength(2);
          for (const r of done)
            expect(r.taskRuns.edges.map((e: any) => e.node.stateType)).toEqual(['COMPLETED']);
        },
        30_000,
        2000,
      );
    });
  },
);
