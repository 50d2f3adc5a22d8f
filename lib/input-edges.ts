import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type ArgumentNode, type DocumentNode, type ValueNode } from 'graphql';
import { badInput } from './errors.js';
import type { Principal } from './principal.js';

/**
 * How deep input may nest, counted from an argument (`input` is level 1): objects and lists of
 * input types and of JSON values together. Real documents (parameters, payloads, block data)
 * stay far below it; without a cap, a JSON value nested some thousands of levels exhausted the
 * stack of whatever walked it first (INTERNAL_SERVER_ERROR).
 */
export const MAX_INPUT_DEPTH = 64;

/** How deep a request body may nest at all (checked where the body is parsed, lib/http.ts). */
export const MAX_BODY_DEPTH = 256;

// C0 control characters except tab, line feed and carriage return, and DEL. NUL above all:
// PostgreSQL refuses it in text and JSON, and SQLite ends the string at it.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Node 20 has String.prototype.isWellFormed; TypeScript's es2022 library does not declare it. */
type MaybeWellFormed = string & { isWellFormed(): boolean };

/** Why a string may not be stored, or null when it may. */
export function textProblem(value: string): string | null {
  if (CONTROL.test(value))
    return 'must not contain control characters (other than tab and line breaks)';
  // A UTF-16 surrogate without its partner: not text in any encoding the database stores.
  if (!(value as MaybeWellFormed).isWellFormed())
    return 'is not valid Unicode text (an unpaired surrogate)';
  return null;
}

/**
 * The name an error gives to an input position: dotted, without the `input` argument itself
 * (`name`, `events.0.payload`, `filter.nameContains`), as the services name their fields.
 */
export function inputField(path: readonly string[]): string {
  const p = path[0] === 'input' && path.length > 1 ? path.slice(1) : path;
  return p.join('.').slice(0, 300) || 'input';
}

function refuse(path: readonly string[], why: string): never {
  const field = inputField(path);
  throw badInput(field, `${field} ${why}`);
}

/** A value too deep is named by where it starts (its first three steps), not by its depths. */
const tooDeep = (path: readonly string[]) =>
  refuse(path.slice(0, path[0] === 'input' ? 4 : 3), `nests deeper than ${MAX_INPUT_DEPTH} levels`);

/**
 * Checks an input value (a variable's value, or parsed JSON): no string or object key holds a
 * control character or an unpaired surrogate, and nothing nests deeper than MAX_INPUT_DEPTH
 * below `depth`. Iterative, so a hostile depth cannot exhaust the stack here either.
 */
export function checkInputValue(value: unknown, path: string[], depth = 0): void {
  // Where a value is: a chain of steps up to `path`, spelled out only for a refusal (a path per
  // value was most of the cost of checking a batch of events).
  const at = (step: Step | null): string[] => {
    const keys: string[] = [];
    for (let s = step; s; s = s.up) keys.push(s.key);
    return [...path, ...keys.reverse()];
  };
  const values: unknown[] = [value];
  const steps: (Step | null)[] = [null];
  const depths: number[] = [depth];
  while (values.length) {
    const v = values.pop();
    const step = steps.pop()!;
    const d = depths.pop()!;
    if (typeof v === 'string') {
      const why = textProblem(v);
      if (why) refuse(at(step), why);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (d >= MAX_INPUT_DEPTH) tooDeep(at(step));
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        values.push(v[i]);
        steps.push({ up: step, key: String(i) });
        depths.push(d + 1);
      }
      continue;
    }
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const why = textProblem(k);
      if (why) refuse(at(step), `has a key that ${why}`);
      values.push((v as Record<string, unknown>)[k]);
      steps.push({ up: step, key: k });
      depths.push(d + 1);
    }
  }
}

/** One step below a checked value's parent (`checkInputValue`). */
interface Step {
  up: Step | null;
  key: string;
}

/** The same for a literal in the document (variables inside it are checked from their values). */
function checkLiteral(
  node: ValueNode,
  path: string[],
  variables: Record<string, unknown>,
  depth: number,
): void {
  const todo: [ValueNode, string[], number][] = [[node, path, depth]];
  while (todo.length) {
    const [n, p, d] = todo.pop()!;
    switch (n.kind) {
      case Kind.STRING:
      case Kind.ENUM: {
        const why = textProblem(n.value);
        if (why) refuse(p, why);
        break;
      }
      case Kind.VARIABLE:
        checkInputValue(variables[n.name.value], p, d);
        break;
      case Kind.LIST:
        if (d >= MAX_INPUT_DEPTH) tooDeep(p);
        n.values.forEach((x, i) => todo.push([x, [...p, String(i)], d + 1]));
        break;
      case Kind.OBJECT:
        if (d >= MAX_INPUT_DEPTH) tooDeep(p);
        for (const f of n.fields) {
          const why = textProblem(f.name.value);
          if (why) refuse(p, `has a key that ${why}`);
          todo.push([f.value, [...p, f.name.value], d + 1]);
        }
        break;
      default:
        break;
    }
  }
}

/** Arguments that carry what the gateway read from other subgraphs, not what a client sent. */
const FROM_THE_GATEWAY = new Set(['_entities']);

/**
 * Checks every argument of every field of an operation (literals and the variables they use)
 * with `checkInputValue`: BAD_USER_INPUT naming the field, before any resolver runs.
 */
export function checkOperationInputs(
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): void {
  const vars = variables ?? {};
  for (const arg of argumentsOf(document)) checkLiteral(arg.value, [arg.name.value], vars, 0);
}

/**
 * The arguments of a document to check on each request: those that use a variable (their
 * values change from request to request) and those whose literal fails the check (so that it
 * fails each time). Found once per document (Apollo Server parses a document once and reuses
 * it): a subgraph's documents, the gateway's `_entities` lookups above all, then cost nothing
 * to check.
 */
function argumentsOf(document: DocumentNode): readonly ArgumentNode[] {
  let args = ARGUMENTS.get(document);
  if (args) return args;
  const found: ArgumentNode[] = [];
  visit(document, {
    Field(field) {
      if (FROM_THE_GATEWAY.has(field.name.value)) return false;
      for (const arg of field.arguments ?? []) {
        if (usesVariables(arg.value)) found.push(arg);
        else
          try {
            checkLiteral(arg.value, [arg.name.value], {}, 0);
          } catch {
            found.push(arg);
          }
      }
      return undefined;
    },
  });
  ARGUMENTS.set(document, (args = found));
  return args;
}

const ARGUMENTS = new WeakMap<DocumentNode, readonly ArgumentNode[]>();

/** Whether a literal holds a variable anywhere inside it (iterative, as `checkLiteral`). */
function usesVariables(node: ValueNode): boolean {
  const todo: ValueNode[] = [node];
  while (todo.length) {
    const n = todo.pop()!;
    if (n.kind === Kind.VARIABLE) return true;
    if (n.kind === Kind.LIST) for (const v of n.values) todo.push(v);
    else if (n.kind === Kind.OBJECT) for (const f of n.fields) todo.push(f.value);
  }
  return false;
}

/**
 * The input edge of a subgraph: every client operation's arguments are checked before it
 * executes (see `checkOperationInputs`). The gateway's own lookups (system) are not.
 */
export function inputEdgesPlugin<C extends { principal: Principal }>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          if (rc.contextValue.principal.type === 'system') return;
          checkOperationInputs(rc.document, rc.request.variables);
        },
      };
    },
  };
}

/** The deepest nesting of a parsed JSON value, up to `limit + 1` (iterative). */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const todo: [unknown, number][] = [[value, 0]];
  while (todo.length) {
    const [v, d] = todo.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= limit) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>))
      if (x !== null && typeof x === 'object') todo.push([x, d + 1]);
  }
  return false;
}
