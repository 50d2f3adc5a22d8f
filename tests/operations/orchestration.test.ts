import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace, expectError } from '../harness/seed.js';
import {
  CREATE_RUN,
  CREATE_TASK,
  FLOW_RUN,
  SET_STATE,
  SET_TASK_STATE,
  createDeployment,
  createFlow,
  createRun,
  ok,
  setState,
} from './fixtures.js';

const TYPES = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
] as const;
type T = (typeof TYPES)[number];
type Outcome = 'ACCEPT' | 'REJECT' | 'ABORT';
const A: Outcome = 'ACCEPT';
const R: Outcome = 'REJECT';
const X: Outcome = 'ABORT';

/**
 * Expected answer to proposing `to` (default name, no details) for a run in `from` (a due run
 * with no retries and no deployment). Columns follow TYPES.
 */
const terminalRow: Outcome[] = [A, X, X, X, X, X, X, X, X];
const EXPECTED: Record<T | 'none', Outcome[]> = {
  //            SCH PEN RUN COM FAI CAN CRA PAU CNG
  none: /*   */ [A, A, A, A, A, A, A, R, R],
  SCHEDULED: /**/ [A, A, A, A, A, A, A, R, A],
  PENDING: /*  */ [R, R, A, A, A, A, A, R, A],
  RUNNING: /*  */ [R, R, R, A, A, A, A, A, A],
  COMPLETED: terminalRow,
  FAILED: terminalRow,
  CANCELLED: terminalRow,
  CRASHED: terminalRow,
  PAUSED: /*   */ [A, A, A, A, A, A, A, R, A],
  CANCELLING: /**/ [R, R, R, A, A, A, A, R, R],
};
// A terminal state proposed again for the same terminal state is a duplicate: REJECT.
for (const t of ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'] as const) {
  EXPECTED[t] = [...terminalRow];
  EXPECTED[t][TYPES.indexOf(t)] = R;
}

let stack: Stack;
let alice: Actor;
let ws: { id: string };
let flowId: string;
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice, alice.accountId);
  flowId = (await createFlow(alice, ws.id)).id;
});
afterAll(async () => {
  await stack?.stop();
});

/** A flow run forced into `from` (a due SCHEDULED run first). */
async function runIn(from: T, over: Record<string, unknown> = {}) {
  const run = await createRun(alice, { flowId, ...over });
  if (from !== 'SCHEDULED') await setState(alice, run.id, { type: from }, { force: true });
  return run.id as string;
}

describe('the policy for every (from, to) pair of flow runs', () => {
  for (const from of ['none', ...TYPES] as const) {
    it(`from ${from}`, async () => {
      const got: Outcome[] = [];
      for (const to of TYPES) {
        if (from === 'none') {
          const res = await alice.gql(CREATE_RUN, { input: { flowId, state: { type: to } } });
          if (res.errors) {
            expectError(res, 'BAD_USER_INPUT', 'state.type');
            got.push(R);
          } else {
            expect(res.data.createFlowRun.state.type).toBe(to);
            got.push(A);
          }
          continue;
        }
        const id = await runIn(from);
        const before = (await ok(alice, FLOW_RUN, { id })).flowRun;
        const result = await setState(alice, id, { type: to });
        got.push(result.status as Outcome);
        const after = (await ok(alice, FLOW_RUN, { id })).flowRun;
        if (result.status === 'ACCEPT') {
          expect(result.state.type).toBe(to);
          expect(after.state.id).toBe(result.state.id);
          expect(after.states).toHaveLength(before.states.length + 1);
        } else {
          // Nothing changes, and the answer carries the current state and a reason.
          expect(result.reason).toBeTruthy();
          expect(result.state.id).toBe(before.state.id);
          expect(after.states).toHaveLength(before.states.length);
        }
      }
      expect(Object.fromEntries(TYPES.map((t, i) => [t, got[i]]))).toEqual(
        Object.fromEntries(TYPES.map((t, i) => [t, EXPECTED[from][i]])),
      );
    });
  }

  it('task runs follow the same table (inside a RUNNING flow run)', async () => {
    const parent = await runIn('RUNNING');
    let n = 0;
    for (const from of TYPES) {
      const got: Outcome[] = [];
      for (const to of TYPES) {
        const task = (
          await ok(alice, CREATE_TASK, {
            input: { flowRunId: parent, taskKey: 't', dynamicKey: String(n++) },
          })
        ).createTaskRun;
        if (from !== 'PENDING') {
          await ok(alice, SET_TASK_STATE, {
            input: { taskRunId: task.id, state: { type: from }, force: true },
          });
        }
        const res = await ok(alice, SET_TASK_STATE, {
          input: { taskRunId: task.id, state: { type: to } },
        });
        got.push(res.setTaskRunState.status);
      }
      expect(got, `from ${from}`).toEqual(EXPECTED[from]);
    }
  });
});

describe('special cases of the rules', () => {
  it('a repeated transitionId is a duplicate', async () => {
    const id = await runIn('SCHEDULED');
    const first = await setState(alice, id, { type: 'PENDING', details: { transitionId: 'x1' } });
    expect(first.status).toBe('ACCEPT');
    const again = await setState(alice, id, { type: 'RUNNING', details: { transitionId: 'x1' } });
    expect(again).toMatchObject({ status: 'REJECT', state: { type: 'PENDING' } });
  });

  it('PENDING may move to a named sub-state, but not back to plain Pending', async () => {
    const id = await runIn('PENDING');
    expect(
      (await setState(alice, id, { type: 'PENDING', name: 'InfrastructurePending' })).status,
    ).toBe('ACCEPT');
    expect((await setState(alice, id, { type: 'PENDING', name: 'Pending' })).status).toBe('REJECT');
  });

  it('only SCHEDULED runs are marked Late', async () => {
    const id = await runIn('SCHEDULED');
    const late = await setState(alice, id, { type: 'SCHEDULED', name: 'Late' });
    expect(late).toMatchObject({ status: 'ACCEPT', state: { type: 'SCHEDULED', name: 'Late' } });
    for (const from of ['PENDING', 'RUNNING', 'COMPLETED', 'PAUSED'] as const) {
      const other = await runIn(from);
      const res = await setState(alice, other, { type: 'SCHEDULED', name: 'Late' });
      expect(res.status, from).toBe('REJECT');
      expect(res.reason).toContain('Late');
    }
  });

  it('a PENDING proposal for a run scheduled in the future waits', async () => {
    const at = new Date(Date.now() + 120_000).toISOString();
    const run = await createRun(alice, {
      flowId,
      state: { type: 'SCHEDULED', details: { scheduledTime: at } },
    });
    expect(run.expectedStartTime).toBe(at);
    const res = await setState(alice, run.id, { type: 'PENDING' });
    expect(res.status).toBe('WAIT');
    expect(res.delaySeconds).toBeGreaterThan(100);
    expect(res.delaySeconds).toBeLessThanOrEqual(120);
    expect(res.state.type).toBe('SCHEDULED');
  });

  it('a FAILED run with retries left goes to AwaitingRetry and runs again; bookkeeping counts attempts', async () => {
    const run = await createRun(alice, { flowId, retries: 2 });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await setState(alice, run.id, { type: 'PENDING' })).status).toBe('ACCEPT');
      expect((await setState(alice, run.id, { type: 'RUNNING' })).status).toBe('ACCEPT');
      const failed = await setState(alice, run.id, { type: 'FAILED', message: `boom ${attempt}` });
      if (attempt < 3) {
        expect(failed).toMatchObject({
          status: 'REJECT',
          state: { type: 'SCHEDULED', name: 'AwaitingRetry', message: `boom ${attempt}` },
        });
      } else {
        expect(failed).toMatchObject({ status: 'ACCEPT', state: { type: 'FAILED' } });
      }
    }
    const after = (await ok(alice, FLOW_RUN, { id: run.id })).flowRun;
    expect(after).toMatchObject({ runCount: 3, stateType: 'FAILED' });
    expect(after.startTime).toBeTruthy();
    expect(after.endTime).toBeTruthy();
    expect(after.totalRunTime).toBeGreaterThanOrEqual(0);
    expect(after.expectedStartTime).toBeTruthy();
    expect(after.states.filter((s: any) => s.name === 'AwaitingRetry')).toHaveLength(2);
  });

  it('a retry delay makes the retry wait; a terminal run can be retried by hand', async () => {
    const run = await createRun(alice, { flowId, retries: 1, retryDelaySeconds: 600 });
    await setState(alice, run.id, { type: 'RUNNING' });
    const failed = await setState(alice, run.id, { type: 'FAILED' });
    expect(failed.state.name).toBe('AwaitingRetry');
    expect((await setState(alice, run.id, { type: 'PENDING' })).status).toBe('WAIT');

    const done = await runIn('COMPLETED');
    const retry = await setState(alice, done, { type: 'SCHEDULED', name: 'AwaitingRetry' });
    expect(retry.status).toBe('ACCEPT');
    const reloaded = (await ok(alice, FLOW_RUN, { id: done })).flowRun;
    expect(reloaded.endTime).toBeNull();
    expect((await setState(alice, done, { type: 'RUNNING' })).status).toBe('ACCEPT');
  });

  it('bookkeeping: start and end times, run count, total run time', async () => {
    const run = await createRun(alice, { flowId });
    await setState(alice, run.id, { type: 'PENDING' });
    await setState(alice, run.id, { type: 'RUNNING' });
    await new Promise((r) => setTimeout(r, 20));
    await setState(alice, run.id, { type: 'COMPLETED' });
    const after = (await ok(alice, FLOW_RUN, { id: run.id })).flowRun;
    expect(after.runCount).toBe(1);
    expect(after.totalRunTime).toBeGreaterThan(0.01);
    expect(new Date(after.endTime).getTime()).toBeGreaterThanOrEqual(
      new Date(after.startTime).getTime(),
    );
    expect(after.expectedStartTime).toBe(run.expectedStartTime);
    expect(after.states.map((s: any) => s.type)).toEqual([
      'SCHEDULED',
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ]);
  });

  it('pause with an expiry, resume before it, and no resume after it', async () => {
    const id = await runIn('RUNNING');
    const paused = await setState(alice, id, {
      type: 'PAUSED',
      name: 'Suspended',
      details: { pauseTimeoutSeconds: 600 },
    });
    expect(paused.status).toBe('ACCEPT');
    expect(new Date(paused.state.details.pauseExpiresAt).getTime()).toBeGreaterThan(
      Date.now() + 590_000,
    );
    const resumed = await setState(alice, id, { type: 'SCHEDULED', name: 'Resuming' });
    expect(resumed).toMatchObject({ status: 'ACCEPT', state: { name: 'Resuming' } });

    const other = await runIn('RUNNING');
    await setState(alice, other, { type: 'PAUSED', details: { pauseTimeoutSeconds: 1 } });
    await new Promise((r) => setTimeout(r, 1100));
    const late = await setState(alice, other, { type: 'RUNNING' });
    expect(late.status).toBe('ABORT');
    expect(late.reason).toContain('expired');
  });

  it('deployment concurrency: ENQUEUE waits in AwaitingConcurrencySlot, CANCEL_NEW cancels, terminal states free the slot', async () => {
    const enqueue = await createDeployment(alice, flowId, { concurrencyLimit: 1 });
    const a = await createRun(alice, { deploymentId: enqueue.id });
    const b = await createRun(alice, { deploymentId: enqueue.id });
    expect((await setState(alice, a.id, { type: 'PENDING' })).status).toBe('ACCEPT');
    const waiting = await setState(alice, b.id, { type: 'PENDING' });
    expect(waiting).toMatchObject({
      status: 'WAIT',
      delaySeconds: 10,
      state: { type: 'SCHEDULED', name: 'AwaitingConcurrencySlot' },
    });
    expect((await setState(alice, b.id, { type: 'RUNNING' })).status).toBe('WAIT');
    expect((await setState(alice, a.id, { type: 'RUNNING' })).status).toBe('ACCEPT');
    expect((await setState(alice, a.id, { type: 'COMPLETED' })).status).toBe('ACCEPT');
    expect((await setState(alice, b.id, { type: 'RUNNING' })).status).toBe('ACCEPT');
    // force takes a slot even when none is free.
    const c = await createRun(alice, { deploymentId: enqueue.id });
    expect((await setState(alice, c.id, { type: 'RUNNING' }, { force: true })).status).toBe(
      'ACCEPT',
    );

    const cancelNew = await createDeployment(alice, flowId, {
      concurrencyLimit: 1,
      collisionStrategy: 'CANCEL_NEW',
    });
    const d = await createRun(alice, { deploymentId: cancelNew.id });
    const e = await createRun(alice, { deploymentId: cancelNew.id });
    await setState(alice, d.id, { type: 'RUNNING' });
    const cancelled = await setState(alice, e.id, { type: 'PENDING' });
    expect(cancelled).toMatchObject({ status: 'REJECT', state: { type: 'CANCELLED' } });
    // CANCELLING keeps the slot; CANCELLED frees it.
    await setState(alice, d.id, { type: 'CANCELLING' });
    const f = await createRun(alice, { deploymentId: cancelNew.id });
    expect((await setState(alice, f.id, { type: 'PENDING' })).state.type).toBe('CANCELLED');
    await setState(alice, d.id, { type: 'CANCELLED' });
    const g = await createRun(alice, { deploymentId: cancelNew.id });
    expect((await setState(alice, g.id, { type: 'PENDING' })).status).toBe('ACCEPT');
  });

  it('a task run cannot start RUNNING while its flow run is not RUNNING', async () => {
    const parent = await runIn('PENDING');
    const task = (await ok(alice, CREATE_TASK, { input: { flowRunId: parent, taskKey: 'x' } }))
      .createTaskRun;
    const res = await ok(alice, SET_TASK_STATE, {
      input: { taskRunId: task.id, state: { type: 'RUNNING' } },
    });
    expect(res.setTaskRunState.status).toBe('ABORT');
    // The same (flow run, task key, dynamic key) returns the same task run.
    const again = (await ok(alice, CREATE_TASK, { input: { flowRunId: parent, taskKey: 'x' } }))
      .createTaskRun;
    expect(again.id).toBe(task.id);
  });

  it('every accepted transition records a flow-run.state-changed event', async () => {
    const run = await createRun(alice, { flowId });
    await setState(alice, run.id, { type: 'PENDING' });
    await setState(alice, run.id, { type: 'PENDING' }); // rejected: no event
    const r = await setState(alice, run.id, { type: 'RUNNING' });
    const orm = stack.running.subgraphs.operations!.orm;
    const rows: { payload: any }[] = await orm.em
      .fork()
      .getConnection()
      .execute(`select payload from outbox where type = 'flow-run.state-changed' order by seq`);
    const mine = rows
      .map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload))
      .filter((p) => p.runId === run.id);
    expect(mine.map((p) => [p.from?.type ?? null, p.to.type])).toEqual([
      [null, 'SCHEDULED'],
      ['SCHEDULED', 'PENDING'],
      ['PENDING', 'RUNNING'],
    ]);
    expect(mine[2]).toMatchObject({
      workspaceId: ws.id,
      stateId: r.state.id,
      to: { type: 'RUNNING', name: 'Running' },
      from: { type: 'PENDING', name: 'Pending' },
    });
  });

  it('bad input: unknown state type, malformed details; NOT_FOUND for a malformed id', async () => {
    const id = await runIn('SCHEDULED');
    const bad = await alice.gql(SET_STATE, { input: { flowRunId: id, state: { type: 'DONE' } } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const when = await alice.gql(SET_STATE, {
      input: { flowRunId: id, state: { type: 'SCHEDULED', details: { scheduledTime: 'soon' } } },
    });
    expectError(when, 'BAD_USER_INPUT', 'state.details.scheduledTime');
    const name = await alice.gql(SET_STATE, {
      input: { flowRunId: id, state: { type: 'RUNNING', name: 'x'.repeat(51) } },
    });
    expectError(name, 'BAD_USER_INPUT', 'state.name');
    const missing = await alice.gql(SET_STATE, {
      input: { flowRunId: 'nope', state: { type: 'RUNNING' } },
    });
    expectError(missing, 'NOT_FOUND');
  });
});
