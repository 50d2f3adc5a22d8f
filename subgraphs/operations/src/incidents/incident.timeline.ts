/** Reading an incident's history back from its events (the timeline is the event store). */
import { badInput } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { pageSize } from '../../../../lib/pagination.js';
import { resourceId } from '../event-store/emit.js';
import { Event } from '../event-store/event.entity.js';
import {
  INCIDENT_COMMENT_ADDED,
  INCIDENT_DECLARED,
  INCIDENT_EVENT_PREFIX,
  INCIDENT_REOPENED,
  INCIDENT_RESOLVED,
  INCIDENT_UPDATED_PREFIX,
} from './incident.changes.js';
import {
  IncidentChangeKind,
  type IncidentActor,
  type IncidentComment,
  type IncidentStep,
  type IncidentTimelineConnection,
} from './incident.types.js';
import { INCIDENT_ACTOR_TYPES, type IncidentActorType } from './incident.entity.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseActor(v: unknown): IncidentActor | null {
  if (!isObject(v) || typeof v.id !== 'string') return null;
  if (!INCIDENT_ACTOR_TYPES.includes(v.type as IncidentActorType)) return null;
  return { type: v.type as IncidentActorType, id: v.id };
}

function commentOf(v: unknown): IncidentComment | null {
  if (!isObject(v) || typeof v.id !== 'string' || typeof v.body !== 'string') return null;
  const author = parseActor(v.author);
  return author ? { id: v.id, body: v.body, author } : null;
}

/** The incident id of an incident event, or null for any other event. */
export function incidentIdOf(e: Pick<Event, 'name' | 'resourceId'>): string | null {
  if (!e.name.startsWith(INCIDENT_EVENT_PREFIX)) return null;
  if (!e.resourceId.startsWith(INCIDENT_EVENT_PREFIX)) return null;
  return e.resourceId.slice(INCIDENT_EVENT_PREFIX.length);
}

function kindOf(name: string): { kind: IncidentChangeKind; field: string | null } | null {
  if (name === INCIDENT_DECLARED) return { kind: IncidentChangeKind.DECLARED, field: null };
  if (name === INCIDENT_COMMENT_ADDED)
    return { kind: IncidentChangeKind.COMMENT_ADDED, field: null };
  if (name === INCIDENT_RESOLVED) return { kind: IncidentChangeKind.RESOLVED, field: null };
  if (name === INCIDENT_REOPENED) return { kind: IncidentChangeKind.REOPENED, field: null };
  if (name.startsWith(INCIDENT_UPDATED_PREFIX) && name.length > INCIDENT_UPDATED_PREFIX.length)
    return { kind: IncidentChangeKind.UPDATED, field: name.slice(INCIDENT_UPDATED_PREFIX.length) };
  return null;
}

/** The timeline step an event records, or null when it is not an incident change. */
export function stepOf(e: Event): IncidentStep | null {
  const incidentId = incidentIdOf(e);
  const k = kindOf(e.name);
  if (!incidentId || !k) return null;
  const p = e.payload ?? {};
  const updated = k.kind === IncidentChangeKind.UPDATED;
  return {
    id: e.id,
    kind: k.kind,
    field: k.field,
    from: updated ? (p.from ?? null) : null,
    to: updated ? (p.to ?? null) : null,
    comment: k.kind === IncidentChangeKind.COMMENT_ADDED ? commentOf(p.comment) : null,
    actor: parseActor(p.actor),
    occurred: e.occurred,
    incidentId,
    event: e,
  };
}

const encode = (seq: number) => Buffer.from(`s:${seq}`).toString('base64url');
function decode(cursor: string): number {
  const m = /^s:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('after', 'Malformed cursor');
  return Number(m[1]);
}

/** One page of an incident's timeline, oldest first (the order of the event store). */
export async function timelinePage(
  em: Em,
  incident: { id: string; workspaceId: string },
  args: { first?: number | null; after?: string | null },
): Promise<IncidentTimelineConnection> {
  const first = pageSize(args);
  const where = {
    workspaceId: incident.workspaceId,
    resourceId: resourceId('incident', incident.id),
    name: { $like: `${INCIDENT_EVENT_PREFIX}%` },
  };
  const after = args.after ? decode(args.after) : null;
  const [rows, totalCount] = await Promise.all([
    em.find(Event, after === null ? where : { ...where, seq: { $gt: after } }, {
      orderBy: { seq: 'asc' },
      limit: first + 1,
    }),
    em.count(Event, where),
  ]);
  const page = rows.slice(0, first);
  const steps = page.map((e) => ({ e, step: stepOf(e) }));
  return {
    edges: steps
      .filter((s) => s.step !== null)
      .map(({ e, step }) => ({ cursor: encode(e.seq), node: step! })),
    pageInfo: {
      hasNextPage: rows.length > first,
      endCursor: page.length ? encode(page[page.length - 1]!.seq) : null,
    },
    totalCount,
  };
}
