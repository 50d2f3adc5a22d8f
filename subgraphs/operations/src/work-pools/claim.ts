import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { isPostgres } from '../../../../lib/db.js';
import { badInput } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { orchestrate, readDeploymentLimits } from '../orchestration/policy.js';
import { ACTIVE, SetStateStatus, StateType } from '../orchestration/state-type.js';
import { WorkPool } from './work-pool.entity.js';
import { WorkQueue } from './work-queue.entity.js';
import { poolStatusOf, syncStatuses } from './status.js';
import { recordHeartbeat } from './worker.entity.js';

/**
 * Hands due SCHEDULED runs of a pool's queues to one worker, by queue priority then scheduled
 * time, moving each to PENDING through the policy, within the pool's and queues' concurrency
 * limits. On PostgreSQL candidate rows are taken with FOR UPDATE SKIP LOCKED, so concurrent
 * claimers never get the same run; when a limit applies the pool row is locked first, so the
 * counts that limits compare against cannot be raced. SQLite has one writer at a time.
 */
export async function claimFlowRuns(
  em: Em,
  pool: WorkPool,
  opts: {
    workerName: string;
    queueNames: string[] | null;
    limit: number;
    /** Offer the worker's unstarted claims again (Prefect's workers poll more than they start). */
    offerHeld?: boolean;
    /** False for the server's own push submitter: it is no worker and must not show as one. */
    heartbeat?: boolean;
    now?: Date;
  },
): Promise<FlowRun[]> {
  const now = opts.now ?? new Date();
  if (opts.heartbeat !== false) await recordHeartbeat(em, pool, opts.workerName, 30, now);
  if (pool.status !== poolStatusOf(pool, 1)) await syncStatuses(em, [pool.id]);
  let queues = await em.find(WorkQueue, { workPoolId: pool.id }, { orderBy: { priority: 'asc' } });
  if (opts.queueNames) {
    const unknown = opts.queueNames.filter((n) => !queues.some((q) => q.name === n));
    if (unknown.length) {
      throw badInput('queueNames', `No such queue in the pool: ${unknown[0]!.slice(0, 200)}`);
    }
    queues = queues.filter((q) => opts.queueNames!.includes(q.name));
  }
  queues = queues.filter((q) => !q.paused);
  if (pool.paused || !queues.length) return [];

  const limited = pool.concurrencyLimit != null || queues.some((q) => q.concurrencyLimit != null);
  if (limited && isPostgres(em)) {
    await em.findOne(
      WorkPool,
      { id: pool.id },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
  }
  const activeByQueue = new Map<string, number>();
  let poolRoom = Infinity;
  if (limited) {
    const rows: { queue: string; n: number }[] = await em.getConnection().execute(
      em
        .getKnex()('flow_run')
        .select('work_queue_id as queue')
        .count('* as n')
        .where('work_pool_id', pool.id)
        .whereIn('state_type', [...ACTIVE])
        .groupBy('work_queue_id'),
      [],
      'all',
      em.getTransactionContext(),
    );
    let total = 0;
    for (const r of rows) {
      activeByQueue.set(r.queue, Number(r.n));
      total += Number(r.n);
    }
    if (pool.concurrencyLimit != null) poolRoom = pool.concurrencyLimit - total;
  }
  const room = new Map(
    queues.map((q) => [
      q.id,
      q.concurrencyLimit == null ? Infinity : q.concurrencyLimit - (activeByQueue.get(q.id) ?? 0),
    ]),
  );
  // When asked: runs this worker claimed before and has not submitted yet (it polled more than
  // it could start), offered to it again ahead of new ones, so such a claim is never stranded.
  const claimed: FlowRun[] = opts.offerHeld
    ? await heldBy(
        em,
        { workQueueId: { $in: queues.map((q) => q.id) } },
        opts.workerName,
        opts.limit,
      )
    : [];
  const open = queues.filter((q) => room.get(q.id)! > 0);
  let want = Math.min(opts.limit - claimed.length, poolRoom);
  if (want <= 0 || !open.length) return claimed;

  const queueLimited = open.some((q) => q.concurrencyLimit != null);
  const priorities = [...new Set(open.map((q) => q.priority))].sort((a, b) => a - b);
  for (const priority of priorities) {
    if (want <= 0) break;
    const candidates = await em.find(
      FlowRun,
      {
        workQueueId: { $in: open.filter((q) => q.priority === priority).map((q) => q.id) },
        stateType: StateType.SCHEDULED,
        nextScheduledStartTime: { $lte: now },
      },
      {
        orderBy: { nextScheduledStartTime: 'asc', id: 'asc' },
        // Lock only what can be taken: locked rows are invisible to other claimers until commit.
        limit: queueLimited ? Math.min(200, want * 2) : want,
        refresh: true,
        ...(isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
      },
    );
    await readDeploymentLimits(em, candidates);
    for (const run of candidates) {
      if (want <= 0) break;
      const left = room.get(run.workQueueId!) ?? 0;
      if (left <= 0) continue;
      if (!(await takeRun(em, run, opts.workerName, now))) continue;
      claimed.push(run);
      room.set(run.workQueueId!, left - 1);
      want--;
    }
  }
  return claimed;
}

/** Moves a due SCHEDULED run to PENDING for a claimer, through the policy; false if refused. */
async function takeRun(em: Em, run: FlowRun, claimer: string, now: Date): Promise<boolean> {
  const result = await orchestrate(
    em,
    'FLOW',
    run,
    { type: StateType.PENDING, name: 'Pending', message: null, details: { workerName: claimer } },
    { now },
  );
  if (result.status !== SetStateStatus.ACCEPT) return false;
  run.workerName = claimer;
  return true;
}

/** The runs (of `scope`) a claimer holds PENDING and has not moved on yet, oldest claim first. */
function heldBy(
  em: Em,
  scope: FilterQuery<FlowRun>,
  claimer: string,
  limit: number,
): Promise<FlowRun[]> {
  return em.find(
    FlowRun,
    { $and: [scope, { stateType: StateType.PENDING, stateName: 'Pending', workerName: claimer }] },
    { orderBy: { updatedAt: 'asc', id: 'asc' }, limit, refresh: true },
  );
}

/**
 * Hands due SCHEDULED runs of some deployments (served by a process of their own, with no work
 * pool: Prefect's `flow.serve()`) to one claimer, moving each to PENDING through the policy,
 * oldest scheduled time first; runs it claimed before and has not moved on are offered again.
 * On PostgreSQL candidates are taken with FOR UPDATE SKIP LOCKED, so no run goes to two claimers.
 */
export async function claimDeploymentFlowRuns(
  em: Em,
  deploymentIds: string[],
  opts: { claimerName: string; limit: number; now?: Date },
): Promise<FlowRun[]> {
  const now = opts.now ?? new Date();
  const scope = { deploymentId: { $in: deploymentIds } };
  const claimed = await heldBy(em, scope, opts.claimerName, opts.limit);
  const want = opts.limit - claimed.length;
  if (want <= 0) return claimed;
  const candidates = await em.find(
    FlowRun,
    { ...scope, stateType: StateType.SCHEDULED, nextScheduledStartTime: { $lte: now } },
    {
      orderBy: { nextScheduledStartTime: 'asc', id: 'asc' },
      limit: want,
      refresh: true,
      ...(isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
    },
  );
  await readDeploymentLimits(em, candidates);
  for (const run of candidates)
    if (await takeRun(em, run, opts.claimerName, now)) claimed.push(run);
  return claimed;
}
