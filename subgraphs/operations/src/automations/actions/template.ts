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

/** Renders a template; `json` escapes each substitution as the inside of a JSON string. */
export function render(template: string, values: Record<string, unknown>, json = false): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    const s = text(lookup(values, path));
    return json ? JSON.stringify(s).slice(1, -1) : s;
  });
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
