import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from './deployment.entity.js';
import { deploymentLoaders } from './deployment.loaders.js';
import {
  DeploymentResolver,
  FlowDeploymentsResolver,
  WorkspaceDeploymentsResolver,
} from './deployment.resolver.js';
import { DeploymentService } from './deployment.service.js';
import { DeploymentSchedule } from './schedules/schedule.entity.js';

/** Deployments and their schedules. */
export const deploymentsModule = defineModule<OperationsContext>({
  name: 'deployments',
  layer: 'core',
  resolvers: [DeploymentResolver, WorkspaceDeploymentsResolver, FlowDeploymentsResolver],
  entities: [Deployment, DeploymentSchedule],
  loaders: deploymentLoaders,
  references: { Deployment: (ref, ctx) => new DeploymentService(ctx).visible(ref.id) },
});
