/**
 * gateway/src/variables: the gateway's compiled variable check accepts exactly the variables
 * graphql-js accepts, for every argument of every field of the API schema (values made from each
 * argument's type, then broken one way at a time), and a request whose variables fail gets
 * graphql-js's own errors through the running gateway.
 */
import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import {
  getNamedType,
  getVariableValues,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERGRAPH_PATH } from '../../gateway/src/gateway.js';
import {
  compileVariableCheck,
  failToParseVariables,
  variableChecks,
} from '../../gateway/src/variables.js';
import { uncompilableInputTypes } from '../../lib/subgraph-executor.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';

/** A deterministic pseudo-random sequence (mulberry32): the same cases every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value of `type` that graphql-js accepts (optional fields sometimes left out or null). */
function validValue(type: GraphQLInputType, rnd: () => number, depth = 0): unknown {
  if (isNonNullType(type)) return validValue(type.ofType, rnd, depth);
  if (isListType(type))
    return Array.from({ length: Math.floor(rnd() * 3) }, () =>
      validValue(type.ofType, rnd, depth + 1),
    );
  if (isEnumType(type)) {
    const values = type.getValues();
    return values[Math.floor(rnd() * values.length)]!.name;
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (!isNonNullType(f.type) && (depth > 2 || rnd() < 0.3)) {
        if (rnd() < 0.3) out[f.name] = null;
        continue;
      }
      out[f.name] = validValue(f.type, rnd, depth + 1);
    }
    return out;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        return Math.floor(rnd() * 1000) - 500;
      case 'Float':
        return rnd() * 100;
      case 'Boolean':
        return rnd() < 0.5;
      case 'ID':
        return rnd() < 0.5 ? 'a1b2' : 42;
      default:
        // Custom scalars: the API schema parses them as they come (the subgraphs check them).
        return rnd() < 0.5 ? 'text' : { any: ['json'] };
    }
  }
  throw new Error(`unexpected type ${String(type)}`);
}

/** Ways to break a value at the top or one level down (some are still valid: the point is agreement). */
const BREAKS: ((v: unknown, type: GraphQLInputType) => unknown)[] = [
  () => null,
  () => 'not a number',
  () => 3.5,
  () => 2 ** 40,
  () => true,
  () => [1, 'x'],
  () => ({}),
  () => Number.NaN,
  (v) => (v && typeof v === 'object' && !Array.isArray(v) ? { ...v, unknownField: 1 } : v),
  (v, type) => {
    const named = getNamedType(type);
    if (!isInputObjectType(named) || !v || typeof v !== 'object' || Array.isArray(v)) return [v];
    const fields = Object.values(named.getFields());
    const f = fields.find((x) => isNonNullType(x.type)) ?? fields[0]!;
    return { ...(v as object), [f.name]: null };
  },
  (v, type) => {
    const named = getNamedType(type);
    if (!isInputObjectType(named) || !v || typeof v !== 'object' || Array.isArray(v)) return v;
    const fields = Object.values(named.getFields());
    const f = fields[Math.floor(fields.length / 2)]!;
    return { ...(v as object), [f.name]: 'WRONG_ENUM_OR_TEXT' };
  },
  (v) => (Array.isArray(v) ? v[0] : v),
];

function operationFor(field: string, args: readonly GraphQLArgument[], kind: string): string {
  const defs = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const pass = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${kind} Op(${defs}) { ${field}(${pass}) { __typename } }`;
}

describe('the compiled variable check', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = Supergraph.build(readFileSync(SUPERGRAPH_PATH, 'utf8'))
      .apiSchema()
      .toGraphQLJSSchema();
  });

  it("agrees with graphql-js on every argument of the API schema's fields", () => {
    const rnd = random(19);
    let compared = 0;
    let refusedBoth = 0;
    let uncompiled = 0;
    const uncompilable = uncompilableInputTypes(schema);
    for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
      const kind = root === schema.getQueryType() ? 'query' : 'mutation';
      for (const field of Object.values(root.getFields())) {
        if (!field.args.length) continue;
        // `{ __typename }` needs a composite type; a leaf field is asked for alone.
        const leaf = isScalarType(getNamedType(field.type)) || isEnumType(getNamedType(field.type));
        const text = operationFor(field.name, field.args, kind).replace(
          leaf ? ' { __typename }' : '',
          '',
        );
        const operation = parse(text).definitions[0] as OperationDefinitionNode;
        const check = compileVariableCheck(schema, operation);
        if (!check) {
          // Only what the module says it leaves to graphql-js.
          expect(
            field.args.some((a) => uncompilable.has(getNamedType(a.type).name)),
            `${field.name} not compiled`,
          ).toBe(true);
          uncompiled++;
          continue;
        }
        for (let round = 0; round < 6; round++) {
          const valid = Object.fromEntries(
            field.args.map((a) => [a.name, validValue(a.type, rnd)]),
          );
          const cases: Record<string, unknown>[] = [valid, {}];
          for (const a of field.args)
            for (const breakIt of BREAKS)
              cases.push({ ...valid, [a.name]: breakIt(valid[a.name], a.type) });
          for (const variables of cases) {
            const js = getVariableValues(schema, operation.variableDefinitions!, variables);
            const compiled = !failToParseVariables(check(variables));
            const jsOk = !js.errors?.length;
            expect(
              compiled,
              `${field.name} ${JSON.stringify(variables)}: graphql-js ${jsOk ? 'accepts' : 'refuses'}`,
            ).toBe(jsOk);
            compared++;
            if (!jsOk) refusedBoth++;
          }
        }
      }
    }
    // The generator reached both verdicts, many times over.
    expect(compared).toBeGreaterThan(5000);
    expect(refusedBoth).toBeGreaterThan(1000);
    expect(compared - refusedBoth).toBeGreaterThan(1000);
    expect(uncompiled).toBeLessThan(20);
  });
});

describe('through the gateway', () => {
  let stack: Stack;
  let alice: Actor;
  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.signUp();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const CREATE = `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`;

  it("answers refused variables with graphql-js's errors, and checks accepted ones compiled", async () => {
    const refusedBefore = variableChecks.graphqlJs;
    const bad = { input: { accountId: alice.accountId, name: 12, handle: 'h', colour: 'x' } };
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ query: CREATE, variables: bad }),
      });
      answers.push({ status: res.status, body: await res.json() });
    }
    // The first request (not compiled yet) and the later ones (compiled, refused, then
    // graphql-js) answer alike: graphql-js's messages, all of them.
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(400);
    const messages = (answers[0]!.body as { errors: { message: string }[] }).errors.map(
      (e) => e.message,
    );
    expect(messages).toEqual([
      'Variable "$input" got invalid value 12 at "input.name"; String cannot represent a non string value: 12',
      'Variable "$input" got invalid value { accountId: "' +
        alice.accountId +
        '", name: 12, handle: "h", colour: "x" }; Field "colour" is not defined by type "CreateWorkspaceInput".',
    ]);
    expect(variableChecks.graphqlJs - refusedBefore).toBeGreaterThanOrEqual(3);

    const compiledBefore = variableChecks.compiled;
    for (let i = 0; i < 3; i++) {
      const res = await alice.gql(CREATE, {
        input: { accountId: alice.accountId, name: `W ${i}`, handle: `w-${i}-${Date.now()}` },
      });
      expect(res.errors).toBeUndefined();
      expect(res.data.createWorkspace.id).toBeTruthy();
    }
    // The first of these shares the operation with the refused ones: all compiled.
    expect(variableChecks.compiled - compiledBefore).toBe(3);
  });
});
