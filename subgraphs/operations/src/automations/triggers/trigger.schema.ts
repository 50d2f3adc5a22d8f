/**
 * Triggers as stored (JSON on the automation row) and evaluated. Validation turns the GraphQL
 * input into these shapes (triggers/trigger.validation.ts); the evaluator reads nothing else.
 */

export type Posture = 'REACTIVE' | 'PROACTIVE';

/** A label condition: the label's value matches one of the patterns (`*` matches any run). */
export interface LabelPatternSpec {
  name: string;
  values: string[];
}

/** Which resources a trigger looks at: ids (patterns) and labels; empty lists match anything. */
export interface ResourceMatchSpec {
  ids: string[];
  labels: LabelPatternSpec[];
}

/** A related resource the event must have (each spec matched by one of its related resources). */
export interface RelatedMatchSpec extends ResourceMatchSpec {
  role: string | null;
}

export interface EventTriggerSpec {
  kind: 'event';
  match: ResourceMatchSpec;
  matchRelated: RelatedMatchSpec[];
  /** Event names (`prefix*` allowed) that open a window; empty: windows open otherwise. */
  after: string[];
  /** Event names (`prefix*` allowed) that are counted; empty: every matching event. */
  expect: string[];
  /** Labels whose values split the trigger into buckets (`flowplane.resource.id`, …). */
  forEach: string[];
  posture: Posture;
  threshold: number;
  withinSeconds: number;
  /** Event names that resolve a fired bucket of the same key. */
  resolveOn: string[];
}

export type CompoundRequire = 'ALL' | 'ANY' | 'AT_LEAST';

export interface CompoundTriggerSpec {
  kind: 'compound';
  require: CompoundRequire;
  /** For AT_LEAST: how many sub-triggers must fire. */
  atLeast: number | null;
  withinSeconds: number;
  triggers: TriggerSpec[];
}

export interface SequenceTriggerSpec {
  kind: 'sequence';
  withinSeconds: number;
  triggers: TriggerSpec[];
}

export type TriggerSpec = EventTriggerSpec | CompoundTriggerSpec | SequenceTriggerSpec;
export type CompositeTriggerSpec = CompoundTriggerSpec | SequenceTriggerSpec;

/** The root trigger's path; a sub-trigger's is its parent's plus `.<index>`. */
export const ROOT_PATH = 't';

/** Every trigger of a tree with its path, parents before children. */
export function walkTriggers(
  spec: TriggerSpec,
  path = ROOT_PATH,
  parent: string | null = null,
): { path: string; parent: string | null; spec: TriggerSpec }[] {
  const out: { path: string; parent: string | null; spec: TriggerSpec }[] = [
    { path, parent, spec },
  ];
  if (spec.kind !== 'event')
    spec.triggers.forEach((t, i) => out.push(...walkTriggers(t, `${path}.${i}`, path)));
  return out;
}

/** The child index a path ends with (`t.0.2` → 2). */
export const childIndex = (path: string): number => Number(path.slice(path.lastIndexOf('.') + 1));
