import { groupedBy } from '../../../../lib/loaders.js';
import type { BaseContext } from '../../../../lib/module.js';
import { RunState } from './run-state.entity.js';

/** Per-request loaders of the orchestration module. */
export function runStateLoaders({ em }: BaseContext) {
  return {
    /** The state history of flow and task runs, oldest first. */
    statesByRunId: groupedBy(em, RunState, 'runId', { timestamp: 'asc', id: 'asc' }),
  };
}

type RunStateLoaders = ReturnType<typeof runStateLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends RunStateLoaders {}
}
