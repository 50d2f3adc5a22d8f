import { isUuid } from '../../../../../lib/db.js';
import type { Em } from '../../../../../lib/orm.js';
import { filteredBy, type ConsumerHandler } from '../../../../../lib/outbox.js';
import type { DomainEvent } from '../../../../../lib/bus.js';
import type { SubgraphRuntime } from '../../../../../lib/module.js';
import type { OperationsContext } from '../../context.js';
import { EVENT_EMITTED, resourceId, type EventJson } from '../../event-store/emit.js';
import { AutomationCache, hintedRevision } from './automation-cache.js';
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
  // Most workspaces have no automation: their events are passed over before any transaction
  // (lib/outbox `filteredBy`), after one read of each workspace's revision per delivery, or none
  // when the relay read it with the event (its hint: PostgreSQL).
  const workspaceOf = (e: DomainEvent) =>
    (e.payload as { workspaceId?: unknown } | null)?.workspaceId;
  const withAutomations = async (events: DomainEvent[], em: Em) => {
    const has = new Map<unknown, boolean>();
    for (const e of events) {
      const ws = workspaceOf(e);
      if (typeof ws === 'string' && isUuid(ws) && !has.has(ws))
        has.set(ws, (await cache.enabledAt(em, ws, hintedRevision(e))).length > 0);
    }
    // Events without a valid workspace stay: the handler decides (and passes them over).
    return events.filter((e) => has.get(workspaceOf(e)) !== false);
  };
  return {
    [EVENT_EMITTED]: filteredBy(
      withAutomations,
      async (p: { workspaceId?: string; event?: EventJson } | null, em) => {
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
    ),
  };
}
