import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { formatError } from './errors.js';
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
 * executed straight with graphql-js, its document parsed and validated once per process, its
 * errors formatted and its denials recorded as Apollo Server's pipeline does with this
 * subgraph's plugins. Anything else (a document that fails, introspection, persisted queries,
 * variables that do not coerce, an input refused at the edge, a context that fails) returns
 * undefined, and the caller hands the request to Apollo Server, which answers it with its own
 * errors and status: nothing those paths answer changes, and none of them has run a resolver.
 *
 * Why: Apollo Server's pipeline (a SHA-256 of the query text, content negotiation, a dozen
 * plugin hooks each awaited, the context cloned) cost a subgraph about a quarter of the CPU of
 * a one-row request (`bench:subgraph-floor`, bench/RESULTS.md 2026-12-07).
 */
export class SubgraphExecutor<C extends BaseContext> {
  /** Parsed and validated documents by query text; null: answered by Apollo Server. */
  private readonly documents = new Lru<string, DocumentNode | null>(DOCUMENTS);

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly onErrors: ErrorsHook<C>,
  ) {}

  /** The document of a query text when this executor may run it, else null. */
  document(query: string): DocumentNode | null {
    return this.documents.getOrCreate(query, () => this.prepare(query));
  }

  private prepare(query: string): DocumentNode | null {
    let doc: DocumentNode;
    try {
      doc = parse(query);
    } catch {
      return null;
    }
    if (validate(this.schema, doc, specifiedRules).length) return null;
    // Apollo Server refuses introspection in production by a validation rule of its own.
    let introspection = false;
    visit(doc, {
      Field(node) {
        if (node.name.value === '__schema' || node.name.value === '__type') introspection = true;
      },
    });
    return introspection ? null : doc;
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
    const document = this.document(query);
    if (!document || !getOperationAST(document, operationName)) return undefined;
    let contextValue: C;
    try {
      contextValue = await context();
      if (contextValue.principal.type !== 'system') checkOperationInputs(document, variables);
    } catch {
      return undefined;
    }
    const result = await execute({
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
    let status = 200;
    const errors = result.errors.map((error) => {
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR',
      };
      const http = extensions.http as { status?: unknown } | undefined;
      if (http && typeof http === 'object') {
        if (typeof http.status === 'number') status = http.status;
        delete extensions.http;
      }
      try {
        return formatError({ ...error.toJSON(), extensions }, error);
      } catch {
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
    return { status, result: { errors, data: result.data } };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The media type Apollo Server answers a single result with, for the `accept` headers seen. */
const MEDIA_TYPES = new Map<string | undefined, string>([
  [undefined, 'application/json; charset=utf-8'],
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
