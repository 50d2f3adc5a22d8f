import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import { requirePython } from '../harness/services.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { connectWs, type WsConnection } from '../harness/ws.js';
import { ok } from '../operations/fixtures.js';
import { prefectTarget, runFlows, startFlows, type PrefectTarget } from './prefect.js';

// Scenarios 1 and 2 of the Prefect compatibility: the real Prefect 3 client (requirements/
// prefect.txt) runs flows against Flowplane's REST layer and events socket.
const bin = requirePython();

let stack: Stack;
let owner: Actor;
let target: PrefectTarget;
let socket: WsConnection;

beforeAll(async () => {
  if (!bin) return;
  stack = await startStack();
  owner = await stack.signUp();
  target = await prefectTarget(stack, owner);
  socket = await connectWs(stack.url, { authorization: `Bearer ${owner.token}` });
});

afterAll(async () => {
  await socket?.dispose();
  await stack?.stop();
});

const RUN = `query($id: ID!) { flowRun(id: $id) {
  id name stateType stateName parameters runCount
  flow { name }
  parentTaskRun { id name stateType }
  state { type name message }
  states { type name }
  taskRuns(first: 50) { totalCount edges { node {
    id name taskKey stateType stateName runCount states { type name }
  } } }
} }`;

const SUBFLOWS = `query($w: ID!, $parent: ID!) { workspace(id: $w) {
  flowRuns(first: 10, filter: { parentTaskRunId: $parent }) { edges { node {
    id stateType flow { name } parentTaskRun { id } states { type }
  } } }
} }`;

const LOGS = `query($w: ID!, $run: ID!) { workspace(id: $w) {
  logs(first: 100, filter: { flowRunId: $run }) { edges { node { message levelName taskRunId } } }
} }`;

const EVENTS = `query($w: ID!, $prefix: String!) { workspace(id: $w) {
  events(first: 200, order: OCCURRED_ASC, filter: { namePrefixes: [$prefix] }) {
    totalCount edges { node { event resource { id } related { id role } } }
  }
} }`;

const RUN_EVENTS = `subscription($w: ID!) { flowRunEvents(workspaceId: $w) { from to toName flowRun { id } } }`;

describe.skipIf(!bin)('a Prefect flow run on Flowplane (real client)', { timeout: 240_000 }, () => {
  it('runs a flow with parameters, tasks (one retried), a subflow and printed logs; GraphQL shows all of it, live too', async () => {
    const before = stack.running.gateway!.subscriptions.registered;
    const live = socket.subscribe(RUN_EVENTS, { w: target.workspaceId });
    await eventually(async () =>
      expect(stack.running.gateway!.subscriptions.registered).toBe(before + 1),
    );

    const run = await runFlows(bin!, ['parent'], target.env);
    expect(run.result, run.stderr + run.stdout).toMatchObject({
      type: 'COMPLETED',
      result: { sum: 5, double: 10, word: 'HELLO', child: 11 },
    });
    const runId = run.result.flow_run_id as string;

    const d = await ok(owner, RUN, { id: runId });
    expect(d.flowRun).toMatchObject({
      stateType: 'COMPLETED',
      flow: { name: 'parent-flow' },
      parentTaskRun: null,
      parameters: { a: 3, b: 2, word: 'hello' },
      runCount: 1,
    });
    expect(d.flowRun.states.map((s: { type: string }) => s.type)).toEqual([
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ]);

    const tasks = d.flowRun.taskRuns.edges.map((e: any) => e.node);
    const byName = (prefix: string) => tasks.find((t: any) => t.name.startsWith(prefix));
    expect(tasks).toHaveLength(4);
    for (const t of tasks) expect(t.stateType).toBe('COMPLETED');
    expect(byName('add-').states.map((s: any) => s.type)).toEqual([
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ]);
    // The failed first attempt and its retry are in the history.
    const flaky = byName('flaky-');
    expect(flaky.states.map((s: any) => s.name)).toEqual([
      'Pending',
      'Running',
      'Retrying',
      'Completed',
    ]);
    expect(flaky.runCount).toBe(2);

    // The subflow run hangs off the task run that stands for it, which followed its states.
    const parentTask = byName('child-flow');
    expect(parentTask.states.map((s: any) => s.type)).toEqual(['PENDING', 'RUNNING', 'COMPLETED']);
    const sub = await ok(owner, SUBFLOWS, { w: target.workspaceId, parent: parentTask.id });
    expect(sub.workspace.flowRuns.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({
        stateType: 'COMPLETED',
        flow: { name: 'child-flow' },
        parentTaskRun: { id: parentTask.id },
      }),
    ]);

    // Printed output (log_prints) and logger calls, from the flow and from a task.
    const logs = (
      await ok(owner, LOGS, { w: target.workspaceId, run: runId })
    ).workspace.logs.edges.map((e: any) => e.node);
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'parent starts with 3 2 hello', taskRunId: null }),
        expect.objectContaining({ message: 'shouting hello', taskRunId: byName('shout-').id }),
      ]),
    );

    // The client's task-run events are in the event store, tied to the flow run.
    const events = (
      await ok(owner, EVENTS, { w: target.workspaceId, prefix: 'prefect.task-run.' })
    ).workspace.events.edges.map((e: any) => e.node);
    const ofAdd = events.filter(
      (e: any) => e.resource.id === `prefect.task-run.${byName('add-').id}`,
    );
    expect(ofAdd.map((e: any) => e.event)).toEqual([
      'prefect.task-run.Pending',
      'prefect.task-run.Running',
      'prefect.task-run.Completed',
    ]);
    expect(ofAdd[0].related).toEqual(
      expect.arrayContaining([{ id: `prefect.flow-run.${runId}`, role: 'flow-run' }]),
    );

    // A subscriber saw the parent run's transitions as they happened.
    await eventually(async () => {
      const mine = live.results
        .map((r) => r.data!.flowRunEvents)
        .filter((e: any) => e.flowRun.id === runId);
      expect(mine.map((e: any) => e.to)).toEqual(['PENDING', 'RUNNING', 'COMPLETED']);
    });
    live.stop();
  });

  it('a flow that raises ends FAILED with the exception’s message', async () => {
    const run = await runFlows(bin!, ['failing', 'the disk is full'], target.env);
    expect(run.result).toMatchObject({ type: 'FAILED' });
    const d = await ok(owner, RUN, { id: run.result.flow_run_id });
    expect(d.flowRun.stateType).toBe('FAILED');
    expect(d.flowRun.state.message).toContain('RuntimeError: the disk is full');
  });

  it('a flow process killed with SIGKILL is CRASHED by the zombie rule once its heartbeats stop', async () => {
    const child = startFlows(bin!, ['sleeping', '300'], {
      ...target.env,
      PREFECT_FLOWS_HEARTBEAT_FREQUENCY: '30',
    });
    const runId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
        const m = /READY ([0-9a-f-]{36})/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`flow exited early (${code}): ${out}`)));
    });
    // Its first heartbeat has reached the event store.
    await eventually(async () => {
      const beats = await ok(owner, EVENTS, {
        w: target.workspaceId,
        prefix: 'prefect.flow-run.heartbeat',
      });
      expect(
        beats.workspace.events.edges.some(
          (e: any) => e.node.resource.id === `prefect.flow-run.${runId}`,
        ),
      ).toBe(true);
    }, 120_000);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;

    const zombies = stack.running.subgraphs.operations!.services.find(
      (s) => s.name === 'zombie-runs',
    )!;
    expect((await ok(owner, RUN, { id: runId })).flowRun.stateType).toBe('RUNNING');
    // Nine minutes of silence are not enough; ten are.
    expect(await zombies.runOnce(new Date(Date.now() + 9 * 60_000))).toBe(0);
    expect(await zombies.runOnce(new Date(Date.now() + 11 * 60_000))).toBe(1);
    const d = await ok(owner, RUN, { id: runId });
    expect(d.flowRun.state).toMatchObject({ type: 'CRASHED', name: 'Crashed' });
    expect(d.flowRun.state.message).toContain('No heartbeat');
  });
});
