import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { badInput } from '../../../../lib/errors.js';

/** What a caller without see_secret_blocks gets instead of a secret value (and may send back). */
export const SECRET_MASK = '********';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `"secret": true` or `"format": "password"` marks a secret field. */
const isSecretNode = (node: Json): boolean => node.secret === true || node.format === 'password';

const ajv = new Ajv({ allErrors: false, strict: false, validateSchema: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });

function resolveRef(root: Json, ref: string): Json | null {
  const m = /^#\/(definitions|\$defs)\/([^/]+)$/.exec(ref);
  const defs = m ? root[m[1]!] : null;
  const target = isObject(defs) ? defs[decodeURIComponent(m![2]!)] : null;
  return isObject(target) ? target : null;
}

/** Whether a schema node (following local $refs) has a secret annotation anywhere below it. */
function containsSecret(node: unknown, root: Json, refs: Set<string>): boolean {
  if (Array.isArray(node)) return node.some((n) => containsSecret(n, root, refs));
  if (!isObject(node)) return false;
  if (isSecretNode(node)) return true;
  if (typeof node.$ref === 'string' && !refs.has(node.$ref)) {
    const next = new Set(refs).add(node.$ref);
    if (containsSecret(resolveRef(root, node.$ref), root, next)) return true;
  }
  return Object.entries(node).some(
    ([k, v]) => k !== 'definitions' && k !== '$defs' && containsSecret(v, root, refs),
  );
}

/** Keywords whose subschemas are walked for secret properties; secrets elsewhere are refused. */
function walk(node: Json, root: Json, path: string[], refs: Set<string>, out: string[][]): void {
  if (isSecretNode(node)) {
    if (!path.length) throw badInput('fields', 'The root of a block schema cannot be secret');
    out.push(path);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isObject(value)) {
      for (const [name, sub] of Object.entries(value))
        if (isObject(sub)) walk(sub, root, [...path, name], refs, out);
    } else if (key === 'allOf' && Array.isArray(value)) {
      for (const sub of value) if (isObject(sub)) walk(sub, root, path, refs, out);
    } else if (key === '$ref' && typeof value === 'string') {
      if (refs.has(value)) continue;
      const target = resolveRef(root, value);
      if (target) walk(target, root, path, new Set(refs).add(value), out);
    } else if (key !== 'definitions' && key !== '$defs' && containsSecret(value, root, refs)) {
      // Secrets under arrays, alternatives or pattern properties have no fixed path to encrypt.
      throw badInput(
        'fields',
        `Secret fields are supported only as (nested) object properties, not under "${key}"`,
      );
    }
  }
}

/** Paths of the secret fields of a block schema; BAD_USER_INPUT for secrets it cannot place. */
export function secretPathsOf(fields: Json): string[][] {
  const out: string[][] = [];
  walk(fields, fields, [], new Set(), out);
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = JSON.stringify(p);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Keywords holding a map of subschemas (walked value by value, the map itself is no schema). */
const SCHEMA_MAPS = new Set([
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
  'dependentSchemas',
  'dependencies',
]);
/** Keywords holding data, not schemas (left as they are). */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

/**
 * The schema with every secret field's own rules set aside (`{}`): what validates a document
 * for a caller who cannot read its stored secrets, which then take part as the mask. Whatever
 * such a caller sends is then judged without the stored values, so no answer can depend on
 * them (a `pattern` on a secret was an oracle that recovered it character by character). The
 * stored values met these rules when written, under this schema, by someone who could see them.
 */
export function blindSecrets<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n) => blindSecrets(n)) as T;
  if (!isObject(node)) return node;
  if (isSecretNode(node)) return {} as T;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(k)) out[k] = v;
    else if (SCHEMA_MAPS.has(k) && isObject(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([n, sub]) => [n, blindSecrets(sub)]));
    else out[k] = blindSecrets(v);
  }
  return out as T;
}

const validators = new Map<string, ValidateFunction>();
const MAX_CACHED = 500;

/** Compiles a block schema (BAD_USER_INPUT on `fields` when it is not a usable JSON Schema). */
export function compileFields(fields: Json, cacheKey?: string): ValidateFunction {
  const cached = cacheKey ? validators.get(cacheKey) : undefined;
  if (cached) return cached;
  // Our ajv speaks draft-07; ids would register globally and clash between workspaces.
  const { $id: _id, $schema: _schema, ...schema } = fields;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw badInput('fields', `Not a valid JSON Schema: ${(err as Error).message.slice(0, 300)}`);
  } finally {
    ajv.removeSchema(schema);
  }
  if (cacheKey) {
    if (validators.size >= MAX_CACHED) validators.delete(validators.keys().next().value!);
    validators.set(cacheKey, validate);
  }
  return validate;
}

/**
 * Validates a document against its schema. The message names the failing path and rule only,
 * never the value (which may be a secret).
 */
export function validateData(validate: ValidateFunction, data: Json, field = 'data'): void {
  if (validate(data)) return;
  const e = validate.errors?.[0];
  const path = (e?.instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = e?.keyword === 'required' ? String(e.params.missingProperty ?? '') : '';
  const at = [...path, ...(missing ? [missing] : [])];
  throw badInput(
    [field, ...at].join('.'),
    `${at.length ? at.join('.') : field} ${e?.message ?? 'is invalid'}`,
  );
}

export function getPath(obj: Json, path: string[]): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = cur[key];
  }
  return { found: true, value: cur };
}

export function setPath(obj: Json, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (!isObject(cur[key]))
      Object.defineProperty(cur, key, {
        value: {},
        enumerable: true,
        writable: true,
        configurable: true,
      });
    cur = cur[key] as Json;
  }
  Object.defineProperty(cur, path[path.length - 1]!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export function deletePath(obj: Json, path: string[]): void {
  const parent = getPath(obj, path.slice(0, -1));
  if (parent.found && isObject(parent.value)) delete parent.value[path[path.length - 1]!];
}

/** Splits a document into its public part and its secret values (by path). */
export function splitSecrets(
  data: Json,
  paths: string[][],
): { values: Json; secrets: [string[], unknown][] } {
  const values = structuredClone(data);
  const secrets: [string[], unknown][] = [];
  for (const p of paths) {
    const got = getPath(values, p);
    if (!got.found) continue;
    secrets.push([p, got.value]);
    deletePath(values, p);
  }
  return { values, secrets };
}

/** Puts secret values (or the mask) back into a copy of the public part. */
export function joinSecrets(values: Json, secrets: [string[], unknown][], mask: boolean): Json {
  const out = structuredClone(values);
  for (const [p, v] of secrets) setPath(out, p, mask ? SECRET_MASK : v);
  return out;
}

export { isObject };
