/**
 * The gateway's check of a request's variables, compiled per operation.
 *
 * Apollo Gateway coerces every request's variables with graphql-js (`getVariableValues`) only
 * to know whether they fail, and throws the coerced values away (the subgraphs coerce them
 * again). graphql-js walks a value with a path object and an error callback per field: for
 * Prefect's events socket, whose requests carry batches of events, that was a tenth of the
 * gateway process's CPU (bench/RESULTS.md, phase 19). graphql-jit generates the same checks
 * as straight-line JavaScript per operation: that runs first, from an operation's second
 * request on, and only its verdict is used. Variables it accepts are variables graphql-js
 * accepts (its checks are graphql-js's, or stricter: a custom scalar's NaN); variables it
 * refuses go to graphql-js, so a client gets graphql-js's own errors, as before. Operations it
 * cannot take go to graphql-js: a variable of an input type its variable parsing cannot take
 * (lib/subgraph-executor `uncompilableInputTypes`, as in the subgraphs), an operation it fails
 * to compile, and every request while tracing is on (Apollo Gateway's validation span stays).
 */
import type { ApolloGateway } from '@apollo/gateway';
import type { GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { createRequire } from 'node:module';
import { takesInputOf, uncompilableInputTypes } from '../../lib/subgraph-executor.js';
import { tracingEnabled } from '../../lib/tracing.js';

/**
 * graphql-jit's variable parsing, which its package root does not export (its ESM build of this
 * file imports a sibling without an extension: the CommonJS one, on the same graphql).
 */
export const { compileVariableParsing, failToParseVariables } = createRequire(import.meta.url)(
  'graphql-jit/dist/variables',
) as typeof import('graphql-jit/dist/variables');

type Check = (
  inputs: Record<string, unknown>,
) => ReturnType<ReturnType<typeof compileVariableParsing>>;

/** The part of Apollo Gateway's request validation this replaces (not in its typings). */
interface Validating {
  validateIncomingRequest(
    requestContext: { request: { variables?: Record<string, unknown> | null } },
    operationContext: { schema: GraphQLSchema; operation: OperationDefinitionNode },
  ): readonly GraphQLError[];
}

/** How many requests the compiled check passed, and how many went to graphql-js. */
export const variableChecks = { compiled: 0, graphqlJs: 0 };

/** Per API schema: the input types the compiled check must not take. */
const uncompilable = new WeakMap<GraphQLSchema, ReadonlySet<string>>();

/**
 * The compiled check of `operation`'s variables against `schema`, or null when graphql-js is to
 * check them (see the module's comment).
 */
export function compileVariableCheck(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): Check | null {
  let types = uncompilable.get(schema);
  if (!types) uncompilable.set(schema, (types = uncompilableInputTypes(schema)));
  if (takesInputOf(schema, operation, types)) return null;
  try {
    return compileVariableParsing(schema, operation.variableDefinitions ?? []) as Check;
  } catch {
    return null;
  }
}

/** Compiled checks by operation (a document's nodes live as long as the document cache keeps it). */
interface Entry {
  schema: GraphQLSchema;
  /** Undefined after the first request (one sent once is not worth compiling). */
  check?: Check | null;
}

/** Gives `gateway` the compiled variable check (see the module's comment). */
export function compileVariableChecks(gateway: ApolloGateway): void {
  const target = gateway as unknown as Validating;
  const original = target.validateIncomingRequest.bind(target);
  const entries = new WeakMap<OperationDefinitionNode, Entry>();
  target.validateIncomingRequest = (requestContext, operationContext) => {
    const { operation, schema } = operationContext;
    if (!operation.variableDefinitions?.length) return [];
    let check: Check | null | undefined;
    if (!tracingEnabled()) {
      const entry = entries.get(operation);
      if (!entry || entry.schema !== schema) entries.set(operation, { schema });
      else
        check =
          entry.check === undefined
            ? (entry.check = compileVariableCheck(schema, operation))
            : entry.check;
    }
    if (check && !failToParseVariables(check(requestContext.request.variables ?? {}))) {
      variableChecks.compiled++;
      return [];
    }
    variableChecks.graphqlJs++;
    return original(requestContext, operationContext);
  };
}
