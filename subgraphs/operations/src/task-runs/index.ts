import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { FlowRunService } from '../flow-runs/flow-run.service.js';
import { TaskRun } from './task-run.entity.js';
import { taskRunLoaders } from './task-run.loaders.js';
import { TaskRunResolver } from './task-run.resolver.js';

/** Task runs (visible with their flow run). */
export const taskRunsModule = defineModule<OperationsContext>({
  name: 'task-runs',
  layer: 'core',
  resolvers: [TaskRunResolver],
  entities: [TaskRun],
  loaders: taskRunLoaders,
  references: {
    TaskRun: async (ref, ctx) => {
      const run = await ctx.loaders.taskRunById.load(ref.id);
      return run && (await new FlowRunService(ctx).visible(run.flowRunId)) ? run : null;
    },
  },
});
