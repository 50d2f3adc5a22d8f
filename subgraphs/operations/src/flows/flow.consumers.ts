import type { ConsumerHandler } from '../../../../lib/outbox.js';
import { Flow } from './flow.entity.js';

/** Keeps flows in step with tenancy changes; idempotent (a redelivery deletes nothing more). */
export const flowConsumers: Record<string, ConsumerHandler> = {
  'workspace.deleted': async (p: { workspaceId: string }, em) => {
    await em.nativeDelete(Flow, { workspaceId: p.workspaceId });
  },
};
