import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { FlowRun } from './flow-run.entity.js';
import { flowRunLoaders } from './flow-run.loaders.js';
import { FlowRunResolver, WorkspaceFlowRunsResolver } from './flow-run.resolver.js';
import { FlowRunService } from './flow-run.service.js';

/** Flow runs. */
export const flowRunsModule = defineModule<OperationsContext>({
  name: 'flow-runs',
  layer: 'core',
  resolvers: [FlowRunResolver, WorkspaceFlowRunsResolver],
  entities: [FlowRun],
  loaders: flowRunLoaders,
  references: { FlowRun: (ref, ctx) => new FlowRunService(ctx).visible(ref.id) },
});
