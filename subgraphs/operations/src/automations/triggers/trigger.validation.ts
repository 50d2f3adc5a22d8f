import { badInput } from '../../../../../lib/errors.js';
import type {
  EventResourceMatchInput,
  EventTriggerInput,
  RelatedResourceMatchInput,
  TriggerInput,
} from './trigger.inputs.js';
import type {
  EventTriggerSpec,
  LabelPatternSpec,
  RelatedMatchSpec,
  ResourceMatchSpec,
  TriggerSpec,
} from './trigger.schema.js';
import { CompoundRequirement, TriggerPosture } from './trigger.types.js';

export const MAX_WITHIN_SECONDS = 30 * 24 * 3600;
export const MAX_THRESHOLD = 10_000;
/** Compound and sequence triggers nest at most this deep. */
export const MAX_COMPOSITE_DEPTH = 2;
export const MAX_SUB_TRIGGERS = 10;
export const MAX_EVENT_TRIGGERS = 25;
export const MIN_PROACTIVE_SECONDS = 10;
const MAX_LIST = 20;
const MAX_PATTERN = 1024;
const MAX_FOR_EACH = 5;

function intIn(
  value: number | null | undefined,
  fallback: number,
  field: string,
  min: number,
  max: number,
) {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw badInput(field, `An integer from ${min} to ${max}`);
  return v;
}

function strings(
  list: string[] | null | undefined,
  field: string,
  opts: { max?: number; maxLength?: number; nonEmpty?: boolean } = {},
): string[] {
  const items = list ?? [];
  const max = opts.max ?? MAX_LIST;
  if (items.length > max) throw badInput(field, `At most ${max} items`);
  if (opts.nonEmpty && !items.length) throw badInput(field, 'At least one item');
  items.forEach((s, i) => {
    if (!s.length || s.length > (opts.maxLength ?? MAX_PATTERN))
      throw badInput(`${field}.${i}`, `1 to ${opts.maxLength ?? MAX_PATTERN} characters`);
  });
  return [...new Set(items)];
}

/** One string of 1 to `maxLength` characters (the error names `field` itself, not an item). */
function oneString(s: string, field: string, maxLength: number): string {
  if (!s.length || s.length > maxLength) throw badInput(field, `1 to ${maxLength} characters`);
  return s;
}

/** Event names: exact, or a prefix followed by one `*` at the end. */
function eventNames(list: string[] | null | undefined, field: string): string[] {
  const names = strings(list, field);
  names.forEach((n, i) => {
    if (n.indexOf('*') !== -1 && n.indexOf('*') !== n.length - 1)
      throw badInput(`${field}.${i}`, 'A `*` wildcard is allowed only at the end of a name');
  });
  return names;
}

function resourceMatch(
  m: EventResourceMatchInput | null | undefined,
  field: string,
): ResourceMatchSpec {
  const labels: LabelPatternSpec[] = (m?.labels ?? []).map((l, i) => ({
    name: oneString(l.name, `${field}.labels.${i}.name`, 200),
    values: strings(l.values, `${field}.labels.${i}.values`, { nonEmpty: true }),
  }));
  if (labels.length > MAX_LIST) throw badInput(`${field}.labels`, `At most ${MAX_LIST} labels`);
  return { ids: strings(m?.ids, `${field}.ids`), labels };
}

function relatedMatch(m: RelatedResourceMatchInput, field: string): RelatedMatchSpec {
  const role = m.role == null ? null : oneString(m.role, `${field}.role`, 100);
  return { role, ...resourceMatch(m, field) };
}

function eventTrigger(t: EventTriggerInput, field: string): EventTriggerSpec {
  const posture = t.posture ?? TriggerPosture.REACTIVE;
  const threshold = intIn(t.threshold, 1, `${field}.threshold`, 1, MAX_THRESHOLD);
  const withinSeconds = intIn(t.withinSeconds, 0, `${field}.withinSeconds`, 0, MAX_WITHIN_SECONDS);
  const related = t.matchRelated ?? [];
  if (related.length > 10) throw badInput(`${field}.matchRelated`, 'At most 10 items');
  const spec: EventTriggerSpec = {
    kind: 'event',
    match: resourceMatch(t.match, `${field}.match`),
    matchRelated: related.map((m, i) => relatedMatch(m, `${field}.matchRelated.${i}`)),
    after: eventNames(t.after, `${field}.after`),
    expect: eventNames(t.expect, `${field}.expect`),
    forEach: strings(t.forEach, `${field}.forEach`, { max: MAX_FOR_EACH, maxLength: 200 }),
    posture: posture === TriggerPosture.PROACTIVE ? 'PROACTIVE' : 'REACTIVE',
    threshold,
    withinSeconds,
    resolveOn: eventNames(t.resolveOn, `${field}.resolveOn`),
  };
  if (spec.posture === 'REACTIVE' && threshold > 1 && withinSeconds < 1)
    throw badInput(`${field}.withinSeconds`, 'A threshold above 1 needs a window of at least 1 s');
  if (spec.after.length && withinSeconds < 1)
    throw badInput(`${field}.withinSeconds`, 'An `after` event opens a window of at least 1 s');
  if (spec.posture === 'PROACTIVE') {
    if (withinSeconds < MIN_PROACTIVE_SECONDS)
      throw badInput(
        `${field}.withinSeconds`,
        `A PROACTIVE trigger needs a window of at least ${MIN_PROACTIVE_SECONDS} s`,
      );
    if (!spec.after.length && spec.forEach.length)
      throw badInput(
        `${field}.forEach`,
        'A PROACTIVE trigger without `after` watches one window; forEach needs `after` events to open windows per key',
      );
  }
  return spec;
}

/** The forEach labels a trigger's buckets are keyed by (a composite's: its sub-triggers'). */
export function forEachOf(spec: TriggerSpec): string[] {
  return spec.kind === 'event' ? spec.forEach : forEachOf(spec.triggers[0]!);
}

function validate(input: TriggerInput, field: string, depth: number): TriggerSpec {
  const given = (['event', 'compound', 'sequence'] as const).filter((k) => input[k] != null);
  if (given.length !== 1) throw badInput(field, 'Give exactly one of event, compound or sequence');
  if (input.event) return eventTrigger(input.event, `${field}.event`);
  const kind = given[0] as 'compound' | 'sequence';
  const f = `${field}.${kind}`;
  if (depth >= MAX_COMPOSITE_DEPTH)
    throw badInput(f, `Compound and sequence triggers nest at most ${MAX_COMPOSITE_DEPTH} deep`);
  const c = (input.compound ?? input.sequence)!;
  if (!c.triggers.length || c.triggers.length > MAX_SUB_TRIGGERS)
    throw badInput(`${f}.triggers`, `1 to ${MAX_SUB_TRIGGERS} sub-triggers`);
  const triggers = c.triggers.map((t, i) => validate(t, `${f}.triggers.${i}`, depth + 1));
  const keys = JSON.stringify(forEachOf(triggers[0]!));
  triggers.forEach((t, i) => {
    if (JSON.stringify(forEachOf(t)) !== keys)
      throw badInput(`${f}.triggers.${i}`, 'Sub-triggers must have the same forEach labels');
  });
  const withinSeconds = intIn(c.withinSeconds, 0, `${f}.withinSeconds`, 0, MAX_WITHIN_SECONDS);
  if (kind === 'sequence') return { kind, withinSeconds, triggers };
  const compound = input.compound!;
  let atLeast: number | null = null;
  if (compound.require === CompoundRequirement.AT_LEAST)
    atLeast = intIn(compound.atLeast, 0, `${f}.atLeast`, 1, triggers.length);
  else if (compound.atLeast != null) throw badInput(`${f}.atLeast`, 'Only AT_LEAST takes a count');
  return { kind, require: compound.require, atLeast, withinSeconds, triggers };
}

function countEventTriggers(spec: TriggerSpec): number {
  return spec.kind === 'event' ? 1 : spec.triggers.reduce((n, t) => n + countEventTriggers(t), 0);
}

/** A trigger input as its stored spec (BAD_USER_INPUT naming the field path otherwise). */
export function validateTrigger(input: TriggerInput, field = 'trigger'): TriggerSpec {
  const spec = validate(input, field, 0);
  if (countEventTriggers(spec) > MAX_EVENT_TRIGGERS)
    throw badInput(field, `At most ${MAX_EVENT_TRIGGERS} event triggers in all`);
  return spec;
}
