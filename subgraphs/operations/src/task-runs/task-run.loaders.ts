import { byId, pagesOf } from '../../../../lib/loaders.js';
import type { Connection } from '../../../../lib/pagination.js';
import type { BaseContext } from '../../../../lib/module.js';
import { TaskRun } from './task-run.entity.js';

/** Per-request loaders of the task-runs module. */
export function taskRunLoaders({ em }: BaseContext) {
  return {
    taskRunById: byId(em, TaskRun),
    /** Pages of task runs per flow run, read together for a page of runs. */
    taskRunPagesByFlowRunId: pagesOf<Connection<TaskRun>>(),
  };
}

type TaskRunLoaders = ReturnType<typeof taskRunLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends TaskRunLoaders {}
}
