import { randomUUID } from 'node:crypto';
import { defineAbilityFor } from '../../../../../lib/ability.js';
import { currentActor, runAsActor, systemActor } from '../../../../../lib/actor.js';
import { isUuid } from '../../../../../lib/db.js';
import type { Em } from '../../../../../lib/orm.js';
import { NO_GRANTS, type Principal } from '../../../../../lib/principal.js';
import type { BaseContext, Subgraph } from '../../../../../lib/subgraph.js';
import type { OperationsContext } from '../../context.js';
import { resourceId, type EventJson, type ResourceKind } from '../../events/emit.js';
import { ActionTargetSource } from './action-type.js';
import { emitActionOutcome, triggeringRelated, type Related } from './action-events.js';
import type { ActionHandler, AutomationData, Firing, StoredAction } from './action.types.js';
import { ACTION_HANDLERS } from './registry.js';

/** The principal automations act as: the system (no grants needed, no access lists). */
export const AUTOMATION_PRINCIPAL: Principal = Object.freeze({
  type: 'system',
  id: 'operations.automations',
});

/**
 * A request context for running services as the automation inside `em`'s transaction: its
 * `transaction(fn)` runs `fn` on that same entity manager, so the caller's savepoint holds
 * everything the service writes.
 */
export function systemContext(sub: Subgraph<OperationsContext>, em: Em): OperationsContext {
  const base: BaseContext = {
    principal: AUTOMATION_PRINCIPAL,
    grants: NO_GRANTS,
    requestId: currentActor().requestId ?? randomUUID(),
    client: { ip: null, userAgent: null },
    ability: defineAbilityFor(AUTOMATION_PRINCIPAL, NO_GRANTS),
    em,
    transaction: (fn) => fn(em),
  };
  return sub.def.extendContext(base, sub);
}

/** The target's id in the triggering event: its resource, else a related resource of the kind. */
export function inferTarget(kind: ResourceKind, event: EventJson | null): string | null {
  if (!event) return null;
  const prefix = resourceId(kind, '');
  const candidates = [
    event.resource,
    ...event.related.filter((r) => r.role === kind),
    ...event.related,
  ];
  for (const c of candidates) {
    if (!c.id.startsWith(prefix)) continue;
    const id = c.id.slice(prefix.length);
    if (isUuid(id)) return id;
  }
  return null;
}

function targetOf(
  handler: ActionHandler,
  action: StoredAction,
  event: EventJson | null,
): string | null {
  if (!handler.target) return null;
  if (action.source === ActionTargetSource.INFERRED) {
    const id = inferTarget(handler.target, event);
    if (!id) throw new Error(`The triggering event names no ${handler.target}`);
    return id;
  }
  if (!action.targetId) throw new Error(`No ${handler.target} selected`);
  return action.targetId;
}

const reasonOf = (err: unknown): string =>
  err instanceof Error ? err.message : String(err ?? 'failed');

/**
 * Runs a firing's actions in order, each in a savepoint of the consumer's (or the service's)
 * transaction: a failing action is rolled back alone and announced as `…action.failed`, and
 * the others and the firing stand. Actions act as the system, with the automation as the
 * actor of the domain events they cause.
 */
export async function runActions(
  sub: Subgraph<OperationsContext>,
  em: Em,
  automation: AutomationData,
  actions: StoredAction[],
  firing: Firing,
  now: Date,
): Promise<void> {
  if (!actions.length) return;
  await em.flush();
  const actor = systemActor(`automation:${automation.id}`, currentActor());
  const outcomeFiring = {
    kind: firing.kind,
    eventId: firing.eventId,
    depth: firing.depth,
    triggeringEventId: firing.event?.id ?? null,
  };
  for (const action of actions) {
    const handler = ACTION_HANDLERS[action.type];
    const related: Related[] = triggeringRelated(firing.event);
    try {
      const targetId = targetOf(handler, action, firing.event);
      if (targetId && handler.target)
        related.push({ id: resourceId(handler.target, targetId), role: handler.target });
      const result = await runAsActor(actor, () =>
        em.transactional(
          (tx) =>
            handler.execute({
              sub,
              em: tx,
              ctx: systemContext(sub, tx),
              automation,
              action,
              firing,
              targetId,
              now,
            }),
          { clear: true },
        ),
      );
      if (result.deferred) continue;
      emitActionOutcome(
        em,
        automation,
        action,
        outcomeFiring,
        { ok: true, detail: result.detail },
        [...related, ...(result.related ?? [])],
      );
    } catch (err) {
      emitActionOutcome(
        em,
        automation,
        action,
        outcomeFiring,
        { ok: false, reason: reasonOf(err) },
        related,
      );
    }
    // Outcome events are written before the next savepoint starts.
    await em.flush();
  }
}
