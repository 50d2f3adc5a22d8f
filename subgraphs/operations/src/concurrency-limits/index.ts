import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { ConcurrencyLeaseSlot, ConcurrencyLimit } from './concurrency-limit.entity.js';
import { concurrencyLimitLoaders } from './concurrency-limit.loaders.js';
import {
  ConcurrencyLimitResolver,
  WorkspaceConcurrencyLimitsResolver,
} from './concurrency-limit.resolver.js';

/** Tag and named concurrency limits and their leases. */
export const concurrencyLimitsModule = defineModule<OperationsContext>({
  name: 'concurrency-limits',
  layer: 'core',
  resolvers: [ConcurrencyLimitResolver, WorkspaceConcurrencyLimitsResolver],
  entities: [ConcurrencyLimit, ConcurrencyLeaseSlot],
  loaders: ({ em }) => concurrencyLimitLoaders(em),
});
