import { isUuid } from '../../../../lib/db.js';
import { fromSource, onlyWhen, type ConsumerHandler } from '../../../../lib/outbox.js';
import { FLOW_RUN_PURGED, purgedRunIds, type PurgedRuns } from '../flow-runs/flow-run.cleanup.js';
import { ErrorSummary, SummaryAccount, SummaryWorkspace } from './error-summary.entity.js';

interface StateChanged {
  runId?: string;
  workspaceId?: string;
  flowId?: string | null;
  deploymentId?: string | null;
  stateId?: string;
  to?: { type?: string; name?: string };
  timestamp?: string;
}

const FAILURES = new Set(['FAILED', 'CRASHED']);
const isFailure = (p: StateChanged | null) => FAILURES.has(p?.to?.type ?? '');

/**
 * The `error-summaries` consumer group of the operations subgraph. It keeps a copy of what it
 * needs from the workspaces subgraph (each account's `aiErrorSummaries`, each workspace's
 * account) and, when a flow run enters FAILED or CRASHED in an account with summaries on,
 * records a PENDING summary: after the transition committed, once per failure (the state id is
 * unique, and the event is handled once). The error-summary service writes it.
 */
export const errorSummaryConsumers: Record<string, ConsumerHandler> = {
  'account.updated': fromSource(
    'workspaces',
    async (p: { accountId?: string; after?: { aiErrorSummaries?: unknown } }, em) => {
      if (!isUuid(p.accountId) || typeof p.after?.aiErrorSummaries !== 'boolean') return;
      const row = await em.findOne(SummaryAccount, { accountId: p.accountId });
      if (row) row.enabled = p.after.aiErrorSummaries;
      else
        em.persist(
          Object.assign(new SummaryAccount(), {
            accountId: p.accountId,
            enabled: p.after.aiErrorSummaries,
          }),
        );
    },
  ),
  'workspace.created': fromSource(
    'workspaces',
    async (p: { workspaceId?: string; accountId?: string }, em) => {
      if (!isUuid(p.workspaceId) || !isUuid(p.accountId)) return;
      if (await em.count(SummaryWorkspace, { workspaceId: p.workspaceId })) return;
      em.persist(
        Object.assign(new SummaryWorkspace(), {
          workspaceId: p.workspaceId,
          accountId: p.accountId,
        }),
      );
    },
  ),
  'workspace.deleted': fromSource('workspaces', async (p: { workspaceId?: string }, em) => {
    if (!isUuid(p.workspaceId)) return;
    await em.nativeDelete(ErrorSummary, { workspaceId: p.workspaceId });
    await em.nativeDelete(SummaryWorkspace, { workspaceId: p.workspaceId });
  }),
  // Every deletion of runs announces them so (deleteFlowRun, a flow's deletion, the retention).
  // The deletions' own events are still handled: an instance of an earlier version (a rolling
  // upgrade), or its events left in the outbox, announces deletions that way only.
  'flow-run.deleted': fromSource('operations', async (p: { runId?: string }, em) => {
    if (isUuid(p.runId)) await em.nativeDelete(ErrorSummary, { flowRunId: p.runId });
  }),
  'flow.deleted': fromSource('operations', async (p: { flowId?: string }, em) => {
    if (isUuid(p.flowId)) await em.nativeDelete(ErrorSummary, { flowId: p.flowId });
  }),
  [FLOW_RUN_PURGED]: fromSource('operations', async (p: PurgedRuns, em) => {
    const runIds = purgedRunIds(p);
    if (runIds.length)
      await em.nativeDelete(ErrorSummary, {
        workspaceId: p.workspaceId,
        flowRunId: { $in: runIds },
      });
  }),
  // Only failures are summarised: other state changes cost no transaction here.
  'flow-run.state-changed': fromSource(
    'operations',
    onlyWhen(isFailure, async (p: StateChanged, em) => {
      if (!isFailure(p) || !isUuid(p.runId) || !isUuid(p.stateId)) return;
      if (!isUuid(p.workspaceId)) return;
      const ws = await em.findOne(SummaryWorkspace, { workspaceId: p.workspaceId });
      if (!ws) return;
      const account = await em.findOne(SummaryAccount, { accountId: ws.accountId });
      if (!account?.enabled) return;
      if (await em.count(ErrorSummary, { stateId: p.stateId })) return;
      const failedAt = p.timestamp ? new Date(p.timestamp) : new Date();
      em.persist(
        Object.assign(new ErrorSummary(), {
          workspaceId: p.workspaceId,
          accountId: ws.accountId,
          flowRunId: p.runId,
          stateId: p.stateId,
          flowId: isUuid(p.flowId) ? p.flowId : null,
          deploymentId: isUuid(p.deploymentId) ? p.deploymentId : null,
          stateType: p.to!.type!,
          failedAt: Number.isNaN(failedAt.getTime()) ? new Date() : failedAt,
        }),
      );
    }),
  ),
};
