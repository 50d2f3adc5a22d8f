import type { Em } from '../../../../../lib/orm.js';
import { emitEvent, resourceId, type EventJson } from '../../event-store/emit.js';
import type { AutomationData, Firing, StoredAction } from './action.types.js';

export const TRIGGERED = 'flowplane.automation.triggered';
export const RESOLVED = 'flowplane.automation.resolved';
export const ACTION_EXECUTED = 'flowplane.automation.action.executed';
export const ACTION_FAILED = 'flowplane.automation.action.failed';

export type Related = { id: string; role: string };

/** The resource of an automation's lifecycle events. */
export const automationResource = (a: { id: string; name: string }) => ({
  id: resourceId('automation', a.id),
  labels: { 'flowplane.resource.name': a.name },
});

/** The kind in a system resource id (`flowplane.flow-run.<id>` → `flow-run`), else `resource`. */
export function roleOf(id: string): string {
  const m = /^flowplane\.([a-z-]+)\./.exec(id);
  return m ? m[1]! : 'resource';
}

/** The triggering event's resource, as a related resource of lifecycle events. */
export function triggeringRelated(event: EventJson | null): Related[] {
  return event ? [{ id: event.resource.id, role: roleOf(event.resource.id) }] : [];
}

export function dedupe(related: Related[]): Related[] {
  const seen = new Set<string>();
  return related.filter((r) => {
    const k = `${r.id}\u0000${r.role}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `flowplane.automation.action.executed` or `.failed` for one action of a firing. */
export function emitActionOutcome(
  em: Em,
  automation: Pick<AutomationData, 'id' | 'name' | 'workspaceId'>,
  action: Pick<StoredAction, 'id' | 'type'>,
  firing: {
    kind: Firing['kind'];
    eventId: string;
    depth: number;
    triggeringEventId: string | null;
  },
  outcome: { ok: true; detail?: Record<string, unknown> } | { ok: false; reason: string },
  related: Related[],
): void {
  emitEvent(em, {
    workspaceId: automation.workspaceId,
    event: outcome.ok ? ACTION_EXECUTED : ACTION_FAILED,
    resource: automationResource(automation),
    related: dedupe(related),
    follows: firing.eventId,
    payload: {
      automationId: automation.id,
      action: { id: action.id, type: action.type },
      firing: firing.kind,
      firingEventId: firing.eventId,
      triggeringEventId: firing.triggeringEventId,
      depth: firing.depth,
      ...(outcome.ok ? (outcome.detail ?? {}) : { reason: outcome.reason.slice(0, 2000) }),
    },
  });
}
