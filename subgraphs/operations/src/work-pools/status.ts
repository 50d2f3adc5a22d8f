/**
 * Statuses of work pools, work queues and deployments (REFERENCE §5), kept on their rows and
 * announced as events when they change (`flowplane.<kind>.ready|not-ready|paused`):
 * - pool: PAUSED when paused; READY with an online worker (push pools need none); else NOT_READY;
 * - queue: PAUSED when paused; READY when its pool is READY; else NOT_READY;
 * - deployment: READY when its queue is READY, else NOT_READY. Its `paused` flag is announced
 *   on its own (`paused`, then the status again on resume); while paused, status changes are
 *   recorded silently.
 * Every change that can move a status calls `syncStatuses` in its transaction, which locks the
 * pools concerned (PostgreSQL) so that two writers never announce one change twice.
 */
import type { LockMode } from '@mikro-orm/core';
import { forUpdate } from '../../../../lib/db.js';
import type { Em } from '../../../../lib/orm.js';
import { Deployment, DeploymentStatus } from '../deployments/deployment.entity.js';
import { emitEvent, NAME_LABEL, resourceId, type ResourceKind } from '../event-store/emit.js';
import { isPushType, WorkPool, WorkPoolStatus } from './work-pool.entity.js';
import { WorkQueue, WorkQueueStatus } from './work-queue.entity.js';
import { WorkerStatus } from './worker.entity.js';

type AnyStatus = WorkPoolStatus | WorkQueueStatus | DeploymentStatus;

export const poolStatusOf = (pool: WorkPool, onlineWorkers: number): WorkPoolStatus =>
  pool.paused
    ? WorkPoolStatus.PAUSED
    : isPushType(pool.type) || onlineWorkers > 0
      ? WorkPoolStatus.READY
      : WorkPoolStatus.NOT_READY;

export const queueStatusOf = (
  queue: WorkQueue,
  poolStatus: WorkPoolStatus | undefined,
): WorkQueueStatus =>
  queue.paused
    ? WorkQueueStatus.PAUSED
    : poolStatus === WorkPoolStatus.READY
      ? WorkQueueStatus.READY
      : WorkQueueStatus.NOT_READY;

export const deploymentStatusOf = (queueStatus: WorkQueueStatus | undefined): DeploymentStatus =>
  queueStatus === WorkQueueStatus.READY ? DeploymentStatus.READY : DeploymentStatus.NOT_READY;

/** How event names spell a status. */
const word = (s: AnyStatus | 'PAUSED'): string =>
  s === 'READY' ? 'ready' : s === 'PAUSED' ? 'paused' : 'not-ready';

/** `flowplane.<kind>.ready|not-ready|paused` for one object. */
export function emitStatusEvent(
  em: Em,
  kind: Extract<ResourceKind, 'work-pool' | 'work-queue' | 'deployment'>,
  object: WorkPool | WorkQueue | Deployment,
  status: AnyStatus | 'PAUSED',
  previous: AnyStatus | 'PAUSED' | null,
): void {
  const related: { id: string; role: string }[] = [];
  if (object instanceof WorkQueue)
    related.push({ id: resourceId('work-pool', object.workPoolId), role: 'work-pool' });
  if (object instanceof Deployment) {
    related.push({ id: resourceId('flow', object.flowId), role: 'flow' });
    if (object.workPoolId)
      related.push({ id: resourceId('work-pool', object.workPoolId), role: 'work-pool' });
    if (object.workQueueId)
      related.push({ id: resourceId('work-queue', object.workQueueId), role: 'work-queue' });
  }
  emitEvent(em, {
    workspaceId: object.workspaceId,
    event: `flowplane.${kind}.${word(status)}`,
    resource: { id: resourceId(kind, object.id), labels: { [NAME_LABEL]: object.name } },
    related,
    payload: { status, previousStatus: previous },
  });
}

/** Online workers per pool, read in the caller's transaction. */
async function onlineWorkers(em: Em, poolIds: string[]): Promise<Map<string, number>> {
  if (!poolIds.length) return new Map();
  const rows: { pool: string; n: number | string }[] = await em
    .getConnection()
    .execute(
      em
        .getKnex()('worker')
        .select('work_pool_id as pool')
        .count('* as n')
        .whereIn('work_pool_id', poolIds)
        .andWhere('status', WorkerStatus.ONLINE)
        .groupBy('work_pool_id'),
      [],
      'all',
      em.getTransactionContext(),
    );
  return new Map(rows.map((r) => [r.pool, Number(r.n)]));
}

/**
 * Recomputes the statuses of these pools, their queues and deployments (and of `deployments`,
 * wherever they point), stores the changed ones and emits their events. Call it inside the
 * transaction that made the change, after the change. Returns how many statuses changed.
 */
export async function syncStatuses(
  em: Em,
  poolIds: readonly string[],
  deployments: readonly Deployment[] = [],
): Promise<number> {
  await em.flush();
  const ids = [
    ...new Set([
      ...poolIds,
      ...deployments.map((d) => d.workPoolId).filter((id): id is string => !!id),
    ]),
  ];
  const pools = ids.length
    ? await em.find(
        WorkPool,
        { id: { $in: ids } },
        {
          ...(forUpdate(em) as { lockMode?: LockMode.PESSIMISTIC_WRITE }),
          refresh: true,
          orderBy: { id: 'asc' },
        },
      )
    : [];
  const online = await onlineWorkers(
    em,
    pools.map((p) => p.id),
  );
  let changed = 0;
  const poolStatus = new Map<string, WorkPoolStatus>();
  for (const pool of pools) {
    const status = poolStatusOf(pool, online.get(pool.id) ?? 0);
    poolStatus.set(pool.id, status);
    if (pool.status === status) continue;
    emitStatusEvent(em, 'work-pool', pool, status, pool.status);
    pool.status = status;
    changed++;
  }
  const queueStatus = new Map<string, WorkQueueStatus>();
  const queues = pools.length
    ? await em.find(WorkQueue, { workPoolId: { $in: [...poolStatus.keys()] } }, { refresh: true })
    : [];
  for (const queue of queues) {
    const status = queueStatusOf(queue, poolStatus.get(queue.workPoolId));
    queueStatus.set(queue.id, status);
    if (queue.status === status) continue;
    emitStatusEvent(em, 'work-queue', queue, status, queue.status);
    queue.status = status;
    changed++;
  }
  const own = deployments.map((d) => d.id);
  const affected =
    pools.length || own.length
      ? await em.find(
          Deployment,
          { $or: [{ workPoolId: { $in: [...poolStatus.keys()] } }, { id: { $in: own } }] },
          { refresh: true },
        )
      : [];
  for (const d of affected) {
    const status = deploymentStatusOf(d.workQueueId ? queueStatus.get(d.workQueueId) : undefined);
    if (d.status === status) continue;
    if (!d.paused) emitStatusEvent(em, 'deployment', d, status, d.status);
    d.status = status;
    changed++;
  }
  return changed;
}
