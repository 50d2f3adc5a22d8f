import type { EventFilter, PrefectEventsOutSubscription } from '../generated/graphql.js';
import { toPrefectEvent } from './events.js';

type Json = Record<string, unknown>;

/** Prefect's names of Flowplane's own flow-run state events (`flowplane.flow-run.Running`, …). */
const OURS = 'flowplane.flow-run.';
const THEIRS = 'prefect.flow-run.';

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length ? v : undefined;

const withOurs = (names: string[] | undefined) =>
  names && [
    ...names,
    ...names.filter((n) => n.startsWith(THEIRS)).map((n) => OURS + n.slice(THEIRS.length)),
  ];

/** What a Prefect subscriber asked for (its `{"type":"filter"}` message), as Flowplane's filter. */
export interface OutFilter {
  filter: EventFilter;
  /** Replay from this time first (Prefect's `occurred.since`). */
  replayFrom: string | undefined;
  /** Prefect's exclusions, applied to each event here. */
  excludePrefixes: string[];
  excludeNames: string[];
}

/**
 * Prefect's `EventFilter` (event name/prefix, resource id/prefix/labels, related ids, occurred)
 * as the `events` subscription's filter. Asking for Prefect's flow-run state events
 * (`prefect.flow-run.Cancelling`) asks for Flowplane's (`flowplane.flow-run.Cancelling`) too.
 */
export function toOutFilter(message: unknown): OutFilter {
  const f = (message && typeof message === 'object' ? message : {}) as Json;
  const event = (f.event ?? {}) as Json;
  const resource = (f.resource ?? {}) as Json;
  const related = (f.related ?? {}) as Json;
  const occurred = (f.occurred ?? {}) as Json;
  const labels =
    resource.labels && typeof resource.labels === 'object' ? (resource.labels as Json) : {};
  const labelMatches = Object.entries(labels)
    .map(([name, values]) => ({
      name,
      values: strings(values) ?? (typeof values === 'string' ? [values] : []),
    }))
    .filter((l) => l.values.length);
  const resourceIds = strings(resource.id);
  const resourcePrefixes = strings(resource.id_prefix);
  return {
    filter: {
      names: withOurs(strings(event.name)),
      namePrefixes: withOurs(strings(event.prefix)),
      resourceIds: withOurs(resourceIds),
      resourceIdPrefixes: withOurs(resourcePrefixes),
      relatedResourceIds: strings(related.id),
      labels: labelMatches.length ? labelMatches : undefined,
    },
    replayFrom: typeof occurred.since === 'string' ? occurred.since : undefined,
    excludePrefixes: strings(event.exclude_prefix) ?? [],
    excludeNames: strings(event.exclude_name) ?? [],
  };
}

const prefectName = (s: string) => (s.startsWith(OURS) ? THEIRS + s.slice(OURS.length) : s);

/** A delivered event as Prefect's `Event` (null when the subscriber's exclusions drop it). */
export function toOutEvent(e: PrefectEventsOutSubscription['events'], f: OutFilter) {
  const name = prefectName(e.event);
  if (f.excludeNames.includes(name) || f.excludePrefixes.some((p) => name.startsWith(p)))
    return null;
  const out = toPrefectEvent(e);
  return {
    ...out,
    event: name,
    resource: { ...out.resource, 'prefect.resource.id': prefectName(e.resource.id) },
  };
}
