import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandledEvent, OutboxEvent } from '../../lib/outbox.js';
import type { Subgraph } from '../../lib/subgraph.js';
import type { OperationsContext } from '../../subgraphs/operations/src/context.js';
import { ErrorSummary } from '../../subgraphs/operations/src/error-summaries/error-summary.entity.js';
import {
  ERROR_SUMMARY_CREATED,
  FAILURE_GROUP_CREATED,
  LOG_GRACE_MS,
} from '../../subgraphs/operations/src/error-summaries/summary-writer.service.js';
import { connectWs } from '../harness/ws.js';
import { eventually, expectError, join } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { CORPUS } from '../fixtures/error-summaries/corpus.js';
import { createAutomation, storedEvents } from '../operations/automation-fixtures.js';
import { createDeployment, createFlow, ok } from '../operations/fixtures.js';
import {
  failingRun,
  RUN_SUMMARY,
  setSummaries,
  summaryOf,
  workspaceOf,
  writeSummaries,
} from './helpers.js';

const TRIGGERED = 'flowplane.automation.triggered';
const MISSING_MODULE = CORPUS[0]!.input.logs.map((l) => ({ message: l.message, level: l.level }));

let stack: Stack;
let alice: Actor;
let ws: string;

const operations = () => stack.running.subgraphs.operations as Subgraph<OperationsContext>;
const summaryRows = (where: Partial<ErrorSummary>) =>
  operations()
    .orm.em.fork()
    .find(ErrorSummary, where as never);

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await workspaceOf(stack, alice);
  await setSummaries(stack, alice, true);
});
afterAll(() => stack?.stop());

describe('error summaries of failed and crashed runs', () => {
  it('a FAILED run whose log says ModuleNotFoundError gets a summary naming the module', async () => {
    const { runId, stateId } = await failingRun(alice, ws, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: "Flow run encountered an exception: ModuleNotFoundError: No module named 'pandas'",
    });
    // Nothing is written inside the transition: the summary appears after the writer's pass.
    expect(await summaryOf(alice, runId)).toBeNull();
    expect(await writeSummaries(stack)).toBe(1);
    const s = await summaryOf(alice, runId);
    expect(s).toMatchObject({
      flowRunId: runId,
      stateId,
      engine: 'BUILT_IN',
      fixKind: 'MISSING_MODULE',
      rootCause: {
        exceptionType: 'ModuleNotFoundError',
        message: "No module named 'pandas'",
        file: '/opt/prefect/flows/etl.py',
        line: 14,
        function: 'etl',
        chain: ['ModuleNotFoundError'],
        exitCode: null,
      },
    });
    expect(s.fixHint).toContain('"pandas"');
    expect(s.explanation).toContain('ModuleNotFoundError');
    expect(s.evidence.map((e: { source: string }) => e.source)).toEqual(['LOG', 'STATE_MESSAGE']);
    expect(s.signature).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a CRASHED run with exit code 137 gets the out-of-memory hint', async () => {
    const { runId } = await failingRun(alice, ws, {
      lines: [{ message: 'Loading partitions', level: 20 }],
      final: 'CRASHED',
      message: 'Flow run infrastructure exited with non-zero status code 137.',
    });
    await writeSummaries(stack);
    const s = await summaryOf(alice, runId);
    expect(s.fixKind).toBe('OUT_OF_MEMORY');
    expect(s.rootCause.exitCode).toBe(137);
    expect(s.fixHint).toMatch(/memory/);
    expect(s.explanation).toContain('137');
  });

  it('is written exactly once per failure, even when the state change is delivered again', async () => {
    const { runId, stateId } = await failingRun(alice, ws, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    await writeSummaries(stack);
    // Redeliver the transition's domain event (at-least-once bus): nothing more is written.
    const sub = operations();
    const outbox = (
      await sub.orm.em.fork().find(OutboxEvent, { type: 'flow-run.state-changed' })
    ).filter((o) => o.payload.stateId === stateId);
    expect(outbox).toHaveLength(1);
    const o = outbox[0]!;
    await sub.opts.bus.publish([
      {
        id: o.id,
        type: o.type,
        source: 'operations',
        occurredAt: o.occurredAt.toISOString(),
        payload: o.payload,
        actor: o.actor ?? null,
      },
    ]);
    await writeSummaries(stack);
    expect(await summaryRows({ stateId })).toHaveLength(1);
    expect(
      await sub.orm.em
        .fork()
        .count(HandledEvent, { consumer: 'operations.error-summaries', eventId: o.id }),
    ).toBe(1);
    const events = (await storedEvents(stack, ws, [ERROR_SUMMARY_CREATED])).filter(
      (e) => e.resource.id === `flowplane.flow-run.${runId}`,
    );
    expect(events).toHaveLength(1);
  });

  it('waits for logs that arrive after the FAILED state (Prefect sends them in batches)', async () => {
    const { runId, stateId } = await failingRun(alice, ws, {
      lines: [],
      final: 'FAILED',
      message: null,
    });
    expect(await writeSummaries(stack)).toBe(0);
    expect(await summaryOf(alice, runId)).toBeNull();
    await ok(alice, `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
      input: {
        workspaceId: ws,
        logs: MISSING_MODULE.map((l) => ({
          flowRunId: runId,
          level: l.level,
          message: l.message,
          timestamp: new Date().toISOString(),
        })),
      },
    });
    const [row] = await summaryRows({ stateId });
    expect(row!.status).toBe('PENDING');
    expect(row!.attempts).toBe(0);
    expect(await writeSummaries(stack, new Date(row!.nextAttemptAt.getTime() + 1))).toBe(1);
    expect((await summaryOf(alice, runId)).rootCause.exceptionType).toBe('ModuleNotFoundError');
  });

  it('without any log, writes from the state message once the grace period passed', async () => {
    const { runId, stateId } = await failingRun(alice, ws, {
      lines: [],
      final: 'FAILED',
      message: 'Flow run encountered an exception: ValueError: Unknown region eu-west-9',
    });
    await writeSummaries(stack);
    const [row] = await summaryRows({ stateId });
    await writeSummaries(stack, new Date(row!.failedAt.getTime() + LOG_GRACE_MS));
    const s = await summaryOf(alice, runId);
    expect(s.rootCause).toMatchObject({ exceptionType: 'ValueError', file: null });
    expect(s.evidence.map((e: { source: string }) => e.source)).toEqual(['STATE_MESSAGE']);
  });

  it('a pass that fails (the database) is retried with back-off and then written once', async () => {
    const { runId, stateId } = await failingRun(alice, ws, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    const conn = operations().orm.em.getConnection();
    await conn.execute('alter table task_run rename to task_run_gone');
    try {
      expect(await writeSummaries(stack)).toBe(0);
    } finally {
      await conn.execute('alter table task_run_gone rename to task_run');
    }
    const [row] = await summaryRows({ stateId });
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(row!.lastError).toMatch(/task_run/);
    expect(row!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    // Not due yet: nothing happens; once due, it is written.
    expect(await writeSummaries(stack)).toBe(0);
    expect(await writeSummaries(stack, new Date(row!.nextAttemptAt.getTime() + 1))).toBe(1);
    expect((await summaryOf(alice, runId)).fixKind).toBe('MISSING_MODULE');
    expect((await summaryRows({ stateId }))[0]).toMatchObject({ status: 'READY', attempts: 2 });
  });

  it('subscriptions deliver the summary event', async () => {
    const conn = await connectWs(stack.url, { authorization: `Bearer ${alice.token}` });
    try {
      const sub = conn.subscribe(
        `subscription($w: ID!, $f: EventFilter) { events(workspaceId: $w, filter: $f) { event resource { id } payload } }`,
        { w: ws, f: { names: [ERROR_SUMMARY_CREATED] } },
      );
      const engine = stack.running.gateway!.subscriptions;
      await eventually(async () => expect(engine.registered).toBeGreaterThan(0));
      const { runId } = await failingRun(alice, ws, {
        lines: ['Flow run encountered an exception: ValueError: bad region'],
        final: 'FAILED',
        message: null,
      });
      await writeSummaries(stack);
      const [first] = await sub.waitFor(1);
      expect(first!.data.events).toMatchObject({
        event: ERROR_SUMMARY_CREATED,
        resource: { id: `flowplane.flow-run.${runId}` },
        payload: { exceptionType: 'ValueError', engine: 'BUILT_IN' },
      });
      sub.stop();
      expect(sub.results).toHaveLength(1);
    } finally {
      await conn.dispose();
    }
  });

  it('with the setting off, no summary is written', async () => {
    const bob = await stack.signUp();
    const other = await workspaceOf(stack, bob);
    const { runId, stateId } = await failingRun(bob, other, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    expect(await summaryOf(bob, runId)).toBeNull();
    expect(await summaryRows({ stateId })).toHaveLength(0);
    // Turned on, later failures are summarized; turned off again, not.
    await setSummaries(stack, bob, true);
    const on = await failingRun(bob, other, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    expect((await summaryOf(bob, on.runId)).fixKind).toBe('MISSING_MODULE');
    await setSummaries(stack, bob, false);
    const off = await failingRun(bob, other, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    expect(await summaryOf(bob, off.runId)).toBeNull();
  });

  it('only failures are summarized: a COMPLETED run gets none', async () => {
    await writeSummaries(stack);
    const before = (await summaryRows({ workspaceId: ws })).length;
    const flow = await createFlow(alice, ws);
    const run = await failingRun(alice, ws, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
      flowId: flow.id,
    });
    const res = await alice.gql(
      `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`,
      { input: { flowId: flow.id } },
    );
    const id = res.data.createFlowRun.id;
    for (const type of ['PENDING', 'RUNNING', 'COMPLETED'])
      await alice.gql(
        `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
        { input: { flowRunId: id, state: { type } } },
      );
    await writeSummaries(stack);
    expect((await summaryRows({ workspaceId: ws })).length).toBe(before + 1);
    expect(await summaryOf(alice, id)).toBeNull();
    expect(await summaryOf(alice, run.runId)).not.toBeNull();
  });
});

describe('who may read a summary', () => {
  it('needs see_logs: a Worker (sees runs, not logs) is refused; a Viewer reads it', async () => {
    const { runId } = await failingRun(alice, ws, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    const worker = await join(stack, alice, { workspace: { id: ws, role: 'WORKER' } });
    const viewer = await join(stack, alice, { workspace: { id: ws, role: 'VIEWER' } });
    const refused = await worker.gql(RUN_SUMMARY, { id: runId });
    expectError(refused, 'FORBIDDEN');
    expect((await summaryOf(viewer, runId)).fixKind).toBe('MISSING_MODULE');
  });

  it('another account sees neither the run nor its summary, nor the workspace failure groups', async () => {
    const { runId } = await failingRun(alice, ws, {
      lines: MISSING_MODULE,
      final: 'FAILED',
      message: null,
    });
    await writeSummaries(stack);
    const mallory = await stack.signUp();
    const res = await mallory.gql(RUN_SUMMARY, { id: runId });
    expect(res.data?.flowRun ?? null).toBeNull();
    const groups = await mallory.gql(
      `query($id: ID!, $since: DateTime!) { workspace(id: $id) { failureGroups(since: $since) { count } } }`,
      { id: ws, since: new Date(0).toISOString() },
    );
    expect(groups.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('failure groups', () => {
  const GROUPS = `query($id: ID!, $since: DateTime!, $d: ID) { workspace(id: $id) {
    failureGroups(since: $since, deploymentId: $d) {
      signature exceptionType message userFrame fixKind count firstSeen lastSeen
      deployments { id } latestRun { id }
    } } }`;

  it('merge runs that differ only in ids and numbers, separate other causes, and announce new ones', async () => {
    const carol = await stack.signUp();
    const w = await workspaceOf(stack, carol);
    await setSummaries(stack, carol, true);
    const flow = await createFlow(carol, w);
    const d1 = await createDeployment(carol, flow.id);
    const d2 = await createDeployment(carol, flow.id);
    const since = new Date(Date.now() - 60_000).toISOString();
    const charge = (order: string, amount: number) =>
      `Encountered exception during execution:
Traceback (most recent call last):
  File "/opt/flows/billing.py", line 40, in charge
    pay(order)
ValueError: order ${order} of ${amount} EUR was declined`;
    const runs = [];
    runs.push(
      await failingRun(carol, w, {
        lines: [charge('6f1c2a3b-0000-4000-8000-000000000001', 12)],
        final: 'FAILED',
        message: null,
        deploymentId: d1.id,
      }),
    );
    runs.push(
      await failingRun(carol, w, {
        lines: [charge('0a9b8c7d-1111-4111-8111-111111111112', 990)],
        final: 'FAILED',
        message: null,
        deploymentId: d2.id,
      }),
    );
    await writeSummaries(stack);
    runs.push(
      await failingRun(carol, w, {
        lines: [charge('11111111-2222-4333-8444-555555555555', 7)],
        final: 'FAILED',
        message: null,
        deploymentId: d1.id,
      }),
    );
    runs.push(
      await failingRun(carol, w, {
        lines: MISSING_MODULE,
        final: 'FAILED',
        message: null,
        deploymentId: d2.id,
      }),
    );
    await writeSummaries(stack);

    const res = await carol.gql(GROUPS, { id: w, since });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const groups = res.data.workspace.failureGroups;
    expect(groups).toHaveLength(2);
    const declined = groups.find((g: any) => g.exceptionType === 'ValueError');
    expect(declined).toMatchObject({
      count: 3,
      message: 'ValueError: order <id> of <n> EUR was declined',
      userFrame: '/opt/flows/billing.py:charge',
      fixKind: null,
      latestRun: { id: runs[2]!.runId },
    });
    expect(declined.deployments.map((d: any) => d.id).sort()).toEqual([d1.id, d2.id].sort());
    expect(Date.parse(declined.firstSeen)).toBeLessThanOrEqual(Date.parse(declined.lastSeen));
    const missing = groups.find((g: any) => g.exceptionType === 'ModuleNotFoundError');
    expect(missing).toMatchObject({ count: 1, fixKind: 'MISSING_MODULE' });

    // Only one deployment's runs.
    const onlyD1 = await carol.gql(GROUPS, { id: w, since, d: d1.id });
    expect(onlyD1.data.workspace.failureGroups.map((g: any) => [g.exceptionType, g.count])).toEqual(
      [['ValueError', 2]],
    );
    // A window after everything: nothing.
    const later = await carol.gql(GROUPS, {
      id: w,
      since: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(later.data.workspace.failureGroups).toEqual([]);
    // One event per new signature, not per failure.
    const announced = await storedEvents(stack, w, [FAILURE_GROUP_CREATED]);
    expect(announced).toHaveLength(2);
    // Bad input names the field.
    expectError(
      await carol.gql(GROUPS, { id: w, since, d: 'nope' }),
      'BAD_USER_INPUT',
      'deploymentId',
    );
  });
});

describe('automations on new failure groups', () => {
  it('an automation triggers on a new signature, not on repeats of a known one', async () => {
    const dave = await stack.signUp();
    const w = await workspaceOf(stack, dave);
    await setSummaries(stack, dave, true);
    await createAutomation(dave, {
      workspaceId: w,
      name: 'New kind of failure',
      trigger: {
        event: {
          match: { ids: ['flowplane.failure-group.*'] },
          expect: [FAILURE_GROUP_CREATED],
          posture: 'REACTIVE',
          threshold: 1,
          withinSeconds: 60,
        },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const fired = async () => (await storedEvents(stack, w, [TRIGGERED])).length;
    await failingRun(dave, w, { lines: MISSING_MODULE, final: 'FAILED', message: null });
    await writeSummaries(stack);
    expect(await fired()).toBe(1);
    await failingRun(dave, w, { lines: MISSING_MODULE, final: 'FAILED', message: null });
    await writeSummaries(stack);
    expect(await fired()).toBe(1);
    await failingRun(dave, w, {
      lines: [],
      final: 'CRASHED',
      message: 'Flow run infrastructure exited with non-zero status code 137.',
    });
    await writeSummaries(stack);
    expect(await fired()).toBe(2);
  });
});
