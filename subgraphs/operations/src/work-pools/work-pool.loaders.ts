import DataLoader from 'dataloader';
import { byId, groupedBy } from '../../../../lib/loaders.js';
import type { BaseContext } from '../../../../lib/module.js';
import { abilitiesWithAcl } from '../object-access/object-access.ability.js';
import { AccessObjectType } from '../object-access/object-access.entity.js';
import { WorkPool } from './work-pool.entity.js';
import { WorkQueue } from './work-queue.entity.js';
import { Worker, WorkerStatus } from './worker.entity.js';

/** Per-request loaders of the work-pools module. */
export function workPoolLoaders(ctx: BaseContext) {
  return {
    workPoolById: byId(ctx.em, WorkPool),
    workQueueById: byId(ctx.em, WorkQueue),
    queuesByPoolId: groupedBy(ctx.em, WorkQueue, 'workPoolId', { priority: 'asc', name: 'asc' }),
    workersByPoolId: groupedBy(ctx.em, Worker, 'workPoolId', { name: 'asc' }),
    onlineWorkersByPoolId: new DataLoader<string, number>(async (ids) => {
      const em = ctx.em;
      const rows: { pool: string; n: number }[] = await em.getConnection().execute(
        em
          .getKnex()('worker')
          .select('work_pool_id as pool')
          .count('* as n')
          .whereIn('work_pool_id', [...ids])
          .andWhere('status', WorkerStatus.ONLINE)
          .groupBy('work_pool_id'),
      );
      const map = new Map(rows.map((r) => [r.pool, Number(r.n)]));
      return ids.map((id) => map.get(id) ?? 0);
    }),
    /** The caller's ability for work pools per workspace, narrowed by access lists. */
    workPoolAbility: new DataLoader((ids: readonly string[]) =>
      abilitiesWithAcl(ctx, ctx.em, AccessObjectType.WORK_POOL, 'WorkPool', ids),
    ),
  };
}

type WorkPoolLoaders = ReturnType<typeof workPoolLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends WorkPoolLoaders {}
}
