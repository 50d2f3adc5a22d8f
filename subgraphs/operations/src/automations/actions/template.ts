/**
 * `{{ dot.path }}` templates of webhook bodies, notification texts and run parameters: a
 * substitution only reads a value (no code, no filters). Label keys contain dots themselves
 * (`event.resource.labels.flowplane.resource.name`): at each step the longest key that exists
 * wins. Unknown paths render as "".
 */
import { badInput } from '../../../../../lib/errors.js';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

/** Checks a template's placeholders (BAD_USER_INPUT on `field`). */
export function validateTemplate(template: string, field: string): void {
  const rest = template.replace(PLACEHOLDER, (_m, path: string) => {
    if (!PATH.test(path)) throw badInput(field, `Not a dot path: {{ ${path} }}`);
    return '';
  });
  if (rest.includes('{{')) throw badInput(field, 'An unclosed {{ placeholder');
}

function lookup(root: unknown, path: string): unknown {
  const parts = path.split('.');
  let value: unknown = root;
  let i = 0;
  while (i < parts.length) {
    if (value === null || typeof value !== 'object') return undefined;
    const obj = value as Record<string, unknown>;
    let found = false;
    for (let j = parts.length; j > i; j--) {
      const key = parts.slice(i, j).join('.');
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        value = obj[key];
        i = j;
        found = true;
        break;
      }
    }
    if (!found) return undefined;
  }
  return value;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A value where a JSON template expects one (outside a string): missing is `null`. */
function jsonValue(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/**
 * Renders a template. With `json` (a JSON body), a substitution inside a string literal is
 * escaped as the inside of a JSON string, and one outside a string is a JSON value (a string is
 * quoted, a missing value is `null`): the body stays JSON whatever the values.
 */
export function render(template: string, values: Record<string, unknown>, json = false): string {
  if (!json) return template.replace(PLACEHOLDER, (_m, path: string) => text(lookup(values, path)));
  let out = '';
  let last = 0;
  let inString = false;
  let escaped = false;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const before = template.slice(last, m.index);
    for (const ch of before) {
      if (escaped) escaped = false;
      else if (inString && ch === '\\') escaped = true;
      else if (ch === '"') inString = !inString;
    }
    const value = lookup(values, m[1]!);
    out += before + (inString ? JSON.stringify(text(value)).slice(1, -1) : jsonValue(value));
    last = m.index + m[0].length;
  }
  return out + template.slice(last);
}

/** Renders every string inside a JSON value (run parameters). */
export function renderDeep(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === 'string') return render(value, values);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, values));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, renderDeep(v, values)]),
    );
  return value;
}

/** Whether a content type is JSON (`application/json`, `application/x+json`, …). */
export const isJsonType = (contentType: string): boolean =>
  /^application\/([a-z0-9.+-]+\+)?json(\s*;|$)/i.test(contentType.trim());

/** A JSON template stays JSON whatever the substitutions: checked with each one as "0". */
export function validateJsonTemplate(template: string, field: string): void {
  try {
    JSON.parse(template.replace(PLACEHOLDER, '0'));
  } catch {
    throw badInput(field, 'The body is not JSON (content type is JSON)');
  }
}
