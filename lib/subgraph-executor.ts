import {
  execute,
  getNamedType,
  getOperationAST,
  GraphQLError,
  isInputObjectType,
  typeFromAST,
  parse,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { formatResultErrors, type ErrorsHead } from './errors.js';
import { checkOperationInputs } from './input-edges.js';
import { Lru } from './lru.js';
import type { BaseContext } from './module.js';

/** One GraphQL request as a subgraph receives it. */
export interface SubgraphRequest {
  query?: unknown;
  variables?: Record<string, unknown>;
  operationName?: string | null;
  extensions?: Record<string, unknown>;
}

/** A subgraph's answer: its formatted result and the HTTP status Apollo Server would send. */
export interface SubgraphAnswer {
  status: number;
  result: {
    errors?: GraphQLFormattedError[];
    data?: Record<string, unknown> | null;
  };
}

/** What the executor does with a request's errors before answering (the denials' audit). */
export type ErrorsHook<C> = (ctx: C, errors: readonly GraphQLError[]) => Promise<void>;

/**
 * Documents kept parsed and validated, per subgraph process. The gateway's query plans send a
 * few dozen distinct documents; the bound only keeps a flood of distinct ones from growing it.
 */
const DOCUMENTS = 1000;

/**
 * The subgraphs' pipeline for the requests that make up nearly all of their work: a document
 * that parses and validates, variables that coerce, a context that builds. Such a request is
 * executed straight (graphql-js, then compiled by graphql-jit from its second use: `compile`),
 * its document parsed and validated once per process, its errors formatted and its denials
 * recorded as Apollo Server's pipeline does with this subgraph's plugins. Anything else (a document that fails, introspection, persisted queries,
 * variables that do not coerce, an input refused at the edge, a context that fails) returns
 * undefined, and the caller hands the request to Apollo Server, which answers it with its own
 * errors and status: nothing those paths answer changes, and none of them has run a resolver.
 *
 * Why: Apollo Server's pipeline (a SHA-256 of the query text, content negotiation, a dozen
 * plugin hooks each awaited, the context cloned) cost a subgraph about a quarter of the CPU of
 * a one-row request (`bench:subgraph-floor`, bench/RESULTS.md 2026-12-07).
 */
/** A document this executor runs, and its operations' compilation (see `compile`). */
interface Prepared {
  document: DocumentNode;
  /**
   * By operation name ('' for none): compiled, null (graphql-js executes it), or no query yet
   * (used once: a document sent once is not worth compiling).
   */
  operations: Map<string, { query?: CompiledQuery | null }>;
}

export class SubgraphExecutor<C extends BaseContext> {
  /** Prepared documents by query text; null: answered by Apollo Server. */
  private readonly documents = new Lru<string, Prepared | null>(DOCUMENTS);
  /** Input types graphql-jit's variable parsing cannot take (see `compile`). */
  private readonly uncompilable: ReadonlySet<string>;
  /** Operations compiled so far (tests read it). */
  compilations = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly onErrors: ErrorsHook<C>,
  ) {
    this.uncompilable = uncompilableInputTypes(schema);
  }

  /** The document of a query text when this executor may run it, else null. */
  document(query: string): DocumentNode | null {
    return this.prepared(query)?.document ?? null;
  }

  private prepared(query: string): Prepared | null {
    return this.documents.getOrCreate(query, () => this.prepare(query));
  }

  private prepare(query: string): Prepared | null {
    const document = validDocument(query, this.schema);
    return document && { document, operations: new Map() };
  }

  /**
   * The operation compiled to JavaScript by graphql-jit, on its second use in the process (one
   * sent once costs no compilation): it resolves and serialises the same fields as graphql-js
   * without building an info object, an arguments map and a null-prototype result object per
   * field, which for a 100-run page was a quarter of the operations subgraph's CPU
   * (bench/RESULTS.md, phase 14). Null, and graphql-js executes it, for an operation with a
   * variable of an input type graphql-jit's variable parsing cannot take
   * (`uncompilableInputTypes`) or one graphql-jit does not compile.
   */
  private compile(
    prepared: Prepared,
    operation: OperationDefinitionNode,
    operationName: string | null | undefined,
  ): CompiledQuery | null {
    const entry = prepared.operations.get(operationName ?? '');
    if (!entry) {
      prepared.operations.set(operationName ?? '', {});
      return null;
    }
    if (entry.query !== undefined) return entry.query;
    entry.query = null;
    if (takesInputOf(this.schema, operation, this.uncompilable)) return null;
    try {
      const compiled = compileQuery(this.schema, prepared.document, operationName ?? undefined);
      if (!isCompiledQuery(compiled)) return null;
      this.compilations++;
      entry.query = compiled;
    } catch {
      // graphql-js executes it.
    }
    return entry.query;
  }

  /**
   * Runs `request` when it is one this executor answers (see the class), else undefined.
   * `context` builds the request's context; a failure to build it is Apollo Server's to answer.
   */
  async run(
    request: SubgraphRequest,
    context: () => C | Promise<C>,
  ): Promise<SubgraphAnswer | undefined> {
    const { query, variables, operationName, extensions } = request;
    if (typeof query !== 'string' || extensions !== undefined) return undefined;
    if (variables !== undefined && !isRecord(variables)) return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    const prepared = this.prepared(query);
    const operation = prepared && getOperationAST(prepared.document, operationName);
    if (!operation) return undefined;
    const { document } = prepared;
    let contextValue: C;
    try {
      contextValue = await context();
      if (contextValue.principal.type !== 'system') checkOperationInputs(document, variables);
    } catch {
      return undefined;
    }
    const compiled = this.compile(prepared, operation, operationName);
    const result = compiled
      ? await compiled.query(undefined, contextValue, variables ?? {})
      : await execute({
          schema: this.schema,
          document,
          variableValues: variables,
          operationName,
          contextValue,
        });
    // Variables that did not coerce: no resolver ran; Apollo Server answers 400 its own way.
    if (result.data === undefined) return undefined;
    if (!result.errors?.length) return { status: 200, result: { data: result.data } };
    await this.onErrors(contextValue, result.errors);
    const head: ErrorsHead = { headers: new Map() };
    const errors = formatResultErrors(result.errors, head);
    return { status: head.status ?? 200, result: { errors, data: result.data } };
  }
}

/**
 * The input object types from which a chain of fields leads back to a type already on the
 * chain (e.g. a filter with `and: [Filter!]`), and those that contain one: their values may nest
 * to any depth.
 */
export function recursiveInputTypes(schema: GraphQLSchema): Set<string> {
  const out = new Set<string>();
  /** Types whose values are finite whatever the input: explored once. */
  const finite = new Set<string>();
  const reachesCycle = (name: string, path: Set<string>): boolean => {
    if (path.has(name) || out.has(name)) return true;
    const type = schema.getType(name);
    if (finite.has(name) || !isInputObjectType(type)) return false;
    path.add(name);
    const cycle = Object.values(type.getFields()).some((f) =>
      reachesCycle(getNamedType(f.type).name, path),
    );
    path.delete(name);
    if (!cycle) finite.add(name);
    return cycle;
  };
  for (const type of Object.values(schema.getTypeMap()))
    if (isInputObjectType(type) && reachesCycle(type.name, new Set())) out.add(type.name);
  return out;
}

/**
 * The input types graphql-jit's generated variable parsing cannot take: those whose values may
 * nest without end (`recursiveInputTypes`: it would unfold them forever), and `@oneOf` types
 * with every input type that can hold one (it does not know their rule, and would accept what
 * graphql-js refuses).
 */
export function uncompilableInputTypes(schema: GraphQLSchema): Set<string> {
  const out = recursiveInputTypes(schema);
  const holdsOneOf = (name: string, seen: Set<string>): boolean => {
    if (out.has(name)) return true;
    const type = schema.getType(name);
    if (!isInputObjectType(type) || seen.has(name)) return false;
    seen.add(name);
    return (
      type.isOneOf ||
      Object.values(type.getFields()).some((f) => holdsOneOf(getNamedType(f.type).name, seen))
    );
  };
  for (const type of Object.values(schema.getTypeMap()))
    if (isInputObjectType(type) && holdsOneOf(type.name, new Set())) out.add(type.name);
  return out;
}

/** Whether a variable of `operation` is of one of `types` (or of a type `schema` lacks). */
export function takesInputOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  types: ReadonlySet<string>,
): boolean {
  return (operation.variableDefinitions ?? []).some((v) => {
    const type = typeFromAST(schema, v.type);
    return !type || types.has(getNamedType(type).name);
  });
}

/**
 * `query` parsed and validated as Apollo Server does (graphql-js's rules), or null: a document
 * that fails, or one with introspection (Apollo Server refuses it in production by a validation
 * rule of its own, and the gateway limits it apart), is Apollo Server's to answer.
 */
export function validDocument(
  query: string,
  schema: GraphQLSchema,
  maxTokens?: number,
): DocumentNode | null {
  let document: DocumentNode;
  try {
    document = parse(query, maxTokens === undefined ? undefined : { maxTokens });
  } catch {
    return null;
  }
  if (validate(schema, document, specifiedRules).length) return null;
  let introspection = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') introspection = true;
    },
  });
  return introspection ? null : document;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The media type Apollo Server answers a single result with, for the `accept` headers seen. */
const MEDIA_TYPES = new Map<string | undefined, string>([
  [undefined, 'application/json; charset=utf-8'],
  // fetch's default.
  ['*/*', 'application/json; charset=utf-8'],
  ['application/json', 'application/json; charset=utf-8'],
  // The gateway's (gateway/src/transport.ts).
  [
    'application/graphql-response+json, application/json',
    'application/graphql-response+json; charset=utf-8',
  ],
  ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
]);

/** The media type of an answer to this `accept` header, or undefined for Apollo Server to choose. */
export function answerMediaType(accept: string | undefined): string | undefined {
  return MEDIA_TYPES.get(accept);
}
