import type { AutomationData, Firing } from './action.types.js';

/** What templates see: the triggering event, the automation and the firing. */
export function templateValues(
  automation: Pick<AutomationData, 'id' | 'name'>,
  firing: Pick<Firing, 'kind' | 'eventId' | 'event'>,
): Record<string, unknown> {
  const e = firing.event;
  return {
    event: e
      ? {
          ...e,
          resource: { ...e.resource, name: e.resource.labels['flowplane.resource.name'] ?? null },
        }
      : null,
    automation: { id: automation.id, name: automation.name },
    firing: { kind: firing.kind, id: firing.eventId },
  };
}
