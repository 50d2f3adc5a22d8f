import { isUuid } from '../../../../../lib/db.js';
import type { Em } from '../../../../../lib/orm.js';
import type { ConsumerHandler } from '../../../../../lib/outbox.js';
import type { SubgraphRuntime } from '../../../../../lib/module.js';
import type { OperationsContext } from '../../context.js';
import { EVENT_EMITTED, resourceId, type EventJson } from '../../event-store/emit.js';
import { AutomationCache } from './automation-cache.js';
import { depthOf, Evaluation, MAX_CHAIN_DEPTH } from './evaluation.js';

/**
 * The `automations` consumer group of the operations subgraph: every stored event is matched
 * against the workspace's enabled automations in the transaction that marks it handled, so a
 * redelivered event counts nothing twice and a firing happens once.
 */
export function automationConsumers(
  sub: SubgraphRuntime<OperationsContext>,
  cache = new AutomationCache(),
): Record<string, ConsumerHandler> {
  return {
    [EVENT_EMITTED]: async (p: { workspaceId?: string; event?: EventJson } | null, em) => {
      const event = p?.event;
      if (!event || !isUuid(p?.workspaceId) || event.workspaceId !== p.workspaceId) return;
      // Automations reacting to automations: a chain stops after MAX_CHAIN_DEPTH firings.
      if (depthOf(event) >= MAX_CHAIN_DEPTH) return;
      const automations = await cache.enabledIn(em as Em, p.workspaceId);
      if (!automations.length) return;
      const evaluation = new Evaluation(sub, em as Em, new Date());
      for (const a of automations) {
        // Its own lifecycle events never feed an automation (no loops through itself).
        if (event.resource.id === resourceId('automation', a.id)) continue;
        await evaluation.applyEvent(a, event);
      }
      await evaluation.runPendingActions();
    },
  };
}
