import { byId, detachedById } from '../../../../lib/loaders.js';
import type { BaseContext } from '../../../../lib/module.js';
import { Flow } from './flow.entity.js';

/** Per-request loaders of the flows module. */
export function flowLoaders({ em }: BaseContext) {
  return {
    flowById: byId(em, Flow),
    /** Flows to answer with only (references, a page's runs' flows): detached rows. */
    flowRefById: detachedById(em, Flow),
  };
}

type FlowLoaders = ReturnType<typeof flowLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends FlowLoaders {}
}
