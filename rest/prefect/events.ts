import type { EmitEventInput } from '../generated/graphql.js';

type Labels = Record<string, unknown>;

/** Prefect's resource (`{"prefect.resource.id": …, …labels}`) as Flowplane's id + labels. */
function resourceOf(
  r: unknown,
): { id: string; role?: string; labels: Record<string, string> } | null {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return null;
  const { 'prefect.resource.id': id, 'prefect.resource.role': role, ...rest } = r as Labels;
  if (typeof id !== 'string') return null;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) if (v != null) labels[k] = String(v);
  return { id, role: typeof role === 'string' ? role : undefined, labels };
}

/** A Prefect event (as its clients send it on the events socket) as `EmitEventInput`, or null. */
export function toEmitEvent(e: unknown): EmitEventInput | null {
  if (!e || typeof e !== 'object') return null;
  const ev = e as Labels;
  const resource = resourceOf(ev.resource);
  if (typeof ev.event !== 'string' || !resource) return null;
  const related = Array.isArray(ev.related) ? ev.related.map(resourceOf) : [];
  if (related.some((r) => !r || !r.role)) return null;
  return {
    id: typeof ev.id === 'string' ? ev.id : undefined,
    event: ev.event,
    occurred: typeof ev.occurred === 'string' ? ev.occurred : undefined,
    resource: { id: resource.id, labels: resource.labels },
    related: related.map((r) => ({ id: r!.id, role: r!.role!, labels: r!.labels })),
    payload: ev.payload ?? {},
    follows: typeof ev.follows === 'string' ? ev.follows : undefined,
  };
}

/** A stored event as Prefect's `ReceivedEvent`. */
export function toPrefectEvent(e: {
  id: string;
  occurred: string;
  received: string;
  event: string;
  payload: unknown;
  follows?: string | null;
  resource: { id: string; labels: unknown };
  related: { id: string; role?: string | null; labels: unknown }[];
}) {
  return {
    id: e.id,
    occurred: e.occurred,
    received: e.received,
    event: e.event,
    payload: e.payload ?? {},
    follows: e.follows ?? null,
    resource: { ...(e.resource.labels as Labels), 'prefect.resource.id': e.resource.id },
    related: e.related.map((r) => ({
      ...(r.labels as Labels),
      'prefect.resource.id': r.id,
      'prefect.resource.role': r.role ?? '',
    })),
  };
}
