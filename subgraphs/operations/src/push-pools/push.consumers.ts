import { isUuid } from '../../../../lib/db.js';
import { onlyWhen, type ConsumerHandler } from '../../../../lib/outbox.js';
import { TERMINAL, type StateType } from '../orchestration/state-type.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { FLOW_RUN_PURGED, purgedRunIds, type PurgedRuns } from '../flow-runs/flow-run.cleanup.js';
import { FlowRunCredential, PushSubmission } from './push-entities.js';
import { pushSettingsOf } from './push.service.js';

const isTerminal = (p: { to?: { type?: string } } | null) => TERMINAL.has(p?.to?.type as StateType);

/**
 * Run-scoped credentials are revoked once their run is terminal, after a grace period for what
 * the run still reports (PUSH_CREDENTIAL_GRACE_SECONDS). The credential lookup applies it from
 * the state's time already (it reads the run) and the gateway drops its cached identities on the
 * same event; this marks the rows, so when each one stopped working stays on record.
 */
export const pushConsumers = (
  sub: SubgraphRuntime<OperationsContext>,
): Record<string, ConsumerHandler> => ({
  // Most state changes are not terminal: those cost no transaction here.
  'flow-run.state-changed': onlyWhen(
    isTerminal,
    async (p: { runId?: string; to?: { type?: string }; timestamp?: string }, em) => {
      if (!isUuid(p.runId) || !isTerminal(p)) return;
      const t = p.timestamp ? new Date(p.timestamp) : new Date();
      const at = Number.isNaN(t.getTime()) ? new Date() : t;
      const grace = pushSettingsOf(sub).credentialGraceSeconds * 1000;
      await em.nativeUpdate(
        FlowRunCredential,
        { flowRunId: p.runId, revokedAt: null },
        { revokedAt: new Date(at.getTime() + grace) },
      );
    },
  ),
  // Deleted runs (by the retention or by hand): their submissions and credentials go with them.
  [FLOW_RUN_PURGED]: async (p: PurgedRuns, em) => {
    const runIds = purgedRunIds(p);
    if (!runIds.length) return;
    const where = { workspaceId: p.workspaceId, flowRunId: { $in: runIds } };
    await em.nativeDelete(PushSubmission, where);
    await em.nativeDelete(FlowRunCredential, where);
  },
});
