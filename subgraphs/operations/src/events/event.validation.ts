/**
 * Limits of the event store (REFERENCE §6-7), checked at the edge with BAD_USER_INPUT naming
 * the field (`events.3.event`, `filter.labels.0.name`, …).
 */
import { isUuid } from '../../../../lib/db.js';
import { badInput } from '../../../../lib/errors.js';
import type { EventFilterSpec, LabelMatch } from '../../../../lib/event-filter.js';
import { jsonBytes } from '../common/caller.js';
import { SYSTEM_PREFIX, type EmitSpec } from '../event-store/emit.js';
import type { EmitEventInput, EventFilter } from './event.inputs.js';

export const MAX_EVENTS_PER_CALL = 500;
export const MAX_NAME = 1024;
export const MAX_RESOURCE_ID = 1024;
export const MAX_LABELS = 50;
export const MAX_LABEL_KEY = 255;
export const MAX_LABEL_VALUE = 1024;
export const MAX_RELATED = 50;
export const MAX_ROLE = 100;
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** How far in the future an event may say it occurred (clock skew). */
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** Values per list of a filter, and label conditions per filter. */
export const MAX_FILTER_VALUES = 100;

/** Dotted: at least two non-empty parts, no white space. */
const DOTTED = /^[^\s.]+(\.[^\s.]+)+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function text(value: unknown, field: string, max: number, what: string): string {
  if (typeof value !== 'string' || !value.length || value.length > max)
    throw badInput(field, `${what} is 1 to ${max} characters`);
  if (CONTROL.test(value)) throw badInput(field, `${what} may not contain control characters`);
  return value;
}

function labelsOf(value: unknown, field: string): Record<string, string> {
  if (value == null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw badInput(field, 'Labels are a JSON object of string values');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LABELS) throw badInput(field, `At most ${MAX_LABELS} labels`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    text(k, field, MAX_LABEL_KEY, 'A label name');
    if (typeof v !== 'string') throw badInput(`${field}.${k}`, 'A label value is a string');
    if (v.length > MAX_LABEL_VALUE)
      throw badInput(`${field}.${k}`, `A label value is at most ${MAX_LABEL_VALUE} characters`);
    if (v.includes('\u0000')) throw badInput(`${field}.${k}`, 'A label value may not contain NUL');
    out[k] = v;
  }
  return out;
}

/** One client event, checked and turned into what `emitEvent` stores. */
export function validateEmitted(
  workspaceId: string,
  e: EmitEventInput,
  field: string,
  now: Date,
): EmitSpec {
  if (e.id != null && !isUuid(e.id)) throw badInput(`${field}.id`, 'An event id is a UUID');
  const name = text(e.event, `${field}.event`, MAX_NAME, 'An event name');
  if (!DOTTED.test(name))
    throw badInput(`${field}.event`, 'An event name is dotted: parts joined by ".", no spaces');
  if (name.startsWith(SYSTEM_PREFIX))
    throw badInput(`${field}.event`, `Names starting with "${SYSTEM_PREFIX}" are reserved`);
  let occurred = now;
  if (e.occurred != null) {
    occurred = new Date(e.occurred);
    if (Number.isNaN(occurred.getTime())) throw badInput(`${field}.occurred`, 'Not a time');
    if (occurred.getTime() > now.getTime() + MAX_FUTURE_MS)
      throw badInput(`${field}.occurred`, 'At most 5 minutes in the future');
  }
  if (!e.resource) throw badInput(`${field}.resource`, 'A resource is required');
  const resource = {
    id: text(e.resource.id, `${field}.resource.id`, MAX_RESOURCE_ID, 'A resource id'),
    labels: labelsOf(e.resource.labels, `${field}.resource.labels`),
  };
  const relatedIn = e.related ?? [];
  if (relatedIn.length > MAX_RELATED)
    throw badInput(`${field}.related`, `At most ${MAX_RELATED} related resources`);
  const related = relatedIn.map((r, i) => ({
    id: text(r.id, `${field}.related.${i}.id`, MAX_RESOURCE_ID, 'A resource id'),
    role: text(r.role, `${field}.related.${i}.role`, MAX_ROLE, 'A role'),
    labels: labelsOf(r.labels, `${field}.related.${i}.labels`),
  }));
  let payload: Record<string, unknown> = {};
  if (e.payload != null) {
    if (typeof e.payload !== 'object' || Array.isArray(e.payload))
      throw badInput(`${field}.payload`, 'A payload is a JSON object');
    const bytes = jsonBytes(e.payload);
    if (bytes > MAX_PAYLOAD_BYTES)
      throw badInput(`${field}.payload`, `A payload is at most ${MAX_PAYLOAD_BYTES} bytes of JSON`);
    // PostgreSQL's jsonb refuses NUL characters.
    if (JSON.stringify(e.payload).includes('\\u0000'))
      throw badInput(`${field}.payload`, 'A payload may not contain NUL characters');
    payload = e.payload as Record<string, unknown>;
  }
  if (e.follows != null && !isUuid(e.follows))
    throw badInput(`${field}.follows`, 'An event id is a UUID');
  return {
    workspaceId,
    id: e.id ?? undefined,
    event: name,
    occurred,
    resource,
    related,
    payload,
    follows: e.follows ?? null,
  };
}

function list(values: string[] | null | undefined, field: string, max = MAX_NAME): string[] {
  if (!values?.length) return [];
  if (values.length > MAX_FILTER_VALUES)
    throw badInput(field, `At most ${MAX_FILTER_VALUES} values`);
  values.forEach((v, i) => {
    if (typeof v !== 'string' || v.length > max)
      throw badInput(`${field}.${i}`, `At most ${max} characters`);
    if (v.includes('\u0000')) throw badInput(`${field}.${i}`, 'May not contain NUL');
  });
  return values;
}

/** A filter's lists, checked (the time window is resolved by the caller). */
export function validateFilter(
  f: EventFilter | null | undefined,
  field = 'filter',
): EventFilterSpec {
  const labels: LabelMatch[] = (f?.labels ?? []).map((l, i) => ({
    name: text(l.name, `${field}.labels.${i}.name`, MAX_LABEL_KEY, 'A label name'),
    values: list(l.values, `${field}.labels.${i}.values`, MAX_LABEL_VALUE),
  }));
  if (labels.length > MAX_LABELS)
    throw badInput(`${field}.labels`, `At most ${MAX_LABELS} label conditions`);
  return {
    occurredAfter: f?.occurredAfter ?? null,
    occurredBefore: f?.occurredBefore ?? null,
    names: list(f?.names, `${field}.names`),
    namePrefixes: list(f?.namePrefixes, `${field}.namePrefixes`),
    resourceIds: list(f?.resourceIds, `${field}.resourceIds`),
    resourceIdPrefixes: list(f?.resourceIdPrefixes, `${field}.resourceIdPrefixes`),
    labels,
    relatedResourceIds: list(f?.relatedResourceIds, `${field}.relatedResourceIds`),
  };
}
