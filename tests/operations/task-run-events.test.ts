import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, join } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { codes } from '../harness/client.js';
import { createFlow, createRun, ok } from './fixtures.js';

// Prefect 3 clients report task-run states as events (`prefect.task-run.<State>`); the event
// store turns them into task runs as Prefect's server does: once each, in order.
let stack: Stack;
let owner: Actor;
let workspaceId: string;
let flowRunId: string;

const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const TASK = `query($id: ID!) { taskRun(id: $id) {
  id name taskKey dynamicKey stateType stateName runCount retries startTime endTime
  flowRun { id } states { type name timestamp }
} }`;

/** One state event as the Prefect client emits it. */
function stateEvent(taskRunId: string, type: string, name: string, at: Date, runCount = 0) {
  return {
    id: randomUUID(),
    event: `prefect.task-run.${name}`,
    occurred: at.toISOString(),
    resource: {
      id: `prefect.task-run.${taskRunId}`,
      labels: { 'prefect.resource.name': 'add-1', 'prefect.state-type': type },
    },
    related: [{ id: `prefect.flow-run.${flowRunId}`, role: 'flow-run', labels: {} }],
    payload: {
      intended: { from: null, to: type },
      validated_state: { type, name, message: '', state_details: {}, data: null },
      task_run: {
        name: 'add-1',
        task_key: 'add-abc',
        dynamic_key: taskRunId,
        empirical_policy: { retries: 2, retry_delay: 0 },
        tags: ['t'],
        run_count: runCount,
      },
    },
  };
}

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
  const flow = await createFlow(owner, workspaceId);
  flowRunId = (await createRun(owner, { flowId: flow.id })).id;
});

afterAll(async () => {
  await stack?.stop();
});

describe('task runs from Prefect task-run events', () => {
  it('creates the task run with the client’s id on its first event and records each state once', async () => {
    const id = randomUUID();
    const t0 = Date.now();
    const events = [
      stateEvent(id, 'PENDING', 'Pending', new Date(t0)),
      stateEvent(id, 'RUNNING', 'Running', new Date(t0 + 10), 1),
      stateEvent(id, 'COMPLETED', 'Completed', new Date(t0 + 20), 1),
    ];
    expect((await ok(owner, EMIT, { input: { workspaceId, events } })).emitEvents).toBe(3);
    // Sent again (a client reconnecting re-sends unconfirmed events): nothing changes.
    expect((await ok(owner, EMIT, { input: { workspaceId, events } })).emitEvents).toBe(0);
    const d = await ok(owner, TASK, { id });
    expect(d.taskRun).toMatchObject({
      id,
      name: 'add-1',
      taskKey: 'add-abc',
      dynamicKey: id,
      stateType: 'COMPLETED',
      runCount: 1,
      retries: 2,
      flowRun: { id: flowRunId },
    });
    expect(d.taskRun.states.map((s: any) => s.name)).toEqual(['Pending', 'Running', 'Completed']);
    expect(d.taskRun.endTime).toBe(new Date(t0 + 20).toISOString());
  });

  it('a state that arrives after a newer one joins the history without replacing the current state', async () => {
    const id = randomUUID();
    const t0 = Date.now();
    await ok(owner, EMIT, {
      input: {
        workspaceId,
        events: [
          stateEvent(id, 'PENDING', 'Pending', new Date(t0)),
          stateEvent(id, 'COMPLETED', 'Completed', new Date(t0 + 20), 1),
        ],
      },
    });
    await ok(owner, EMIT, {
      input: { workspaceId, events: [stateEvent(id, 'RUNNING', 'Running', new Date(t0 + 10), 1)] },
    });
    const d = await ok(owner, TASK, { id });
    expect(d.taskRun.stateType).toBe('COMPLETED');
    expect(d.taskRun.states.map((s: any) => s.name)).toEqual(['Pending', 'Running', 'Completed']);
  });

  it('needs write_flow_runs like createTaskRun: a Viewer’s task-run events are refused whole', async () => {
    const viewer = await join(stack, owner, { workspace: { id: workspaceId, role: 'VIEWER' } });
    const id = randomUUID();
    const res = await viewer.gql(EMIT, {
      input: { workspaceId, events: [stateEvent(id, 'PENDING', 'Pending', new Date())] },
    });
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(codes(await owner.gql(TASK, { id }))).toEqual(['NOT_FOUND']);
  });

  it('events naming a flow run of another workspace are stored as events only', async () => {
    const other = await stack.signUp();
    const otherWs = (await createWorkspace(other, other.accountId)).id;
    const id = randomUUID();
    expect(
      (
        await ok(other, EMIT, {
          input: {
            workspaceId: otherWs,
            events: [stateEvent(id, 'PENDING', 'Pending', new Date())],
          },
        })
      ).emitEvents,
    ).toBe(1);
    expect(codes(await owner.gql(TASK, { id }))).toEqual(['NOT_FOUND']);
  });
});
