import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { WorkPool } from './work-pool.entity.js';
import { workPoolLoaders } from './work-pool.loaders.js';
import {
  WorkPoolResolver,
  WorkQueueResolver,
  WorkspaceWorkPoolsResolver,
} from './work-pool.resolver.js';
import { WorkPoolService } from './work-pool.service.js';
import { WorkQueue } from './work-queue.entity.js';
import { Worker } from './worker.entity.js';

/** Work pools, their queues and workers. */
export const workPoolsModule = defineModule<OperationsContext>({
  name: 'work-pools',
  layer: 'core',
  resolvers: [WorkPoolResolver, WorkQueueResolver, WorkspaceWorkPoolsResolver],
  entities: [WorkPool, WorkQueue, Worker],
  loaders: workPoolLoaders,
  references: {
    WorkPool: (ref, ctx) => new WorkPoolService(ctx).visiblePool(ref.id),
    WorkQueue: (ref, ctx) => new WorkPoolService(ctx).visibleQueue(ref.id),
  },
});
