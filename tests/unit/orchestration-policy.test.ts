/**
 * The orchestration policy's rules without a database: `decide` (the first `before` answer),
 * `runAfterHooks` (the bookkeeping on the run), `complete` and `toProposal`. The transitions
 * chosen here never reach a rule that reads the database (those are covered end to end in
 * tests/operations/orchestration.test.ts), so the context carries no entity manager.
 */
import { describe, expect, it } from 'vitest';
import type { Em } from '../../lib/orm.js';
import { FlowRun } from '../../subgraphs/operations/src/flow-runs/flow-run.entity.js';
import {
  complete,
  decide,
  DEFAULT_PAUSE_TIMEOUT_SECONDS,
  runAfterHooks,
  type Decision,
  type Proposal,
  type TransitionContext,
} from '../../subgraphs/operations/src/orchestration/policy.js';
import { toProposal } from '../../subgraphs/operations/src/orchestration/proposal.js';
import {
  DEFAULT_NAME,
  SetStateStatus,
  STATE_TYPES,
  StateType,
  TERMINAL,
} from '../../subgraphs/operations/src/orchestration/state-type.js';

const S = StateType;
const NOW = new Date('2026-01-01T12:00:00.000Z');
const NO_DB = undefined as unknown as Em;

type Current = { type: StateType; name?: string; details?: Record<string, unknown>; at?: Date };

function flowRun(current: Current | null, fields: Partial<FlowRun> = {}): FlowRun {
  const run = Object.assign(new FlowRun(), { workspaceId: 'w', flowId: 'f', name: 'r' }, fields);
  if (current) {
    run.stateId = 'state-0';
    run.stateType = current.type;
    run.stateName = current.name ?? DEFAULT_NAME[current.type];
    run.stateDetails = current.details ?? {};
    run.stateTimestamp = current.at ?? NOW;
  }
  return run;
}

function proposal(type: StateType, name?: string, details: Record<string, unknown> = {}) {
  return { type, name: name ?? DEFAULT_NAME[type], message: null, details } as Proposal;
}

/** The context `orchestrate` builds for a run and a proposal. */
function context(run: FlowRun, proposed: Proposal, now = NOW): TransitionContext {
  return {
    em: NO_DB,
    kind: 'FLOW',
    run,
    initial: run.stateId
      ? {
          type: run.stateType,
          name: run.stateName,
          timestamp: run.stateTimestamp,
          details: run.stateDetails,
        }
      : null,
    proposed: complete(proposed, now),
    now,
  };
}

const decideOn = (run: FlowRun, p: Proposal, now = NOW) => decide(context(run, p, now));

/** What `orchestrate` makes of a proposal, applied to the run in memory (no state row). */
async function step(run: FlowRun, p: Proposal, now: Date): Promise<Decision | undefined> {
  const decision = await decideOn(run, p, now);
  const next = decision ? decision.replacement : p;
  if (next) {
    const c = context(run, next, now);
    await runAfterHooks(c);
    Object.assign(run, {
      stateId: `state-${now.getTime()}`,
      stateType: c.proposed.type,
      stateName: c.proposed.name,
      stateDetails: c.proposed.details,
      stateTimestamp: now,
    });
  }
  return decision;
}

const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('orchestration rules (decide)', () => {
  it('accepts a new run that starts SCHEDULED or PENDING, refuses one that starts CANCELLING or PAUSED', async () => {
    expect(await decideOn(flowRun(null), proposal(S.SCHEDULED))).toBeUndefined();
    expect(await decideOn(flowRun(null), proposal(S.PENDING))).toBeUndefined();
    for (const type of [S.CANCELLING, S.PAUSED]) {
      const d = await decideOn(flowRun(null), proposal(type));
      expect(d?.status).toBe(SetStateStatus.REJECT);
      expect(d?.reason).toContain(`cannot start ${type}`);
    }
  });

  it('lets a SCHEDULED run skip straight to COMPLETED (or CANCELLED)', async () => {
    for (const type of [S.COMPLETED, S.CANCELLED]) {
      expect(await decideOn(flowRun({ type: S.SCHEDULED }), proposal(type))).toBeUndefined();
    }
  });

  it('rejects RUNNING → RUNNING with the same name, accepts a new sub-state (Retrying)', async () => {
    const same = await decideOn(flowRun({ type: S.RUNNING }), proposal(S.RUNNING));
    expect(same).toMatchObject({ status: SetStateStatus.REJECT });
    expect(same?.reason).toContain('already RUNNING');
    expect(await decideOn(flowRun({ type: S.RUNNING }), proposal(S.RUNNING, 'Retrying'))).toBe(
      undefined,
    );
  });

  it('rejects a repeated transitionId even when the proposed state differs', async () => {
    const run = flowRun({ type: S.PENDING, details: { transitionId: 'tx-1' } });
    const again = await decideOn(run, proposal(S.RUNNING, undefined, { transitionId: 'tx-1' }));
    expect(again).toMatchObject({ status: SetStateStatus.REJECT });
    expect(again?.reason).toContain('transitionId');
    expect(
      await decideOn(run, proposal(S.RUNNING, undefined, { transitionId: 'tx-2' })),
    ).toBeUndefined();
  });

  it('treats a SCHEDULED proposal at another time as a reschedule, the same time as a duplicate', async () => {
    const at = later(60).toISOString();
    const run = flowRun({ type: S.SCHEDULED, details: { scheduledTime: at } });
    expect(
      await decideOn(
        run,
        proposal(S.SCHEDULED, undefined, { scheduledTime: later(120).toISOString() }),
      ),
    ).toBeUndefined();
    const dup = await decideOn(run, proposal(S.SCHEDULED, undefined, { scheduledTime: at }));
    expect(dup?.status).toBe(SetStateStatus.REJECT);
  });

  it('never leaves a terminal state except to SCHEDULED (ABORT, not REJECT)', async () => {
    for (const from of TERMINAL) {
      for (const to of STATE_TYPES) {
        const name = to === from ? 'Other' : undefined; // not a duplicate: this rule answers
        const d = await decideOn(flowRun({ type: from }), proposal(to, name));
        if (to === S.SCHEDULED) expect(d, `${from} → ${to}`).toBeUndefined();
        else {
          expect(d?.status, `${from} → ${to}`).toBe(SetStateStatus.ABORT);
          expect(d?.reason).toContain(`already ${from}`);
        }
      }
    }
  });

  it('answers an identical terminal proposal as a duplicate (REJECT) before the terminal rule', async () => {
    const d = await decideOn(flowRun({ type: S.COMPLETED }), proposal(S.COMPLETED));
    expect(d?.status).toBe(SetStateStatus.REJECT);
  });

  it('marks only a SCHEDULED run Late', async () => {
    const d = await decideOn(flowRun({ type: S.PENDING }), proposal(S.SCHEDULED, 'Late'));
    expect(d?.status).toBe(SetStateStatus.REJECT);
    expect(d?.reason).toContain('Late');
    expect(await decideOn(flowRun(null), proposal(S.SCHEDULED, 'Late'))).toMatchObject({
      status: SetStateStatus.REJECT,
    });
    expect(
      await decideOn(flowRun({ type: S.SCHEDULED }), proposal(S.SCHEDULED, 'Late')),
    ).toBeUndefined();
  });

  it('cancels from PENDING; a CANCELLING run only ends', async () => {
    expect(await decideOn(flowRun({ type: S.PENDING }), proposal(S.CANCELLING))).toBeUndefined();
    expect(await decideOn(flowRun({ type: S.PENDING }), proposal(S.CANCELLED))).toBeUndefined();
    const cancelling = flowRun({ type: S.CANCELLING });
    for (const to of STATE_TYPES) {
      const d = await decideOn(cancelling, proposal(to, to === S.CANCELLING ? 'Other' : undefined));
      if (TERMINAL.has(to)) expect(d, `CANCELLING → ${to}`).toBeUndefined();
      else expect(d?.status, `CANCELLING → ${to}`).toBe(SetStateStatus.REJECT);
    }
  });

  it('never steps back from PENDING or RUNNING; PENDING → PENDING only to a sub-state', async () => {
    for (const [from, to] of [
      [S.RUNNING, S.PENDING],
      [S.RUNNING, S.SCHEDULED],
      [S.PENDING, S.SCHEDULED],
    ] as const) {
      const d = await decideOn(flowRun({ type: from }), proposal(to));
      expect(d?.status, `${from} → ${to}`).toBe(SetStateStatus.REJECT);
      expect(d?.reason).toContain('cannot go back');
    }
    expect(
      await decideOn(flowRun({ type: S.PENDING }), proposal(S.PENDING, 'Submitting')),
    ).toBeUndefined();
    const back = await decideOn(
      flowRun({ type: S.PENDING, name: 'Submitting' }),
      proposal(S.PENDING),
    );
    expect(back?.reason).toContain('another worker');
  });

  it('pauses only a RUNNING run and resumes only before the pause expires', async () => {
    for (const from of [S.SCHEDULED, S.PENDING]) {
      expect((await decideOn(flowRun({ type: from }), proposal(S.PAUSED)))?.status).toBe(
        SetStateStatus.REJECT,
      );
    }
    expect(await decideOn(flowRun({ type: S.RUNNING }), proposal(S.PAUSED))).toBeUndefined();
    const paused = (expires: Date) => flowRun({ type: S.PAUSED }, { pauseExpiresAt: expires });
    expect(await decideOn(paused(later(1)), proposal(S.RUNNING))).toBeUndefined();
    // Expiring exactly now is expired.
    expect((await decideOn(paused(NOW), proposal(S.RUNNING)))?.status).toBe(SetStateStatus.ABORT);
    expect((await decideOn(paused(later(-5)), proposal(S.PENDING)))?.status).toBe(
      SetStateStatus.ABORT,
    );
  });

  it('makes a SCHEDULED run wait for its time, rounding the delay up', async () => {
    const run = flowRun({ type: S.SCHEDULED }, { nextScheduledStartTime: later(1.5) });
    const d = await decideOn(run, proposal(S.PENDING));
    expect(d).toMatchObject({ status: SetStateStatus.WAIT, delaySeconds: 2 });
    expect(await decideOn(run, proposal(S.PENDING), later(1.5))).toBeUndefined();
  });

  it('retries a failed attempt while attempts remain, as AwaitingRetry after the delay', async () => {
    const run = flowRun({ type: S.RUNNING }, { retries: 2, runCount: 2, retryDelaySeconds: 30 });
    const failed = { ...proposal(S.FAILED), message: 'boom' };
    const d = await decideOn(run, failed);
    expect(d?.status).toBe(SetStateStatus.REJECT);
    expect(d?.reason).toBe('Retrying: attempt 3 of 3');
    expect(d?.replacement).toEqual({
      type: S.SCHEDULED,
      name: 'AwaitingRetry',
      message: 'boom',
      details: { scheduledTime: later(30).toISOString(), retryAttempt: 3 },
    });
    run.runCount = 3;
    expect(await decideOn(run, failed)).toBeUndefined();
    expect(
      await decideOn(flowRun({ type: S.RUNNING }, { runCount: 1 }), proposal(S.FAILED)),
    ).toBeUndefined();
  });
});

describe('orchestration bookkeeping (runAfterHooks)', () => {
  it('runs a retry cycle to the end: attempts counted, run time summed, FAILED accepted last', async () => {
    const run = flowRun(null, { retries: 1, retryDelaySeconds: 10 });
    expect(await step(run, proposal(S.SCHEDULED), NOW)).toBeUndefined();
    expect(run.expectedStartTime).toEqual(NOW);
    expect(await step(run, proposal(S.PENDING), later(1))).toBeUndefined();
    expect(await step(run, proposal(S.RUNNING), later(2))).toBeUndefined();
    expect(run).toMatchObject({ runCount: 1, startTime: later(2) });

    const retry = await step(run, proposal(S.FAILED), later(7));
    expect(retry?.status).toBe(SetStateStatus.REJECT);
    expect(run).toMatchObject({
      stateType: S.SCHEDULED,
      stateName: 'AwaitingRetry',
      totalRunTime: 5,
      nextScheduledStartTime: later(17),
      expectedStartTime: NOW, // a retry does not move the first expected start
      endTime: null,
    });

    expect(await step(run, proposal(S.PENDING), later(10))).toMatchObject({
      status: SetStateStatus.WAIT,
      delaySeconds: 7,
    });
    expect(await step(run, proposal(S.PENDING), later(17))).toBeUndefined();
    expect(await step(run, proposal(S.RUNNING, 'Retrying'), later(18))).toBeUndefined();
    expect(run.runCount).toBe(2);
    expect(run.startTime).toEqual(later(2)); // the first start stays

    expect(await step(run, proposal(S.FAILED), later(21))).toBeUndefined();
    expect(run).toMatchObject({
      stateType: S.FAILED,
      totalRunTime: 8,
      endTime: later(21),
      nextScheduledStartTime: null,
    });
  });

  it('counts no new attempt on RUNNING → RUNNING', async () => {
    const run = flowRun({ type: S.RUNNING, at: NOW }, { runCount: 1 });
    await step(run, proposal(S.RUNNING, 'Retrying'), later(4));
    expect(run.runCount).toBe(1);
    expect(run.totalRunTime).toBe(0);
  });

  it('SCHEDULED → COMPLETED ends the run without an attempt', async () => {
    const run = flowRun({ type: S.SCHEDULED }, { nextScheduledStartTime: NOW });
    await step(run, proposal(S.COMPLETED), later(3));
    expect(run).toMatchObject({
      runCount: 0,
      startTime: null,
      endTime: later(3),
      nextScheduledStartTime: null,
      expectedStartTime: later(3),
    });
  });

  it('a reschedule out of a terminal state clears the end time', async () => {
    const run = flowRun({ type: S.CRASHED }, { endTime: NOW, runCount: 1 });
    await step(
      run,
      proposal(S.SCHEDULED, undefined, { scheduledTime: later(60).toISOString() }),
      later(1),
    );
    expect(run.endTime).toBeNull();
    expect(run.nextScheduledStartTime).toEqual(later(60));
  });

  it('a pause expires after its timeout (default one hour) and the expiry is cleared on resume', async () => {
    const run = flowRun({ type: S.RUNNING });
    await step(run, proposal(S.PAUSED, undefined, { pauseTimeoutSeconds: 90 }), NOW);
    expect(run.pauseExpiresAt).toEqual(later(90));
    await step(run, proposal(S.RUNNING), later(10));
    expect(run.pauseExpiresAt).toBeNull();
    await step(run, proposal(S.PAUSED), later(20));
    expect(run.pauseExpiresAt).toEqual(later(20 + DEFAULT_PAUSE_TIMEOUT_SECONDS));
  });

  it('a deployment slot is held while PENDING/RUNNING and released by any other state', async () => {
    const run = flowRun({ type: S.SCHEDULED }, { deploymentId: 'd' });
    await runAfterHooks(context(run, proposal(S.PENDING)));
    expect(run.holdsDeploymentSlot).toBe(true);
    run.stateType = S.RUNNING;
    await runAfterHooks(context(run, proposal(S.CANCELLED)));
    expect(run.holdsDeploymentSlot).toBe(false);
    const noDeployment = flowRun({ type: S.SCHEDULED });
    await runAfterHooks(context(noDeployment, proposal(S.RUNNING)));
    expect(noDeployment.holdsDeploymentSlot).toBe(false);
  });
});

describe('proposals (complete, toProposal)', () => {
  it('complete fills a SCHEDULED time and a pause expiry, keeping given ones', () => {
    expect(complete(proposal(S.SCHEDULED), NOW).details.scheduledTime).toBe(NOW.toISOString());
    const given = later(5).toISOString();
    expect(
      complete(proposal(S.SCHEDULED, undefined, { scheduledTime: given }), NOW).details,
    ).toEqual({
      scheduledTime: given,
    });
    expect(
      complete(proposal(S.PAUSED, undefined, { pauseTimeoutSeconds: 30 }), NOW).details
        .pauseExpiresAt,
    ).toBe(later(30).toISOString());
    expect(complete(proposal(S.RUNNING), NOW).details).toEqual({});
  });

  it('toProposal names the field of each bad input', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { extensions: { code: string; field: string } }).extensions;
      }
      throw new Error('accepted');
    };
    const bad = (input: object) => field(() => toProposal(input as never));
    expect(bad({ type: 'DONE' })).toEqual({ code: 'BAD_USER_INPUT', field: 'state.type' });
    expect(bad({ type: S.RUNNING, name: '   ' }).field).toBe('state.name');
    expect(bad({ type: S.RUNNING, name: 'x'.repeat(51) }).field).toBe('state.name');
    expect(bad({ type: S.RUNNING, details: [1] }).field).toBe('state.details');
    expect(bad({ type: S.SCHEDULED, details: { scheduledTime: 'soon' } }).field).toBe(
      'state.details.scheduledTime',
    );
    expect(bad({ type: S.RUNNING, details: { scheduledTime: NOW.toISOString() } }).field).toBe(
      'state.details.scheduledTime',
    );
    for (const pauseTimeoutSeconds of [0, 1.5, '60', 30 * 24 * 3600 + 1]) {
      expect(bad({ type: S.PAUSED, details: { pauseTimeoutSeconds } }).field).toBe(
        'state.details.pauseTimeoutSeconds',
      );
    }
    expect(field(() => toProposal({ type: 'X' } as never, 'flowRun.state')).field).toBe(
      'flowRun.state.type',
    );
  });

  it('toProposal defaults the name, normalises the time and drops a client-set pause expiry', () => {
    const p = toProposal({
      type: S.SCHEDULED,
      name: ' Late ',
      details: { scheduledTime: '2026-01-01T13:00:00+01:00', pauseExpiresAt: 'x', k: 1 },
    } as never);
    expect(p).toEqual({
      type: S.SCHEDULED,
      name: 'Late',
      message: null,
      details: { scheduledTime: NOW.toISOString(), k: 1 },
    });
    expect(toProposal({ type: S.CANCELLING } as never).name).toBe('Cancelling');
  });
});
