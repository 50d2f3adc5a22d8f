import type { ConsumerHandler } from '../../../../lib/outbox.js';
import type { Em } from '../../../../lib/orm.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentSchedule } from '../deployments/schedules/schedule.entity.js';
import { deleteFlowRuns } from '../flow-runs/flow-run.cleanup.js';

/** All of a flow: its deployments with their schedules, its runs with what hangs off them. */
export async function deleteFlowData(em: Em, where: { workspaceId: string; flowId?: string }) {
  const scope = where.flowId ? { flowId: where.flowId } : { workspaceId: where.workspaceId };
  const deployments = await em.find(Deployment, scope, { fields: ['id'] });
  await em.nativeDelete(DeploymentSchedule, {
    deploymentId: { $in: deployments.map((d) => d.id) },
  });
  await em.nativeDelete(Deployment, scope);
  await deleteFlowRuns(em, scope);
}

/**
 * A deleted workspace's deployments and runs with what hangs off them, some rows without a
 * `workspaceId` (schedules, state history); the subgraph's sweep then deletes every row with one
 * (flows, work pools, …). Idempotent (a redelivery deletes nothing more).
 */
export const flowConsumers: Record<string, ConsumerHandler> = {
  'workspace.deleted': async (p: { workspaceId: string }, em) => {
    await deleteFlowData(em as Em, { workspaceId: p.workspaceId });
  },
};
