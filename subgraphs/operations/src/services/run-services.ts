import type { BackgroundService } from '../../../../lib/background.js';
import type { Em } from '../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { orchestrate, type Proposal } from '../orchestration/policy.js';
import { StateType } from '../orchestration/state-type.js';
import { syncStatuses } from '../work-pools/status.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { Worker, WorkerStatus } from '../work-pools/worker.entity.js';
import { backgroundEm, skipLocked } from './background-em.js';

/** SCHEDULED runs this long past their time become Late. */
export const LATE_AFTER_MS = 15_000;
const BATCH = 100;

/**
 * Proposes a state for batches of runs matching `where`, each batch in one transaction with its
 * rows taken FOR UPDATE SKIP LOCKED (PostgreSQL), so instances split the work.
 */
export async function transitionAll(
  sub: SubgraphRuntime<any>,
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
  if (changed) await sub.publish();
  return changed;
}

/** Marks SCHEDULED runs 15 s past their scheduled time as Late (through the policy). */
export function lateRunsService(sub: SubgraphRuntime<any>): BackgroundService {
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
export function pauseExpiryService(sub: SubgraphRuntime<any>): BackgroundService {
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

/**
 * Workers that missed three heartbeats go OFFLINE (one UPDATE: safe on any number of instances);
 * then pools whose stored status no longer matches their workers (the last one went offline)
 * get it recomputed, with their queues and deployments, and the changes announced as events.
 */
export function workerLivenessService(sub: SubgraphRuntime<any>): BackgroundService {
  return {
    name: 'worker-liveness',
    intervalMs: 10_000,
    async runOnce(now = new Date()) {
      const em = backgroundEm(sub.orm);
      const offline = await em.nativeUpdate(
        Worker,
        { status: WorkerStatus.ONLINE, offlineAfter: { $lt: now } },
        { status: WorkerStatus.OFFLINE },
      );
      const changed = await reconcilePoolStatuses(em);
      if (changed) await sub.publish();
      return offline + changed;
    },
  };
}

/**
 * Pools whose stored status differs from what their flag, type and online workers say, each
 * fixed in its own transaction holding the pool's row (SKIP LOCKED on PostgreSQL: a pool another
 * instance is fixing is left to it; the status is re-read under the lock, so nothing is
 * announced twice).
 */
async function reconcilePoolStatuses(em: Em): Promise<number> {
  const stale: { id: string }[] = await em.getConnection().execute(
    em
      .getKnex()('work_pool as p')
      .select('p.id')
      .whereRaw(
        `p.status <> case when p.paused then 'PAUSED' when p.type like '%-push' then 'READY'
          when exists (select 1 from worker w where w.work_pool_id = p.id and w.status = ?)
          then 'READY' else 'NOT_READY' end`,
        [WorkerStatus.ONLINE],
      )
      .orderBy('p.id')
      .limit(BATCH),
  );
  let changed = 0;
  for (const { id } of stale) {
    changed += await em.fork().transactional(async (tx: Em) => {
      const pool = await tx.findOne(WorkPool, { id }, skipLocked(tx));
      return pool ? syncStatuses(tx, [pool.id]) : 0;
    });
  }
  return changed;
}
