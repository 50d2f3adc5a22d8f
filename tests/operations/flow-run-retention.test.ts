import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent } from '../../lib/outbox.js';
import type { Subgraph } from '../../lib/subgraph.js';
import { Artifact } from '../../subgraphs/operations/src/artifacts/artifact.entity.js';
import type { OperationsContext } from '../../subgraphs/operations/src/context.js';
import { FlowRun } from '../../subgraphs/operations/src/flow-runs/flow-run.entity.js';
import { FLOW_RUN_PURGED } from '../../subgraphs/operations/src/flow-runs/flow-run.cleanup.js';
import { flowRunRetentionService } from '../../subgraphs/operations/src/flow-runs/flow-run-retention.js';
import {
  FlowRunCredential,
  PushSubmission,
} from '../../subgraphs/operations/src/push-pools/push-entities.js';
import { addMember, createWorkspace } from '../access/fixtures.js';
import { setSummaries } from '../error-summaries/helpers.js';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { createFlow, createRun, ok, setState } from './fixtures.js';
import { fillRun, NO_ROWS, rowsOf as countRows, type Run } from './run-rows.js';

const DAY = 24 * 3600 * 1000;
const RETENTION = `mutation($input: SetFlowRunRetentionInput!) { setFlowRunRetention(input: $input) { id flowRunRetentionDays } }`;
const DAYS = `query($id: ID!) { workspace(id: $id) { flowRunRetentionDays } }`;
const CREATE_ARTIFACT = `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id } }`;

let stack: Stack;
let alice: Actor;
const ops = () => stack.running.subgraphs.operations as Subgraph<OperationsContext>;
const db = () => ops().orm.em.fork();
const now = Date.now();
const daysAgo = (days: number) => new Date(now - days * DAY);

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  // Failed runs get an error summary row (PENDING): it must go with its run.
  await setSummaries(stack, alice, true);
});
afterAll(async () => {
  await stack?.stop();
});

async function workspace(): Promise<string> {
  const ws = await createWorkspace(alice);
  await stack.quiesce();
  return ws.id;
}

/**
 * A run that ran `tasks` task runs, logged from the flow and each task, made artifacts (one of
 * the flow run, one of a task run only) and entered `final`.
 */
async function runTo(
  workspaceId: string,
  final: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'RUNNING',
  tasks = 2,
): Promise<Run> {
  const run = await createRun(alice, { flowId: (await createFlow(alice, workspaceId)).id });
  await setState(alice, run.id, { type: 'PENDING' });
  await setState(alice, run.id, { type: 'RUNNING' });
  const filled = await fillRun(alice, workspaceId, run.id, tasks);
  if (final !== 'RUNNING')
    await setState(alice, run.id, { type: final }, final === 'CANCELLED' ? { force: true } : {});
  return filled;
}

/** Moves a run's end back in time, as if it had ended `days` ago. */
async function endedAgo(run: Run, days: number): Promise<void> {
  await db().nativeUpdate(FlowRun, { id: run.id }, { endTime: daysAgo(days) });
}

/** Rows of each table that belong to these runs. */
const rowsOf = (runs: Run[]) => countRows(db(), runs);

/** A push pool's submission and credential of a run, as the push service leaves them. */
async function pushed(workspaceId: string, run: Run): Promise<void> {
  const em = db();
  em.create(PushSubmission, {
    workspaceId,
    flowRunId: run.id,
    workPoolId: randomUUID(),
    poolType: 'webhook-push',
    status: 'SUBMITTED',
  } as PushSubmission);
  em.create(FlowRunCredential, {
    workspaceId,
    accountId: alice.accountId,
    flowRunId: run.id,
    keyHash: randomBytes(32).toString('hex'),
    expiresAt: new Date(now + DAY),
  } as FlowRunCredential);
  await em.flush();
}

describe('flow-run retention', () => {
  it('purges finished runs older than each workspace’s retention with all that hangs off them, and nothing else', async () => {
    const a = await workspace();
    const b = await workspace();
    expect(
      (await ok(alice, RETENTION, { input: { workspaceId: b, days: 7 } })).setFlowRunRetention,
    ).toEqual({ id: b, flowRunRetentionDays: 7 });

    // Workspace a keeps the default 30 days.
    const completedOld = await runTo(a, 'COMPLETED');
    const failedOld = await runTo(a, 'FAILED');
    const runningOld = await runTo(a, 'RUNNING');
    const retried = await runTo(a, 'COMPLETED');
    const completed20 = await runTo(a, 'COMPLETED');
    // Workspace b keeps 7 days: 10 days is too old there.
    const completed10 = await runTo(b, 'COMPLETED');
    const cancelledOld = await runTo(b, 'CANCELLED', 1);
    const completed3 = await runTo(b, 'COMPLETED');
    await endedAgo(completedOld, 40);
    await endedAgo(failedOld, 31);
    await endedAgo(completed20, 20);
    await endedAgo(completed10, 10);
    await endedAgo(cancelledOld, 40);
    await endedAgo(completed3, 3);
    // Old but not finished: a run RUNNING for 40 days, and a finished run that was retried (a
    // stale end time on it must not matter: only terminal runs are purged).
    await db().nativeUpdate(
      FlowRun,
      { id: runningOld.id },
      { createdAt: daysAgo(40), startTime: daysAgo(40), stateTimestamp: daysAgo(40) },
    );
    const retry = await setState(
      alice,
      retried.id,
      { type: 'SCHEDULED', name: 'AwaitingRetry' },
      { force: true },
    );
    expect(retry.state.type).toBe('SCHEDULED');
    await endedAgo(retried, 40);
    // A subflow (not finished) of a task of a purged run: it stays, its parent reads as null.
    const subflow = await createRun(alice, {
      flowId: (await createFlow(alice, a)).id,
      parentTaskRunId: completedOld.taskIds[0],
    });
    const child: Run = { id: subflow.id, taskIds: [] };
    await pushed(a, completedOld);
    await pushed(a, completed20);
    // An artifact of no run stays whatever its age.
    const loose = await ok(alice, CREATE_ARTIFACT, {
      input: { workspaceId: a, type: 'MARKDOWN', data: 'standalone', key: `loose-${uid(4)}` },
    });
    await stack.quiesce();

    const purged = [completedOld, failedOld, completed10, cancelledOld];
    const kept = [runningOld, retried, completed20, completed3, child];
    const purgedBefore = await rowsOf(purged);
    expect(purgedBefore).toEqual({
      flowRun: 4,
      taskRun: 7,
      // Flow runs: SCHEDULED, PENDING, RUNNING, final (4 × 4); task runs: RUNNING, COMPLETED,
      // and a SCHEDULED forced onto completedOld's first task by its subflow (7 × 2 + 1).
      runState: 16 + 15,
      log: 4 + 7,
      artifact: 4 + 4,
      errorSummary: 1,
      pushSubmission: 1,
      flowRunCredential: 1,
    });
    const keptBefore = await rowsOf(kept);
    expect(keptBefore.flowRun).toBe(5);
    expect(keptBefore.pushSubmission).toBe(1);

    const service = ops().services.find((s) => s.name === 'flow-run-retention')!;
    expect(await service.runOnce(new Date(now))).toBe(4);
    await stack.quiesce();
    expect(await rowsOf(purged)).toEqual(NO_ROWS);
    expect(await rowsOf(kept)).toEqual(keptBefore);
    expect(await db().count(Artifact, { id: loose.createArtifact.id })).toBe(1);
    const PARENT = `query($id: ID!) { flowRun(id: $id) { parentTaskRun { id } } }`;
    expect((await ok(alice, PARENT, { id: child.id })).flowRun.parentTaskRun).toBeNull();

    // Nothing more now; eleven days on, the 20-day run of a (31 days) and the 3-day run of b
    // (14 days) have passed their workspaces' retention. Unfinished runs never go.
    expect(await service.runOnce(new Date(now))).toBe(0);
    const unfinished = [runningOld, retried, child];
    const unfinishedBefore = await rowsOf(unfinished);
    expect(unfinishedBefore.flowRun).toBe(3);
    expect(await service.runOnce(new Date(now + 11 * DAY))).toBe(2);
    await stack.quiesce();
    expect(await rowsOf([completed20, completed3])).toEqual(NO_ROWS);
    expect(await rowsOf(unfinished)).toEqual(unfinishedBefore);
    expect(await service.runOnce(new Date(now + 400 * DAY))).toBe(0);
    expect(await rowsOf(unfinished)).toEqual(unfinishedBefore);
  });

  it('purges in transactions of bounded size, a run whole with its task runs', async () => {
    const c = await workspace();
    // Task runs per run, in the order they ended: batches of at most 2 runs and 3 task runs
    // take [r1], [r2, r3], [r4], [r5] (a run alone over the budget still goes).
    const shape = [2, 2, 0, 4, 1];
    const runs: Run[] = [];
    for (const [i, tasks] of shape.entries()) {
      const run = await runTo(c, 'COMPLETED', tasks);
      await db().nativeUpdate(
        FlowRun,
        { id: run.id },
        { endTime: new Date(now - 40 * DAY + i * 60_000) },
      );
      runs.push(run);
    }
    const service = flowRunRetentionService(ops(), { runs: 2, taskRuns: 3 });
    expect(await service.runOnce(new Date(now))).toBe(5);
    expect(await rowsOf(runs)).toEqual(NO_ROWS);
    const batches = (
      await db().find(OutboxEvent, { type: FLOW_RUN_PURGED }, { orderBy: { seq: 'asc' } })
    )
      .filter((e) => e.payload.workspaceId === c)
      .map((e) => e.payload.runIds);
    const [r1, r2, r3, r4, r5] = runs.map((r) => r.id);
    expect(batches).toEqual([[r1], [r2, r3], [r4], [r5]]);
  });
});

describe('the flowRunRetentionDays setting', () => {
  it('is validated, naming the field', async () => {
    const ws = await workspace();
    for (const days of [0, 366, -5]) {
      const res = await alice.gql(RETENTION, { input: { workspaceId: ws, days } });
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors?.[0]?.extensions?.field).toBe('days');
    }
    expect(codes(await alice.gql(RETENTION, { input: { workspaceId: ws, days: 1.5 } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect((await ok(alice, DAYS, { id: ws })).workspace.flowRunRetentionDays).toBe(30);
    for (const days of [1, 365])
      expect(
        (await ok(alice, RETENTION, { input: { workspaceId: ws, days } })).setFlowRunRetention
          .flowRunRetentionDays,
      ).toBe(days);
  });

  it('is set by who manages the workspace’s settings, read by any member, and audited', async () => {
    const ws = await workspace();
    const viewer = await addMember(stack, alice, { id: ws, role: 'VIEWER' });
    expect((await ok(viewer, DAYS, { id: ws })).workspace.flowRunRetentionDays).toBe(30);
    expect(codes(await viewer.gql(RETENTION, { input: { workspaceId: ws, days: 3 } }))).toEqual([
      'FORBIDDEN',
    ]);
    const stranger = await stack.signUp();
    expect(codes(await stranger.gql(RETENTION, { input: { workspaceId: ws, days: 3 } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect((await ok(alice, DAYS, { id: ws })).workspace.flowRunRetentionDays).toBe(30);

    await ok(alice, RETENTION, { input: { workspaceId: ws, days: 14 } });
    await ok(alice, RETENTION, { input: { workspaceId: ws, days: 90 } });
    expect((await ok(viewer, DAYS, { id: ws })).workspace.flowRunRetentionDays).toBe(90);
    await stack.quiesce();
    const audit = await ok(
      alice,
      `query($id: ID!) { auditEvents(accountId: $id, first: 10, filter: { actionPrefix: "workspace.flow-run-retention-set" }) { edges { node { action resourceId summary } } } }`,
      { id: alice.accountId },
    );
    expect(
      audit.auditEvents.edges
        .map((e: any) => e.node)
        .filter((n: any) => n.resourceId === ws)
        .map((n: any) => n.summary),
    ).toEqual([
      { days: 90, previousDays: 14 },
      { days: 14, previousDays: 30 },
    ]);
  });
});
