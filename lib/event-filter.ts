/**
 * In-memory matching of workspace events against the filters clients give (REFERENCE §6): the
 * gateway's subscriptions and the automation triggers use it on live events; the event store's
 * SQL queries implement the same conditions for stored ones.
 */

/** An event as it travels on the bus (`event.emitted`); see operations/src/events/emit.ts. */
export interface LiveEvent {
  id: string;
  workspaceId: string;
  occurred: string;
  event: string;
  resource: { id: string; labels: Record<string, string> };
  related: { id: string; role?: string; labels: Record<string, string> }[];
  payload: Record<string, unknown>;
  follows: string | null;
}

export interface LabelMatch {
  name: string;
  values: string[];
}

/** Conditions combine with AND; a list matches when any of its values does. */
export interface EventFilterSpec {
  occurredAfter?: Date | string | null;
  occurredBefore?: Date | string | null;
  names?: string[] | null;
  namePrefixes?: string[] | null;
  resourceIds?: string[] | null;
  resourceIdPrefixes?: string[] | null;
  labels?: LabelMatch[] | null;
  relatedResourceIds?: string[] | null;
}

export interface FlowRunEventFilterSpec {
  flowRunIds?: string[] | null;
  deploymentIds?: string[] | null;
  flowIds?: string[] | null;
  stateTypes?: string[] | null;
}

const some = <T>(list: T[] | null | undefined): list is T[] =>
  Array.isArray(list) && list.length > 0;
const time = (v: Date | string) => (v instanceof Date ? v.getTime() : Date.parse(v));

/** The value of a label on the primary resource; `flowplane.resource.id` is the id itself. */
function label(e: LiveEvent, name: string): string | undefined {
  return name === 'flowplane.resource.id' ? e.resource.id : e.resource.labels[name];
}

/** Whether `e` satisfies every condition of `f` (an empty filter matches everything). */
export function eventMatches(e: LiveEvent, f: EventFilterSpec | null | undefined): boolean {
  if (!f) return true;
  const occurred = Date.parse(e.occurred);
  if (f.occurredAfter && !(occurred >= time(f.occurredAfter))) return false;
  if (f.occurredBefore && !(occurred < time(f.occurredBefore))) return false;
  if (some(f.names) && !f.names.includes(e.event)) return false;
  if (some(f.namePrefixes) && !f.namePrefixes.some((p) => e.event.startsWith(p))) return false;
  if (some(f.resourceIds) && !f.resourceIds.includes(e.resource.id)) return false;
  if (some(f.resourceIdPrefixes) && !f.resourceIdPrefixes.some((p) => e.resource.id.startsWith(p)))
    return false;
  for (const l of f.labels ?? []) {
    const v = label(e, l.name);
    if (v === undefined || !l.values.includes(v)) return false;
  }
  if (some(f.relatedResourceIds)) {
    const ids = f.relatedResourceIds;
    if (!e.related.some((r) => ids.includes(r.id))) return false;
  }
  return true;
}

export const FLOW_RUN_STATE_PREFIX = 'flowplane.flow-run.';

/** The run id of a flow-run state event, or null for any other event. */
export function flowRunIdOf(e: LiveEvent): string | null {
  if (!e.event.startsWith(FLOW_RUN_STATE_PREFIX)) return null;
  if (!e.resource.id.startsWith(FLOW_RUN_STATE_PREFIX)) return null;
  return e.resource.id.slice(FLOW_RUN_STATE_PREFIX.length);
}

/** Whether `e` is a flow-run state event that satisfies `f`. */
export function flowRunEventMatches(
  e: LiveEvent,
  f: FlowRunEventFilterSpec | null | undefined,
): boolean {
  const runId = flowRunIdOf(e);
  if (!runId) return false;
  if (!f) return true;
  if (some(f.flowRunIds) && !f.flowRunIds.includes(runId)) return false;
  const related = (role: string) =>
    e.related.filter((r) => r.role === role).map((r) => r.id.slice(`flowplane.${role}.`.length));
  if (some(f.deploymentIds)) {
    const ids = f.deploymentIds;
    if (!related('deployment').some((id) => ids.includes(id))) return false;
  }
  if (some(f.flowIds)) {
    const ids = f.flowIds;
    if (!related('flow').some((id) => ids.includes(id))) return false;
  }
  if (some(f.stateTypes)) {
    const type = e.resource.labels['flowplane.state-type'];
    if (!type || !f.stateTypes.includes(type)) return false;
  }
  return true;
}

export const INCIDENT_PREFIX = 'flowplane.incident.';

/** Whether `e` is a change of an incident (declared, updated, commented, resolved, reopened). */
export const isIncidentChange = (e: LiveEvent): boolean =>
  e.event.startsWith(INCIDENT_PREFIX) && e.resource.id.startsWith(INCIDENT_PREFIX);
