import type { EventJson } from '../../event-store/emit.js';
import type {
  EventTriggerSpec,
  LabelPatternSpec,
  RelatedMatchSpec,
  ResourceMatchSpec,
} from './trigger.schema.js';

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 's');
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re.test(value);
}

/** An event name against names where a trailing `*` matches any suffix. */
export function nameMatches(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

type Resource = { id: string; role?: string; labels: Record<string, string> };

/**
 * A label of a resource; `flowplane.resource.id` (and `.role`) are the id (and role) themselves.
 * Only the labels' own keys count (`constructor`, `toString`, … are not labels).
 */
export function labelOf(r: Resource, name: string): string | undefined {
  if (name === 'flowplane.resource.id') return r.id;
  if (name === 'flowplane.resource.role') return r.role;
  return r.labels && Object.hasOwn(r.labels, name) ? r.labels[name] : undefined;
}

function labelsMatch(r: Resource, labels: readonly LabelPatternSpec[]): boolean {
  return labels.every((l) => {
    const v = labelOf(r, l.name);
    return v !== undefined && l.values.some((p) => globMatches(p, v));
  });
}

export function resourceMatches(r: Resource, m: ResourceMatchSpec): boolean {
  if (m.ids.length && !m.ids.some((p) => globMatches(p, r.id))) return false;
  return labelsMatch(r, m.labels);
}

function relatedMatches(e: EventJson, m: RelatedMatchSpec): boolean {
  return e.related.some((r) => (m.role == null || r.role === m.role) && resourceMatches(r, m));
}

/** Whether an event is one the trigger looks at (its resource and related resources match). */
export function triggerSees(t: EventTriggerSpec, e: EventJson): boolean {
  return resourceMatches(e.resource, t.match) && t.matchRelated.every((m) => relatedMatches(e, m));
}

/** The values of the trigger's `forEach` labels on the event's resource (absent: ""). */
export function bucketValues(t: EventTriggerSpec, e: EventJson): string[] {
  return t.forEach.map((name) => labelOf(e.resource, name) ?? '');
}
