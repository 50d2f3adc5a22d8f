import DataLoader from 'dataloader';
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput } from '../../../../lib/errors.js';
import type { OperationsContext } from '../context.js';
import type { Deployment } from '../deployments/deployment.entity.js';
import { DeploymentService } from '../deployments/deployment.service.js';
import type { FlowRun } from '../flow-runs/flow-run.entity.js';
import { FlowRunService } from '../flow-runs/flow-run.service.js';
import { ErrorSummary } from './error-summary.entity.js';
import type { FailureGroup } from './failure-group.types.js';

/** Summaries read per failure-groups query at most (the newest ones within `since`). */
export const FAILURE_GROUP_SCAN = 10_000;
const MAX_GROUPS = 200;

/** Per request: the newest written summary of each run (one query for a page of runs). */
const loaders = new WeakMap<OperationsContext, DataLoader<string, ErrorSummary | null>>();
function latestByRunId(ctx: OperationsContext) {
  let l = loaders.get(ctx);
  if (!l) {
    l = new DataLoader(async (ids) => {
      const rows = await ctx.em.find(
        ErrorSummary,
        { flowRunId: { $in: [...ids] }, status: 'READY' },
        { orderBy: { failedAt: 'asc', createdAt: 'asc' } },
      );
      const map = new Map(rows.map((r) => [r.flowRunId, r]));
      return ids.map((id) => map.get(id) ?? null);
    });
    loaders.set(ctx, l);
  }
  return l;
}

/** Reading summaries needs what reading the run's logs needs (see_logs). */
export class ErrorSummaryService {
  constructor(private readonly ctx: OperationsContext) {}

  /** The newest summary of a run's failures (null while none was written). */
  async forRun(run: FlowRun): Promise<ErrorSummary | null> {
    authorize(this.ctx, 'read', 'Log', { workspaceId: run.workspaceId }, 'Workspace');
    const s = await latestByRunId(this.ctx).load(run.id);
    return s && s.workspaceId === run.workspaceId ? s : null;
  }

  /**
   * Failures of the workspace since `since` grouped by signature, most recently seen first:
   * how often, when first and last, in which deployments, and the latest run.
   */
  async failureGroups(
    workspaceId: string,
    since: Date,
    deploymentId: string | null | undefined,
  ): Promise<FailureGroup[]> {
    authorize(this.ctx, 'read', 'Log', { workspaceId }, 'Workspace');
    if (Number.isNaN(since.getTime())) throw badInput('since', 'Not a valid time');
    if (deploymentId != null && !isUuid(deploymentId))
      throw badInput('deploymentId', 'Not a deployment id (UUID)');
    const rows = await this.ctx.em.find(
      ErrorSummary,
      {
        workspaceId,
        status: 'READY',
        failedAt: { $gte: since },
        ...(deploymentId != null ? { deploymentId } : {}),
      },
      {
        fields: [
          'signature',
          'signatureMessage',
          'rootCause',
          'fixKind',
          'failedAt',
          'deploymentId',
          'flowRunId',
          'workspaceId',
        ],
        orderBy: { failedAt: 'desc', id: 'desc' },
        limit: FAILURE_GROUP_SCAN,
      },
    );
    const groups = new Map<string, FailureGroup>();
    for (const r of rows) {
      const key = r.signature ?? '';
      let g = groups.get(key);
      if (!g) {
        const root = r.rootCause;
        g = {
          signature: key,
          exceptionType: root?.exceptionType ?? null,
          message: r.signatureMessage ?? null,
          userFrame: root?.file ? `${root.file}:${root.function ?? ''}` : null,
          fixKind: r.fixKind ?? null,
          count: 0,
          firstSeen: r.failedAt,
          lastSeen: r.failedAt,
          deploymentIds: [],
          latestRunId: r.flowRunId,
          workspaceId,
        };
        groups.set(key, g);
      }
      g.count++;
      if (r.failedAt < g.firstSeen) g.firstSeen = r.failedAt;
      if (r.deploymentId && !g.deploymentIds.includes(r.deploymentId))
        g.deploymentIds.push(r.deploymentId);
    }
    return [...groups.values()].slice(0, MAX_GROUPS);
  }

  /** The group's deployments the caller may see. */
  async deploymentsOf(g: FailureGroup): Promise<Deployment[]> {
    const service = new DeploymentService(this.ctx);
    const ds = await Promise.all(g.deploymentIds.map((id) => service.visible(id)));
    return ds.filter((d): d is Deployment => d !== null);
  }

  latestRunOf(g: FailureGroup): Promise<FlowRun | null> {
    return new FlowRunService(this.ctx).visible(g.latestRunId);
  }
}
