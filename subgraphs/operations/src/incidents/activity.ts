/**
 * "Pause activity while an incident is open" (REFERENCE §6): an automation pauses the
 * workspace's deployments (their schedules stop) and work pools when an incident is declared,
 * and resumes exactly those it paused when the incident is resolved. What it paused is kept in
 * `activity_pause`, so objects someone paused by hand stay paused.
 *
 * Pausing and resuming go through the deployment and work pool services with the caller's
 * context (the automation's, whose `transaction` runs in the caller's transaction), so the
 * side effects, status events and audit entries are those of a pause by hand, and only what
 * the automation may change (its saver's role and the access lists) is paused.
 */
import { accessibleFilter } from '../../../../lib/ability.js';
import type { OperationsContext } from '../context.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { WorkPoolService } from '../work-pools/work-pool.service.js';
import { ActivityPause, PausedObjectKind } from './activity-pause.entity.js';

/** Who holds the objects paused: an automation, for one incident. */
export interface ActivityOwner {
  automationId: string;
  incidentId: string;
}

export interface ActivityChange {
  deploymentIds: string[];
  workPoolIds: string[];
}

export const ownerKey = (o: ActivityOwner): string => `${o.automationId}/${o.incidentId}`;

/**
 * SQL filters of the deployments and work pools the caller may pause and resume (its role and
 * their access lists): an automation acts only on what whoever saved it may change.
 */
async function updatable(ctx: OperationsContext, workspaceId: string) {
  const em = ctx.em;
  return {
    deployments: accessibleFilter(
      await new DeploymentService(ctx).abilityIn(workspaceId, em),
      'update',
      'Deployment',
    ),
    pools: accessibleFilter(
      await new WorkPoolService(ctx).abilityIn(workspaceId, em),
      'update',
      'WorkPool',
    ),
  };
}

type Held = Pick<ActivityPause, 'objectKind' | 'objectId'>;
const keyOf = (h: Held) => `${h.objectKind}:${h.objectId}`;

/**
 * Pauses every unpaused deployment and work pool of the workspace and records them as held by
 * `owner`. Objects already paused only because other owners hold them are held by this owner
 * too (they stay paused until every owner resumes); objects paused otherwise are left alone.
 * Idempotent: a second call for the same owner pauses only what was resumed meanwhile.
 * Returns what this call paused.
 */
export async function pauseWorkspaceActivity(
  ctx: OperationsContext,
  workspaceId: string,
  owner: ActivityOwner,
): Promise<ActivityChange> {
  const em = ctx.em;
  const key = ownerKey(owner);
  const held = await em.find(ActivityPause, { workspaceId });
  const mine = new Set(held.filter((h) => h.ownerKey === key).map(keyOf));
  const byOthers = new Set(held.filter((h) => h.ownerKey !== key).map(keyOf));
  const hold = (objectKind: PausedObjectKind, objectId: string) => {
    if (mine.has(keyOf({ objectKind, objectId }))) return;
    em.persist(
      em.create(ActivityPause, {
        ownerKey: key,
        objectKind,
        objectId,
        workspaceId,
        automationId: owner.automationId,
        incidentId: owner.incidentId,
        createdAt: new Date(),
      }),
    );
  };
  const changed: ActivityChange = { deploymentIds: [], workPoolIds: [] };
  const deploymentService = new DeploymentService(ctx);
  const poolService = new WorkPoolService(ctx);
  const { deployments: mayDeployments, pools: mayPools } = await updatable(ctx, workspaceId);
  const deployments = mayDeployments
    ? await em.find(Deployment, { $and: [mayDeployments, { workspaceId }] } as never, {
        orderBy: { id: 'asc' },
      })
    : [];
  for (const d of deployments) {
    const k = keyOf({ objectKind: PausedObjectKind.DEPLOYMENT, objectId: d.id });
    if (!d.paused) {
      await deploymentService.setPaused(d.id, true);
      changed.deploymentIds.push(d.id);
      hold(PausedObjectKind.DEPLOYMENT, d.id);
    } else if (byOthers.has(k)) hold(PausedObjectKind.DEPLOYMENT, d.id);
  }
  const pools = mayPools
    ? await em.find(WorkPool, { $and: [mayPools, { workspaceId }] } as never, {
        orderBy: { id: 'asc' },
      })
    : [];
  for (const p of pools) {
    const k = keyOf({ objectKind: PausedObjectKind.WORK_POOL, objectId: p.id });
    if (!p.paused) {
      await poolService.setPoolPaused(p.id, true);
      changed.workPoolIds.push(p.id);
      hold(PausedObjectKind.WORK_POOL, p.id);
    } else if (byOthers.has(k)) hold(PausedObjectKind.WORK_POOL, p.id);
  }
  await em.flush();
  return changed;
}

/**
 * Lets go of everything `owner` holds and resumes each object no other owner still holds and
 * that is still paused (one resumed by hand meanwhile is left as it is; one deleted is skipped).
 * Returns what it resumed.
 */
export async function resumeWorkspaceActivity(
  ctx: OperationsContext,
  workspaceId: string,
  owner: ActivityOwner,
): Promise<ActivityChange> {
  const em = ctx.em;
  const key = ownerKey(owner);
  const mine = await em.find(
    ActivityPause,
    { ownerKey: key, workspaceId },
    { orderBy: { objectKind: 'asc', objectId: 'asc' } },
  );
  const changed: ActivityChange = { deploymentIds: [], workPoolIds: [] };
  if (!mine.length) return changed;
  await em.nativeDelete(ActivityPause, { ownerKey: key, workspaceId });
  const stillHeld = new Set(
    (
      await em.find(ActivityPause, {
        workspaceId,
        objectId: { $in: mine.map((h) => h.objectId) },
      })
    ).map(keyOf),
  );
  const release = mine.filter((h) => !stillHeld.has(keyOf(h)));
  const ids = (kind: PausedObjectKind) =>
    release.filter((h) => h.objectKind === kind).map((h) => h.objectId);
  const { deployments: mayDeployments, pools: mayPools } = await updatable(ctx, workspaceId);
  const deployments = mayDeployments
    ? await em.find(
        Deployment,
        {
          $and: [
            mayDeployments,
            { id: { $in: ids(PausedObjectKind.DEPLOYMENT) }, workspaceId, paused: true },
          ],
        } as never,
        { orderBy: { id: 'asc' } },
      )
    : [];
  const deploymentService = new DeploymentService(ctx);
  for (const d of deployments) {
    await deploymentService.setPaused(d.id, false);
    changed.deploymentIds.push(d.id);
  }
  const pools = mayPools
    ? await em.find(
        WorkPool,
        {
          $and: [
            mayPools,
            { id: { $in: ids(PausedObjectKind.WORK_POOL) }, workspaceId, paused: true },
          ],
        } as never,
        { orderBy: { id: 'asc' } },
      )
    : [];
  const poolService = new WorkPoolService(ctx);
  for (const p of pools) {
    await poolService.setPoolPaused(p.id, false);
    changed.workPoolIds.push(p.id);
  }
  return changed;
}
