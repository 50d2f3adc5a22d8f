import { isUuid } from '../../../../lib/db.js';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import { TERMINAL, type StateType } from '../orchestration/state-type.js';
import { FlowRunCredential } from './push-entities.js';

/**
 * Run-scoped credentials are revoked once their run is terminal. The credential lookup refuses
 * them from that moment already (it reads the run's state) and the gateway drops its cached
 * identities on the same event; this marks the rows, so what was revoked when stays on record.
 */
export const pushConsumers: Record<string, ConsumerHandler> = {
  'flow-run.state-changed': async (
    p: { runId?: string; to?: { type?: string }; timestamp?: string },
    em,
  ) => {
    if (!isUuid(p.runId) || !TERMINAL.has(p.to?.type as StateType)) return;
    const at = p.timestamp ? new Date(p.timestamp) : new Date();
    await em.nativeUpdate(
      FlowRunCredential,
      { flowRunId: p.runId, revokedAt: null },
      { revokedAt: Number.isNaN(at.getTime()) ? new Date() : at },
    );
  },
};
