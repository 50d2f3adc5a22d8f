import { detachedById } from '../../../../lib/loaders.js';
import type { BaseContext } from '../../../../lib/module.js';
import { FlowRun } from './flow-run.entity.js';

/** Per-request loaders of the flow-runs module. */
export function flowRunLoaders({ em }: BaseContext) {
  return {
    /**
     * Runs read to answer (`flowRun(id)`, references, a delivery's run), never to change: plain
     * rows (lib/loaders `detachedById`). Changes lock and write their own rows.
     */
    flowRunById: detachedById(em, FlowRun),
  };
}

type FlowRunLoaders = ReturnType<typeof flowRunLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends FlowRunLoaders {}
}
