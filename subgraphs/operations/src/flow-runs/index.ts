import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { FlowRun } from './flow-run.entity.js';
import { flowRunLoaders } from './flow-run.loaders.js';
import { FlowRunResolver, WorkspaceFlowRunsResolver } from './flow-run.resolver.js';
import { FlowRunService } from './flow-run.service.js';
import { flowRunRetentionService } from './flow-run-retention.js';
import { FlowRunSettings } from './flow-run-settings.entity.js';
import { WorkspaceFlowRunSettingsResolver } from './flow-run-settings.resolver.js';

/** Flow runs, and their retention. */
export const flowRunsModule = defineModule<OperationsContext>({
  name: 'flow-runs',
  layer: 'core',
  resolvers: [FlowRunResolver, WorkspaceFlowRunsResolver, WorkspaceFlowRunSettingsResolver],
  entities: [FlowRun, FlowRunSettings],
  loaders: flowRunLoaders,
  references: { FlowRun: (ref, ctx) => new FlowRunService(ctx).visible(ref.id) },
  jobs: (sub) => [flowRunRetentionService(sub)],
});
