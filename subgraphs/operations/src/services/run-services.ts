import type { BackgroundService } from '../../../../lib/background.js';
import type { Em } from '../../../../lib/orm.js';
import type { Subgraph } from '../../../../lib/subgraph.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { orchestrate, type Proposal } from '../orchestration/policy.js';
import { StateType } from '../orchestration/state-type.js';
import { Worker, WorkerStatus } from '../work-pools/worker.entity.js';
import { backgroundEm, skipLocked } from './background-em.js';

/** SCHEDULED runs this long past their time become Late. */
export const LATE_AFTER_MS = 15_000;
const BATCH = 100;

/**
 * Proposes a state for batches of runs matching `where`, each batch in one transaction with its
 * rows taken FOR UPDATE SKIP LOCKED (PostgreSQL), so instances split the work.
 */
async function transitionAll(
  sub: Subgraph<any>,
  where: (now: Date) => object,
  proposal: (run: FlowRun, now: Date) => Proposal,
  now: Date,
): Promise<number> {
  const em = backgroundEm(sub.orm);
  let changed = 0;
  for (;;) {
    const n = await em.fork().transactional(async (tx: Em) => {
      const runs = await tx.find(FlowRun, where(now) as never, {
        ...skipLocked(tx),
        orderBy: { id: 'asc' },
        limit: BATCH,
      });
      let accepted = 0;
      for (const run of runs) {
        const r = await orchestrate(tx, 'FLOW', run, proposal(run, now), { now });
        if (r.status === 'ACCEPT') accepted++;
      }
      return { seen: runs.length, accepted };
    });
    changed += n.accepted;
    if (n.seen < BATCH || n.accepted === 0) break;
  }
  if (changed) await sub.relay.flush().catch(() => undefined);
  return changed;
}

/** Marks SCHEDULED runs 15 s past their scheduled time as Late (through the policy). */
export function lateRunsService(sub: Subgraph<any>): BackgroundService {
  return {
    name: 'late-runs',
    intervalMs: 5_000,
    runOnce: (now = new Date()) =>
      transitionAll(
        sub,
        (t) => ({
          stateType: StateType.SCHEDULED,
          stateName: { $ne: 'Late' },
          nextScheduledStartTime: { $lte: new Date(t.getTime() - LATE_AFTER_MS) },
        }),
        (run) => ({
          type: StateType.SCHEDULED,
          name: 'Late',
          message: null,
          details: { ...run.stateDetails, transitionId: undefined },
        }),
        now,
      ),
  };
}

/** Fails PAUSED runs whose pause expired. */
export function pauseExpiryService(sub: Subgraph<any>): BackgroundService {
  return {
    name: 'pause-expiry',
    intervalMs: 10_000,
    runOnce: (now = new Date()) =>
      transitionAll(
        sub,
        (t) => ({ stateType: StateType.PAUSED, pauseExpiresAt: { $lte: t } }),
        () => ({
          type: StateType.FAILED,
          name: 'Failed',
          message: 'The pause expired before the run was resumed',
          details: {},
        }),
        now,
      ),
  };
}

/** Workers that missed three heartbeats go OFFLINE (one UPDATE: safe on any number of instances). */
export function workerLivenessService(sub: Subgraph<any>): BackgroundService {
  return {
    name: 'worker-liveness',
    intervalMs: 10_000,
    runOnce: (now = new Date()) =>
      backgroundEm(sub.orm).nativeUpdate(
        Worker,
        { status: WorkerStatus.ONLINE, offlineAfter: { $lt: now } },
        { status: WorkerStatus.OFFLINE },
      ),
  };
}
