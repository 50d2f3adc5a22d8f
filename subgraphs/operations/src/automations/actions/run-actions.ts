import { randomUUID } from 'node:crypto';
import type { EntityName } from '@mikro-orm/core';
import { abilityFor } from '../../../../../lib/ability.js';
import { currentActor, runAsActor, systemActor } from '../../../../../lib/actor.js';
import { isUuid } from '../../../../../lib/db.js';
import type { Em } from '../../../../../lib/orm.js';
import type { Grants, Principal } from '../../../../../lib/principal.js';
import type { BaseContext, SubgraphRuntime } from '../../../../../lib/module.js';
import type { OperationsContext } from '../../context.js';
import { Deployment } from '../../deployments/deployment.entity.js';
import { FlowRun } from '../../flow-runs/flow-run.entity.js';
import { WorkPool } from '../../work-pools/work-pool.entity.js';
import { WorkQueue } from '../../work-pools/work-queue.entity.js';
import { Automation } from '../automation.entity.js';
import { resourceId, type EventJson, type ResourceKind } from '../../event-store/emit.js';
import { ActionTargetSource } from './action-type.js';
import { emitActionOutcome, triggeringRelated, type Related } from './action-events.js';
import type { ActionHandler, AutomationData, Firing, StoredAction } from './action.types.js';
import { ACTION_HANDLERS } from './registry.js';

/**
 * The context an automation's actions run in, inside `em`'s transaction (its `transaction(fn)`
 * runs `fn` on that same entity manager, so the caller's savepoint holds everything the
 * services write). Its principal is the automation, acting for whoever last saved its trigger
 * or actions, with that actor's grants in the automation's workspace and nothing else: no
 * other workspace exists for it, not even by id, and no more than its saver could do there.
 */
export function automationContext(
  sub: SubgraphRuntime<OperationsContext>,
  em: Em,
  automation: AutomationData,
): OperationsContext {
  const authority = automation.authority;
  if (!authority)
    throw new Error('The automation has no recorded authority: save its actions again to run them');
  const principal: Principal = {
    type: 'automation',
    id: automation.id,
    actsFor: authority.actsFor,
  };
  const grants: Grants = {
    accounts: {},
    workspaces: {
      [automation.workspaceId]: {
        accountId: authority.accountId,
        role: authority.role,
        permissions: authority.permissions,
      },
    },
  };
  const base: BaseContext = {
    principal,
    grants,
    requestId: currentActor().requestId ?? randomUUID(),
    client: { ip: null, userAgent: null },
    ability: abilityFor(principal, grants),
    em,
    transaction: (fn) => fn(em),
    autocommit: (fn) => fn(em),
    plainTransaction: (fn) => fn(em),
  };
  return sub.contextFor(base);
}

const TARGETS: Record<string, EntityName<{ id: string; workspaceId: string }>> = {
  deployment: Deployment,
  'work-pool': WorkPool,
  'work-queue': WorkQueue,
  'flow-run': FlowRun,
  automation: Automation,
};

/**
 * The target must be an object of the automation's own workspace, looked up with the workspace
 * in the query: an id of another workspace (from a client's event, say) is no target at all.
 */
async function requireTarget(
  em: Em,
  kind: ResourceKind,
  id: string,
  workspaceId: string,
): Promise<void> {
  const entity = TARGETS[kind];
  if (!entity) throw new Error(`Unknown target kind ${kind}`);
  if (!(await em.count(entity, { id, workspaceId })))
    throw new Error(`No such ${kind} in this workspace`);
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
 * transaction: a failing action is rolled back alone and announced as `…action.failed` with
 * the reason, and the others and the firing stand. Actions act in the automation's context
 * (`automationContext`) on targets of its workspace only; the automation is the actor of the
 * domain events they cause.
 */
export async function runActions(
  sub: SubgraphRuntime<OperationsContext>,
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
          async (tx) => {
            const ctx = automationContext(sub, tx, automation);
            if (targetId && handler.target)
              await requireTarget(tx, handler.target, targetId, automation.workspaceId);
            return handler.execute({
              sub,
              em: tx,
              ctx,
              automation,
              action,
              firing,
              targetId,
              now,
            });
          },
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
