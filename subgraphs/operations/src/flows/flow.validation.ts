import { badInput } from '../../../../lib/errors.js';
import { validateName } from '../../../../lib/validation.js';

export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 100;
export const MAX_LABELS = 50;
export const MAX_LABEL_KEY_LENGTH = 100;
export const MAX_LABEL_VALUE_LENGTH = 500;

export const validateFlowName = (name: string): string => validateName(name, 'name', 200);

/** At most 50 non-blank tags of at most 100 characters; duplicates are dropped, order kept. */
export function validateTags(tags: readonly string[], field = 'tags'): string[] {
  const unique = [...new Set(tags)];
  if (unique.length > MAX_TAGS) throw badInput(field, `At most ${MAX_TAGS} tags`);
  for (const t of unique) {
    if (!t.trim().length || t.length > MAX_TAG_LENGTH) {
      throw badInput(field, `A tag is 1 to ${MAX_TAG_LENGTH} characters`);
    }
  }
  return unique;
}

/** A JSON object of at most 50 keys with string (≤ 500 characters), number or boolean values. */
export function validateLabels(
  value: unknown,
  field = 'labels',
): Record<string, string | number | boolean> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badInput(field, 'Labels are a JSON object');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LABELS) throw badInput(field, `At most ${MAX_LABELS} labels`);
  for (const [k, v] of entries) {
    if (!k.length || k.length > MAX_LABEL_KEY_LENGTH) {
      throw badInput(field, `A label key is 1 to ${MAX_LABEL_KEY_LENGTH} characters`);
    }
    if (typeof v === 'string') {
      if (v.length > MAX_LABEL_VALUE_LENGTH) {
        throw badInput(field, `A label value is at most ${MAX_LABEL_VALUE_LENGTH} characters`);
      }
    } else if (!(typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw badInput(field, `Label "${k.slice(0, 100)}" must be a string, a number or a boolean`);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain label.
  return Object.fromEntries(entries) as Record<string, string | number | boolean>;
}
