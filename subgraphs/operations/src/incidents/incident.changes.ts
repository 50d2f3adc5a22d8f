/**
 * The write path of incidents, shared by the API (incident.service.ts) and automations: every
 * change updates the row and emits its event in the caller's transaction, so the event store
 * holds the incident's whole history (its timeline) and subscribers and automations see it.
 */
import { randomUUID } from 'node:crypto';
import { badInput, conflict } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { validateName } from '../../../../lib/validation.js';
import { isUuid } from '../../../../lib/db.js';
import { BlockDocument } from '../blocks/block-document.entity.js';
import { Deployment } from '../deployments/deployment.entity.js';
import { emitEvent, resourceId, type ResourceKind } from '../event-store/emit.js';
import type { Event } from '../event-store/event.entity.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { Flow } from '../flows/flow.entity.js';
import { validateTags } from '../flows/flow.validation.js';
import { WorkPool } from '../work-pools/work-pool.entity.js';
import { WorkQueue } from '../work-pools/work-queue.entity.js';
import {
  Incident,
  IncidentResourceKind,
  IncidentResourceRow,
  IncidentSeverity,
  IncidentStatus,
  type IncidentActorJson,
} from './incident.entity.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

export const INCIDENT_EVENT_PREFIX = 'flowplane.incident.';
export const INCIDENT_DECLARED = 'flowplane.incident.declared';
export const INCIDENT_UPDATED_PREFIX = 'flowplane.incident.updated.';
export const INCIDENT_COMMENT_ADDED = 'flowplane.incident.comment.added';
export const INCIDENT_RESOLVED = 'flowplane.incident.resolved';
export const INCIDENT_REOPENED = 'flowplane.incident.reopened';

export const MAX_NAME = 200;
export const MAX_TEXT = 10_000;
export const MAX_RELATED = 50;
/** Clocks of clients and server disagree a little: a start this far ahead still counts as now. */
const CLOCK_SKEW_MS = 60_000;

/** Event resource kinds (`flowplane.<kind>.<id>`) of the related-object kinds. */
export const EVENT_KIND: Record<IncidentResourceKind, ResourceKind> = {
  FLOW_RUN: 'flow-run',
  DEPLOYMENT: 'deployment',
  WORK_POOL: 'work-pool',
  BLOCK_DOCUMENT: 'block-document',
  FLOW: 'flow',
  WORK_QUEUE: 'work-queue',
};
const ENTITY = {
  FLOW_RUN: FlowRun,
  DEPLOYMENT: Deployment,
  WORK_POOL: WorkPool,
  BLOCK_DOCUMENT: BlockDocument,
  FLOW: Flow,
  WORK_QUEUE: WorkQueue,
} as const;

export interface ResourceRef {
  kind: IncidentResourceKind;
  id: string;
}

/** Who changes an incident, and the account the audit entry goes to (null: by its workspace). */
export interface IncidentAuthor {
  actor: IncidentActorJson;
  accountId: string | null;
}

export interface DeclareSpec {
  workspaceId: string;
  name: string;
  summary?: string | null;
  severity: IncidentSeverity;
  startTime?: Date | null;
  relatedResources?: readonly ResourceRef[] | null;
  tags?: readonly string[] | null;
}

export const validateIncidentName = (name: string): string => validateName(name, 'name', MAX_NAME);

export function validateSummary(summary: string | null | undefined): string | null {
  if (summary == null) return null;
  if ([...summary].length > MAX_TEXT)
    throw badInput('summary', `A summary is at most ${MAX_TEXT} characters`);
  return summary.trim().length ? summary : null;
}

export function validateCommentBody(body: string): string {
  const length = [...body].length;
  if (!body.trim().length || length > MAX_TEXT)
    throw badInput('body', `A comment is 1 to ${MAX_TEXT} characters`);
  return body;
}

export function validateSeverity(severity: unknown, field = 'severity'): IncidentSeverity {
  if (!Object.values(IncidentSeverity).includes(severity as IncidentSeverity))
    throw badInput(field, `One of ${Object.values(IncidentSeverity).join(', ')}`);
  return severity as IncidentSeverity;
}

export function validateStartTime(
  start: Date,
  end: Date | null | undefined,
  now = new Date(),
): Date {
  if (!(start instanceof Date) || Number.isNaN(start.getTime()))
    throw badInput('startTime', 'A valid time');
  if (start.getTime() > now.getTime() + CLOCK_SKEW_MS)
    throw badInput('startTime', 'The start time cannot be in the future');
  if (end && start.getTime() > end.getTime())
    throw badInput('startTime', 'The start time cannot be after the end time');
  return start;
}

/** Distinct, well-formed references (order kept); existence is checked by requireResources. */
export function validateResourceRefs(
  refs: readonly ResourceRef[],
  field = 'relatedResources',
): ResourceRef[] {
  const seen = new Set<string>();
  const out: ResourceRef[] = [];
  for (const r of refs) {
    if (!Object.values(IncidentResourceKind).includes(r.kind))
      throw badInput(field, `Unknown kind ${String(r.kind).slice(0, 40)}`);
    if (!isUuid(r.id)) throw badInput(field, `No such ${r.kind} in this workspace`);
    const key = `${r.kind}:${r.id.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ kind: r.kind, id: r.id.toLowerCase() });
  }
  if (out.length > MAX_RELATED) throw badInput(field, `At most ${MAX_RELATED} related resources`);
  return out;
}

/** Those of `refs` that are objects of the workspace (in their order). */
export async function existingResources(
  em: Em,
  workspaceId: string,
  refs: readonly ResourceRef[],
): Promise<ResourceRef[]> {
  const found = new Set<string>();
  for (const kind of Object.values(IncidentResourceKind)) {
    const ids = refs.filter((r) => r.kind === kind).map((r) => r.id);
    if (!ids.length) continue;
    const rows: { id: string }[] = await em.find(
      ENTITY[kind] as never,
      { id: { $in: ids }, workspaceId } as never,
      { fields: ['id'] as never },
    );
    for (const r of rows) found.add(`${kind}:${r.id}`);
  }
  return refs.filter((r) => found.has(`${r.kind}:${r.id}`));
}

/** BAD_USER_INPUT naming the first reference that is not an object of the workspace. */
export async function requireResources(
  em: Em,
  workspaceId: string,
  refs: readonly ResourceRef[],
  field = 'relatedResources',
): Promise<void> {
  const found = await existingResources(em, workspaceId, refs);
  const missing = refs.find((r) => !found.includes(r));
  if (missing) throw badInput(field, `No such ${missing.kind} in this workspace: ${missing.id}`);
}

/** The related objects of an incident, in their order. */
export async function resourcesOf(em: Em, incidentId: string): Promise<ResourceRef[]> {
  const rows = await em.find(IncidentResourceRow, { incidentId }, { orderBy: { position: 'asc' } });
  return rows.map((r) => ({ kind: r.kind, id: r.resourceId }));
}

async function replaceResources(em: Em, incident: Incident, refs: readonly ResourceRef[]) {
  await em.nativeDelete(IncidentResourceRow, { incidentId: incident.id });
  refs.forEach((r, position) =>
    em.persist(
      em.create(IncidentResourceRow, {
        incidentId: incident.id,
        kind: r.kind,
        resourceId: r.id,
        workspaceId: incident.workspaceId,
        position,
      }),
    ),
  );
}

/**
 * Emits one incident event (`flowplane.incident.<change>`), chained after the incident's
 * previous one. The resource carries the incident's name, severity and status as labels; the
 * related objects, tags and a declaring automation are related resources.
 */
function emitIncidentEvent(
  em: Em,
  incident: Incident,
  refs: readonly ResourceRef[],
  name: string,
  payload: Record<string, unknown>,
  by: IncidentAuthor,
): Event {
  const related = [
    ...refs.map((r) => ({ id: resourceId(EVENT_KIND[r.kind], r.id), role: EVENT_KIND[r.kind] })),
    ...incident.tags.map((t) => ({ id: `flowplane.tag.${t}`, role: 'tag' })),
    ...(by.actor.type === ActorType.AUTOMATION
      ? [{ id: resourceId('automation', by.actor.id), role: 'automation' }]
      : []),
  ];
  const e = emitEvent(em, {
    workspaceId: incident.workspaceId,
    event: name,
    resource: {
      id: resourceId('incident', incident.id),
      labels: {
        'flowplane.resource.name': incident.name,
        'flowplane.incident.severity': incident.severity,
        'flowplane.incident.status': incident.status,
      },
    },
    related,
    payload: { ...payload, actor: { type: by.actor.type, id: by.actor.id } },
    follows: incident.lastEventId ?? null,
  });
  incident.lastEventId = e.id;
  return e;
}

/** The domain event the access subgraph turns into an audit entry (`incident.<verb>`). */
function audit(em: Em, type: string, incident: Incident, by: IncidentAuthor, extra = {}) {
  recordEvent(em, type, {
    incidentId: incident.id,
    workspaceId: incident.workspaceId,
    accountId: by.accountId,
    actorType: by.actor.type.toLowerCase(),
    actorId: by.actor.id,
    ...extra,
  });
}

const snapshot = (i: Incident, refs: readonly ResourceRef[]) => ({
  name: i.name,
  summary: i.summary ?? null,
  severity: i.severity,
  status: i.status,
  startTime: i.startTime.toISOString(),
  tags: i.tags,
  relatedResources: refs.map((r) => ({ kind: r.kind, id: r.id })),
});

/**
 * Declares an incident (validated fields; related objects must be the workspace's): stores it
 * and emits `flowplane.incident.declared` with the declared fields.
 */
export async function declareIncident(
  em: Em,
  spec: DeclareSpec,
  by: IncidentAuthor,
): Promise<Incident> {
  const now = new Date();
  const name = validateIncidentName(spec.name);
  const summary = validateSummary(spec.summary);
  const severity = validateSeverity(spec.severity);
  const startTime = validateStartTime(spec.startTime ?? now, null, now);
  const tags = validateTags(spec.tags ?? []);
  const refs = validateResourceRefs(spec.relatedResources ?? []);
  await requireResources(em, spec.workspaceId, refs);
  const incident = em.create(Incident, {
    workspaceId: spec.workspaceId,
    name,
    summary,
    severity,
    status: IncidentStatus.ACTIVE,
    startTime,
    tags,
    declaredByType: by.actor.type,
    declaredById: by.actor.id,
    createdAt: now,
    updatedAt: now,
  } as Incident);
  await replaceResources(em, incident, refs);
  emitIncidentEvent(
    em,
    incident,
    refs,
    INCIDENT_DECLARED,
    { incident: snapshot(incident, refs) },
    by,
  );
  audit(em, 'incident.declared', incident, by, { name, severity });
  return incident;
}

/** What `updateIncident` may change; undefined keeps a field (null clears the summary). */
export interface IncidentChanges {
  name?: string | null;
  summary?: string | null;
  severity?: IncidentSeverity | null;
  startTime?: Date | null;
  tags?: readonly string[] | null;
  relatedResources?: readonly ResourceRef[] | null;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies changed fields, one `flowplane.incident.updated.<field>` event each (with from and
 * to), in a fixed field order; unchanged fields make no event. Returns the changed fields.
 */
export async function updateIncident(
  em: Em,
  incident: Incident,
  changes: IncidentChanges,
  by: IncidentAuthor,
): Promise<string[]> {
  const refsBefore = await resourcesOf(em, incident.id);
  let refs = refsBefore;
  const steps: { field: string; from: unknown; to: unknown }[] = [];
  const change = (field: string, from: unknown, to: unknown, apply: () => void) => {
    if (sameJson(from, to)) return;
    apply();
    steps.push({ field, from, to });
  };
  if (changes.name != null) {
    const name = validateIncidentName(changes.name);
    change('name', incident.name, name, () => (incident.name = name));
  }
  if (changes.summary !== undefined) {
    const summary = validateSummary(changes.summary);
    change('summary', incident.summary ?? null, summary, () => (incident.summary = summary));
  }
  if (changes.severity != null) {
    const severity = validateSeverity(changes.severity);
    change('severity', incident.severity, severity, () => (incident.severity = severity));
  }
  if (changes.startTime != null) {
    const start = validateStartTime(changes.startTime, incident.endTime);
    change('startTime', incident.startTime.toISOString(), start.toISOString(), () => {
      incident.startTime = start;
    });
  }
  if (changes.tags != null) {
    const tags = validateTags(changes.tags);
    change('tags', incident.tags, tags, () => (incident.tags = tags));
  }
  if (changes.relatedResources != null) {
    const next = validateResourceRefs(changes.relatedResources);
    await requireResources(em, incident.workspaceId, next);
    change('relatedResources', refsBefore, next, () => (refs = next));
  }
  if (!steps.length) return [];
  if (refs !== refsBefore) await replaceResources(em, incident, refs);
  incident.updatedAt = new Date();
  for (const s of steps)
    emitIncidentEvent(em, incident, refs, `${INCIDENT_UPDATED_PREFIX}${s.field}`, s, by);
  const fields = steps.map((s) => s.field);
  audit(em, 'incident.updated', incident, by, { fields });
  return fields;
}

/** Adds a comment: it exists only in the `flowplane.incident.comment.added` event. */
export async function commentOnIncident(
  em: Em,
  incident: Incident,
  body: string,
  by: IncidentAuthor,
): Promise<Event> {
  const text = validateCommentBody(body);
  const comment = { id: randomUUID(), body: text, author: by.actor };
  const refs = await resourcesOf(em, incident.id);
  incident.updatedAt = new Date();
  const e = emitIncidentEvent(em, incident, refs, INCIDENT_COMMENT_ADDED, { comment }, by);
  audit(em, 'incident.commented', incident, by, { commentId: comment.id });
  return e;
}

/** Resolves (end time now) or reopens (end time cleared); CONFLICT when already there. */
export async function setIncidentStatus(
  em: Em,
  incident: Incident,
  status: IncidentStatus,
  by: IncidentAuthor,
): Promise<Incident> {
  if (incident.status === status)
    throw conflict(
      'id',
      status === IncidentStatus.RESOLVED
        ? 'The incident is already resolved'
        : 'The incident is already active',
    );
  const now = new Date();
  const endBefore = incident.endTime ?? null;
  incident.status = status;
  incident.endTime = status === IncidentStatus.RESOLVED ? now : null;
  incident.updatedAt = now;
  const refs = await resourcesOf(em, incident.id);
  const resolved = status === IncidentStatus.RESOLVED;
  emitIncidentEvent(
    em,
    incident,
    refs,
    resolved ? INCIDENT_RESOLVED : INCIDENT_REOPENED,
    resolved
      ? { endTime: now.toISOString() }
      : { previousEndTime: endBefore?.toISOString() ?? null },
    by,
  );
  audit(em, resolved ? 'incident.resolved' : 'incident.reopened', incident, by);
  return incident;
}
