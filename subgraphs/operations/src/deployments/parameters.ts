import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPkg from 'ajv-formats';
import { badInput } from '../../../../lib/errors.js';

// ajv-formats is CommonJS: under Node ESM its function is the default export's default.
const addFormats = ((addFormatsPkg as unknown as { default?: unknown }).default ??
  addFormatsPkg) as (ajv: Ajv) => Ajv;

const ajv = addFormats(new Ajv({ allErrors: true, strict: false, validateSchema: true }));
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 500;
const MAX_JSON = 256 * 1024;

/** A JSON object (not an array or a scalar) of bounded size. */
export function validateJsonObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badInput(field, 'Must be a JSON object');
  }
  if (JSON.stringify(value).length > MAX_JSON) throw badInput(field, 'At most 256 KiB of JSON');
  return value as Record<string, unknown>;
}

/** Checks that a parameter schema is itself a valid JSON Schema describing an object. */
export function validateParameterSchema(value: unknown, field = 'parameterSchema') {
  const schema = validateJsonObject(value, field);
  if (schema.type !== undefined && schema.type !== 'object') {
    throw badInput(field, 'A parameter schema describes an object (type "object")');
  }
  if (!ajv.validateSchema(schema)) {
    throw badInput(field, `Not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`);
  }
  try {
    validatorFor(schema);
  } catch (err) {
    throw badInput(field, `Not a valid JSON Schema: ${(err as Error).message}`);
  }
  return schema;
}

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(schema);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, fn);
  }
  return fn;
}

/** The field an ajv error is about, as `parameters.a.b` (or `parameters` for the root). */
function fieldOf(e: ErrorObject, root: string): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra =
    (e.params as { missingProperty?: string }).missingProperty ??
    (e.params as { additionalProperty?: string }).additionalProperty;
  if (extra) path.push(extra);
  return [root, ...path].join('.');
}

/**
 * Validates parameters against a deployment's schema; BAD_USER_INPUT names the parameter
 * (`parameters.count`). `partial` skips `required` (a deployment's defaults may leave some out).
 */
export function validateParameters(
  parameters: Record<string, unknown>,
  schema: Record<string, unknown> | null | undefined,
  opts: { field?: string; partial?: boolean } = {},
): void {
  if (!schema) return;
  const root = opts.field ?? 'parameters';
  const fn = validatorFor(schema);
  if (fn(parameters)) return;
  const errors = (fn.errors ?? []).filter((e) => !(opts.partial && e.keyword === 'required'));
  if (!errors.length) return;
  const e = errors[0]!;
  throw badInput(fieldOf(e, root), `${fieldOf(e, root)} ${e.message ?? 'is invalid'}`);
}
