import type { ConsumerHandler } from '../../../../lib/outbox.js';
import type { Em } from '../../../../lib/orm.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentSchedule } from '../deployments/schedules/schedule.entity.js';
import { deleteFlowRuns } from '../flow-runs/flow-run.cleanup.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { WorkQueue } from '../work-pools/work-queue.entity.js';
import { Worker } from '../work-pools/worker.entity.js';
import { Flow } from './flow.entity.js';

/** Everything of a flow: its deployments with their schedules, its runs with their history. */
export async function deleteFlowData(em: Em, where: { workspaceId: string; flowId?: string }) {
  const scope = where.flowId ? { flowId: where.flowId } : { workspaceId: where.workspaceId };
  const deployments = await em.find(Deployment, scope, { fields: ['id'] });
  await em.nativeDelete(DeploymentSchedule, {
    deploymentId: { $in: deployments.map((d) => d.id) },
  });
  await em.nativeDelete(Deployment, scope);
  await deleteFlowRuns(em, scope);
}

/** Keeps operations data in step with tenancy changes; idempotent (a redelivery deletes nothing more). */
export const flowConsumers: Record<string, ConsumerHandler> = {
  'workspace.deleted': async (p: { workspaceId: string }, em) => {
    const workspaceId = p.workspaceId;
    await deleteFlowData(em as Em, { workspaceId });
    await em.nativeDelete(Worker, { workspaceId });
    await em.nativeDelete(WorkQueue, { workspaceId });
    await em.nativeDelete(WorkPool, { workspaceId });
    await em.nativeDelete(Flow, { workspaceId });
  },
};
