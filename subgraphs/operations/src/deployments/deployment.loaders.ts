import DataLoader from 'dataloader';
import { detachedById, groupedBy, pagesOf } from '../../../../lib/loaders.js';
import type { Connection } from '../../../../lib/pagination.js';
import type { BaseContext } from '../../../../lib/module.js';
import { abilitiesWithAcl } from '../object-access/object-access.ability.js';
import { AccessObjectType } from '../object-access/object-access.entity.js';
import { Deployment } from './deployment.entity.js';
import { DeploymentSchedule } from './schedules/schedule.entity.js';

/** Per-request loaders of the deployments module. */
export function deploymentLoaders(ctx: BaseContext) {
  return {
    /** Deployments read to answer (`deployment(id)`, references), never to change: plain rows. */
    deploymentById: detachedById(ctx.em, Deployment),
    /** Pages of deployments per flow, read together for a page of flows. */
    deploymentPagesByFlowId: pagesOf<Connection<Deployment>>(),
    schedulesByDeploymentId: groupedBy(ctx.em, DeploymentSchedule, 'deploymentId', {
      createdAt: 'asc',
      id: 'asc',
    }),
    /** The caller's ability for deployments per workspace, narrowed by (inherited) access lists. */
    deploymentAbility: new DataLoader((ids: readonly string[]) =>
      abilitiesWithAcl(ctx, ctx.em, AccessObjectType.DEPLOYMENT, 'Deployment', ids),
    ),
  };
}

type DeploymentLoaders = ReturnType<typeof deploymentLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface OperationsLoaders extends DeploymentLoaders {}
}
