import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Em } from '../../lib/orm.js';
import { OutboxEvent } from '../../lib/outbox.js';
import { FLOW_RUN_PURGED } from '../../subgraphs/operations/src/flow-runs/flow-run.cleanup.js';
import { FlowRun } from '../../subgraphs/operations/src/flow-runs/flow-run.entity.js';
import { TaskRun } from '../../subgraphs/operations/src/task-runs/task-run.entity.js';
import { createWorkspace } from '../access/fixtures.js';
import { setSummaries } from '../error-summaries/helpers.js';
import { codes } from '../harness/client.js';
import { testDatabase } from '../harness/services.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { operations, service } from './automation-fixtures.js';
import { CREATE_TASK, createDeployment, createFlow, createRun, ok, setState } from './fixtures.js';
import { createPushPool, PUSH_SECRET, pushOnce, pushReceiver } from './push-fixtures.js';
import { fillRun, NO_ROWS, rowsOf as countRows, type Run } from './run-rows.js';

// Every way runs are deleted (deleteFlowRun, a flow's deletion, a deployment's schedules
// changing, the retention: tests/operations/flow-run-retention.test.ts) takes what hangs off
// them too, and a task run or artifact written while its run is deleted does not outlive it.

const CREATE_ARTIFACT = `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id } }`;
const DELETE_RUN = `mutation($id: ID!) { deleteFlowRun(id: $id) }`;
const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;

let stack: Stack;
let alice: Actor;
let ws: string;
let closeReceiver: () => Promise<void> = async () => undefined;
const db = () => operations(stack).orm.em.fork();

beforeAll(async () => {
  stack = await startStack({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  alice = await stack.signUp();
  // Failed runs get an error summary row (PENDING): it must go with its run.
  await setSummaries(stack, alice, true);
  ws = (await createWorkspace(alice)).id;
  await stack.quiesce();
});
afterAll(async () => {
  await closeReceiver();
  await stack?.stop();
});

/** What a run leaves as it goes (`fillRun`). */
const fill = (runId: string, tasks = 2) => fillRun(alice, ws, runId, tasks);

/** A run (of a flow of its own unless given), RUNNING, filled (`fill`). */
async function runningRun(tasks = 2, flowId?: string): Promise<Run> {
  const run = await createRun(alice, { flowId: flowId ?? (await createFlow(alice, ws)).id });
  await setState(alice, run.id, { type: 'PENDING' });
  await setState(alice, run.id, { type: 'RUNNING' });
  return fill(run.id, tasks);
}

/** Rows of each table that belong to these runs. */
const rowsOf = (runs: Run[]) => countRows(db(), runs);

/**
 * Rows of the whole database that hang off a run or task run that does not exist (log lines
 * left out: ingest stores lines of any run id, as Prefect does).
 */
async function orphans() {
  const conn = db().getConnection();
  const count = async (sql: string) => Number((await conn.execute(sql))[0].n);
  return {
    taskRun: await count(
      `select count(*) as n from task_run t where not exists (select 1 from flow_run r where r.id = t.flow_run_id)`,
    ),
    runState: await count(
      `select count(*) as n from run_state s where not exists (select 1 from flow_run r where r.id = s.run_id)
         and not exists (select 1 from task_run t where t.id = s.run_id)`,
    ),
    artifact: await count(
      `select count(*) as n from artifact a
         where (a.flow_run_id is not null and not exists (select 1 from flow_run r where r.id = a.flow_run_id))
            or (a.task_run_id is not null and not exists (select 1 from task_run t where t.id = a.task_run_id))`,
    ),
  };
}

const NO_ORPHANS = { taskRun: 0, runState: 0, artifact: 0 };

describe('deleting flow runs', () => {
  it('deleteFlowRun leaves nothing of the run: task runs, states, logs, artifacts, its push submission and credential, its error summary', async () => {
    // A run of a push pool: submitted (a submission, a run-scoped credential), then it ran its
    // tasks, logged, made artifacts and failed (an error summary).
    const rcv = await pushReceiver(PUSH_SECRET);
    closeReceiver = rcv.close;
    const pool = await createPushPool(alice, ws, `push-${uid(3)}`, {
      url: `${rcv.url}/jobs`,
      signingSecret: PUSH_SECRET,
    });
    const flow = await createFlow(alice, ws);
    const deployment = await createDeployment(alice, flow.id, { workPoolId: pool.id });
    const created = await createRun(alice, { deploymentId: deployment.id });
    await pushOnce(stack);
    expect(rcv.received.map((r) => r.json.flowRun.id)).toEqual([created.id]);
    const job = stack.as(rcv.received[0]!.json.api.key as string);
    expect((await setState(job, created.id, { type: 'RUNNING' })).status).toBe('ACCEPT');
    const run = await fill(created.id);
    expect((await setState(job, run.id, { type: 'FAILED' })).status).toBe('ACCEPT');
    // Another run of the workspace, left alone.
    const other = await runningRun();
    await stack.quiesce();
    expect(await rowsOf([run])).toEqual({
      flowRun: 1,
      taskRun: 2,
      // SCHEDULED, PENDING, RUNNING, FAILED; each task RUNNING, COMPLETED.
      runState: 4 + 4,
      log: 3,
      artifact: 2,
      errorSummary: 1,
      pushSubmission: 1,
      flowRunCredential: 1,
    });
    const otherBefore = await rowsOf([other]);
    expect(otherBefore.taskRun).toBe(2);

    expect((await ok(alice, DELETE_RUN, { id: run.id })).deleteFlowRun).toBe(run.id);
    await stack.quiesce();
    expect(await rowsOf([run])).toEqual(NO_ROWS);
    expect(await rowsOf([other])).toEqual(otherBefore);
    // Announced once, as the retention's batches are.
    const announced = (await db().find(OutboxEvent, { type: FLOW_RUN_PURGED })).filter((e) =>
      (e.payload.runIds as string[]).includes(run.id),
    );
    expect(announced.map((e) => e.payload)).toEqual([{ workspaceId: ws, runIds: [run.id] }]);
    expect(await orphans()).toEqual(NO_ORPHANS);
  });

  it('deleting a flow, or a deployment’s schedules changing, takes the same with the runs', async () => {
    const gone = await createFlow(alice, ws);
    const run = await runningRun(2, gone.id);
    await setState(alice, run.id, { type: 'COMPLETED' });
    await ok(alice, `mutation($id: ID!) { deleteFlow(id: $id) }`, { id: gone.id });
    await stack.quiesce();
    expect(await rowsOf([run])).toEqual(NO_ROWS);

    // Runs the scheduler created ahead go when the deployment is paused, with what was written
    // about them meanwhile.
    const flow = await createFlow(alice, ws);
    const d = await createDeployment(alice, flow.id, { schedules: [{ intervalSeconds: 3600 }] });
    await service(stack, 'scheduler').runOnce(new Date());
    const ahead = (await db().find(FlowRun, { deploymentId: d.id, autoScheduled: true })).map(
      (r) => ({ id: r.id, taskIds: [] }),
    );
    expect(ahead.length).toBeGreaterThan(0);
    await fill(ahead[0]!.id, 0);
    expect((await rowsOf(ahead)).artifact).toBe(1);
    await ok(alice, `mutation($id: ID!) { pauseDeployment(id: $id) { id } }`, { id: d.id });
    await stack.quiesce();
    expect(await rowsOf(ahead)).toEqual(NO_ROWS);
    expect(await orphans()).toEqual(NO_ORPHANS);
  });

  it('task runs, task-run events and artifacts sent while their run is deleted leave nothing behind', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, () => runningRun(0)));
    const taskEvent = (runId: string) => {
      const id = randomUUID();
      return {
        id: randomUUID(),
        event: 'prefect.task-run.Running',
        occurred: new Date().toISOString(),
        resource: { id: `prefect.task-run.${id}`, labels: {} },
        related: [{ id: `prefect.flow-run.${runId}`, role: 'flow-run', labels: {} }],
        payload: {
          validated_state: { type: 'RUNNING', name: 'Running', message: '', state_details: {} },
          task_run: { name: 'e', task_key: 'e', dynamic_key: id, run_count: 1 },
        },
      };
    };
    const answers = await Promise.all(
      runs.flatMap((run) => [
        ...[0, 1, 2].map((i) =>
          alice.gql(CREATE_TASK, { input: { flowRunId: run.id, taskKey: `c${i}` } }),
        ),
        alice.gql(DELETE_RUN, { id: run.id }),
        alice.gql(EMIT, { input: { workspaceId: ws, events: [taskEvent(run.id)] } }),
        alice.gql(CREATE_ARTIFACT, {
          input: { workspaceId: ws, type: 'MARKDOWN', data: 'late', flowRunId: run.id },
        }),
        alice.gql(CREATE_TASK, { input: { flowRunId: run.id, taskKey: 'c3' } }),
      ]),
    );
    // Each write either landed before the deletion (and went with it) or found no run.
    for (const a of answers)
      expect(codes(a).filter((c) => !['NOT_FOUND', 'BAD_USER_INPUT'].includes(c ?? ''))).toEqual(
        [],
      );
    await stack.quiesce();
    expect(await rowsOf(runs)).toEqual(NO_ROWS);
    expect(await orphans()).toEqual(NO_ORPHANS);
  });
});

/**
 * PostgreSQL: a transaction on a connection of its own that runs `fn` and stays open, holding
 * the locks `fn` took, until `end()` rolls it back.
 */
async function holding(fn: (tx: Em) => Promise<unknown>) {
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  const rolledBack = new Error('rolled back');
  let pid!: number;
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const done = db()
    .transactional(async (tx: Em) => {
      const conn = tx.getConnection();
      [{ pid }] = await conn.execute(
        'select pg_backend_pid() as pid',
        [],
        'all',
        tx.getTransactionContext(),
      );
      await fn(tx);
      started();
      await ended;
      throw rolledBack;
    })
    .catch((err: unknown) => {
      if (err !== rolledBack) throw err;
    });
  await Promise.race([ready, done]);
  return {
    pid,
    end: async () => {
      end();
      await done;
    },
  };
}

/** The backend waiting for a lock `pid` holds (polled: the request it serves is under way). */
async function waiterOf(pid: number): Promise<number> {
  const conn = db().getConnection();
  for (let i = 0; i < 500; i++) {
    const rows = await conn.execute<{ pid: number }[]>(
      'select pid from pg_stat_activity where ? = any(pg_blocking_pids(pid))',
      [pid],
    );
    if (rows.length) return rows[0]!.pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing waits for backend ${pid}`);
}

describe.skipIf(testDatabase() !== 'postgres')(
  'a deletion and a task run of the same run at once (PostgreSQL)',
  () => {
    it('a task run created while its run is being deleted waits, then finds no run', async () => {
      const run = await runningRun(0);
      // The deletion is held up at the run's log line, once it has locked the run.
      const log = await holding((tx) =>
        tx
          .getConnection()
          .execute(
            'select seq from log where flow_run_id = ? for update',
            [run.id],
            'all',
            tx.getTransactionContext(),
          ),
      );
      const deletion = alice.gql(DELETE_RUN, { id: run.id });
      const deleter = await waiterOf(log.pid);
      const creation = alice.gql(CREATE_TASK, { input: { flowRunId: run.id, taskKey: 'late' } });
      await waiterOf(deleter);
      await log.end();
      expect((await deletion).data?.deleteFlowRun).toBe(run.id);
      expect(codes(await creation)).toEqual(['NOT_FOUND']);
      expect(await rowsOf([run])).toEqual(NO_ROWS);
      expect(await orphans()).toEqual(NO_ORPHANS);
    });

    it('a deletion that comes while a task run is being created waits for it, then takes it too', async () => {
      const run = await runningRun(0);
      // The creation is held up at its insert by an uncommitted task run of the same id, once
      // it has read (and locked) the run.
      const id = randomUUID();
      const rival = await holding(async (tx) => {
        tx.persist(
          Object.assign(new TaskRun(), {
            id,
            workspaceId: ws,
            flowRunId: run.id,
            taskKey: 'k',
            dynamicKey: '0',
            name: 'k',
            stateType: 'PENDING',
            stateName: 'Pending',
            stateTimestamp: new Date(),
          }),
        );
        await tx.flush();
      });
      const creation = alice.gql(CREATE_TASK, { input: { id, flowRunId: run.id, taskKey: 'k' } });
      const creator = await waiterOf(rival.pid);
      const deletion = alice.gql(DELETE_RUN, { id: run.id });
      await waiterOf(creator);
      await rival.end();
      expect((await creation).data?.createTaskRun.id).toBe(id);
      expect((await deletion).data?.deleteFlowRun).toBe(run.id);
      expect(await rowsOf([{ id: run.id, taskIds: [id] }])).toEqual(NO_ROWS);
      expect(await orphans()).toEqual(NO_ORPHANS);
    });
  },
);
