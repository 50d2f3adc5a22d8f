import { createHash } from 'node:crypto';

/**
 * `json.dumps(value, sort_keys=True)` as Python writes it (", " and ": " separators, non-ASCII
 * escaped): Prefect hashes block schemas over this text.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN';
  if (typeof value === 'string')
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${pythonJson(k)}: ${pythonJson(obj[k])}`)
    .join(', ')}}`;
}

type Json = Record<string, unknown>;

function withoutKey(key: string, value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Json)
      .filter(([k]) => k !== key)
      .map(([k, v]) => [k, withoutKey(key, v)]),
  );
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value as Json)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  return out;
}

/** Definitions reachable from `object` that are not references to other blocks. */
function nonBlockDefinitions(object: unknown, definitions: Json): Json {
  let found: Json = {};
  for (const ref of refsIn(object)) {
    const key = ref.replace('#/definitions/', '');
    const def = definitions[key] as Json | undefined;
    if (def && Object.keys(def).length && def.block_type_slug == null) {
      found = { ...found, [key]: def, ...nonBlockDefinitions(def, definitions) };
    }
  }
  return found;
}

/** Prefect's block schema checksum (`Block._calculate_schema_checksum`) of a schema's fields. */
export function blockSchemaChecksum(fields: unknown): string {
  const f = withoutKey('secret_fields', fields) as Json;
  if (f.definitions && Object.keys(f.definitions as Json).length) {
    const kept = nonBlockDefinitions(f, f.definitions as Json);
    if (Object.keys(kept).length) f.definitions = kept;
    else delete f.definitions;
  }
  return `sha256:${createHash('sha256')
    .update(pythonJson([[f], {}]), 'utf8')
    .digest('hex')}`;
}
