import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { flowConsumers } from './flow.consumers.js';
import { Flow } from './flow.entity.js';
import { flowLoaders } from './flow.loaders.js';
import { FlowResolver, WorkspaceFlowsResolver } from './flow.resolver.js';
import { FlowService } from './flow.service.js';

/** Flows; deleting a workspace deletes its flows with their deployments and runs. */
export const flowsModule = defineModule<OperationsContext>({
  name: 'flows',
  layer: 'core',
  resolvers: [FlowResolver, WorkspaceFlowsResolver],
  entities: [Flow],
  loaders: flowLoaders,
  references: { Flow: (ref, ctx) => new FlowService(ctx).reference(ref.id) },
  consumers: flowConsumers,
});
