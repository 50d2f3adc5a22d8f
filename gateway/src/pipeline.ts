import { createHash } from 'node:crypto';
import {
  HeaderMap,
  type ApolloServerOptionsWithGateway,
  type ApolloServerPlugin,
  type GraphQLRequestContext,
  type GraphQLRequestListener,
  type GraphQLResponse,
} from '@apollo/server';
import type { ApolloGateway } from '@apollo/gateway';
import {
  execute as graphqlExecute,
  getOperationAST,
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { headerMapOf, type GraphQLHttpRequest, type GraphQLHttpResponse } from '../../lib/http.js';
import { Lru } from '../../lib/lru.js';
import { formatResultErrors } from '../../lib/errors.js';
import { answerMediaType, isRecord, validDocument } from '../../lib/subgraph-executor.js';
import type { GatewayContext } from './context.js';
import { compileVariableChecks } from './variables.js';

/** What Apollo Server is given as its gateway, and the executor it gets from it. */
type GatewayInterface = ApolloServerOptionsWithGateway<GatewayContext>['gateway'];
type Loaded = Awaited<ReturnType<ApolloGateway['load']>>;
type GatewayExecutor = Loaded['executor'];
type GatewayRequestContext = Parameters<GatewayExecutor>[0];
type FetcherHeaders = NonNullable<GatewayRequestContext['request']['http']>['headers'];

/** Documents kept parsed and validated: clients send a few hundred distinct operations at most. */
const DOCUMENTS = 1000;

/** A document this pipeline runs: parsed and validated once against the schema it was run with. */
interface Prepared {
  schema: GraphQLSchema;
  document: DocumentNode;
  /** Apollo Server's hash of the text (SHA-256): the gateway's query plans are stored under it. */
  queryHash: string;
}

/**
 * The listener hooks this pipeline calls (see `GatewayPipeline`), and those Apollo Server does
 * not call either for a document it parsed and validated before (Apollo Server's own
 * DisableSuggestions, in production, has one). A plugin with any other hook is refused.
 */
const KNOWN_HOOKS = new Set([
  'didResolveSource',
  'didResolveOperation',
  'executionDidStart',
  'didEncounterErrors',
  'willSendResponse',
  'parsingDidStart',
  'validationDidStart',
]);

/**
 * The gateway's pipeline for the requests that make up nearly all of its work: a POST of JSON
 * whose document parses and validates against the API schema, names a query or a mutation (no
 * introspection, no persisted query), and whose client accepts one of the two JSON media types.
 * Such a request runs through the same plugins (limits and rate limit, request id and log,
 * settling after a mutation, …: the list given to Apollo Server, in its order, each hook called
 * as Apollo Server's request pipeline calls it for a document it has parsed before) and the
 * same executor (the planner's query plan through our transport); its errors are formatted and
 * its status and headers set as Apollo Server does. Anything else returns undefined before any
 * plugin has run, and the caller hands the request to Apollo Server, which answers it as it
 * always has.
 *
 * Why: per request Apollo Server hashes the query text with SHA-256, negotiates media types
 * twice, builds a header map from every request header, and awaits some twenty hooks of its own
 * plugins; for a single event sent to the gateway that was about a tenth of the CPU of the
 * whole embedded stack (bench/RESULTS.md, phase 17). Here a document is parsed, validated and
 * hashed once per process, and the media type looked up in a table.
 */
export class GatewayPipeline {
  private readonly documents = new Lru<string, Prepared | null>(DOCUMENTS);
  private executor: GatewayExecutor | null = null;
  private schema: GraphQLSchema | null = null;
  /** Requests answered here so far (tests read it). */
  answered = 0;

  constructor(
    private readonly opts: {
      /**
       * The plugins Apollo Server runs, in its order: the array it is given, to which it appends
       * its own defaults as it starts.
       */
      plugins: readonly ApolloServerPlugin<GatewayContext>[];
      maxTokens: number;
      logger: GatewayRequestContext['logger'];
    },
  ) {}

  /**
   * The gateway Apollo Server is given: `gateway` itself, except that this pipeline keeps what
   * Apollo Server gets from it: the executor it loads, and the API schema of each load or update
   * (Apollo Server validates against that one). Its variable check is compiled (./variables.ts).
   */
  wrap(gateway: ApolloGateway): GatewayInterface {
    compileVariableChecks(gateway);
    return {
      load: async (options) => {
        const loaded = await gateway.load(options as Parameters<ApolloGateway['load']>[0]);
        this.executor = loaded.executor;
        return { ...loaded, executor: resolvingOperation(loaded.executor) };
      },
      onSchemaLoadOrUpdate: (callback) =>
        gateway.onSchemaLoadOrUpdate((update) => {
          this.schema = update.apiSchema;
          callback(update);
        }),
      stop: () => gateway.stop(),
    };
  }

  /** The prepared document of `query` for `schema`, or null when Apollo Server is to answer. */
  private prepared(query: string, schema: GraphQLSchema): Prepared | null {
    const known = this.documents.get(query);
    if (known !== undefined && (known === null || known.schema === schema)) return known;
    const document = validDocument(query, schema, this.opts.maxTokens);
    const prepared = document && {
      schema,
      document,
      queryHash: createHash('sha256').update(query).digest('hex'),
    };
    this.documents.set(query, prepared);
    return prepared;
  }

  /**
   * Answers `request` when it is one this pipeline runs (see the class), else undefined with
   * nothing run. `context` is called at most once; when it fails, the request is Apollo
   * Server's (the caller hands it the same failed context).
   */
  async run(
    request: GraphQLHttpRequest,
    context: () => Promise<GatewayContext>,
  ): Promise<GraphQLHttpResponse | undefined> {
    const { executor, schema } = this;
    const body = request.body;
    if (!executor || !schema || request.method !== 'POST' || !isRecord(body)) return undefined;
    const { query, variables, operationName } = body;
    if (typeof query !== 'string' || body.extensions != null) return undefined;
    if (variables != null && !isRecord(variables)) return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    // Apollo Server's CSRF rule lets JSON through; anything else is its to judge.
    if (!JSON_TYPES.has(essence(request.headers['content-type']))) return undefined;
    const contentType = answerMediaType(header(request.headers.accept));
    if (!contentType) return undefined;
    const prepared = this.prepared(query, schema);
    const operation = prepared && getOperationAST(prepared.document, operationName);
    if (!operation || operation.operation === 'subscription') return undefined;
    let contextValue: GatewayContext;
    try {
      contextValue = await context();
    } catch {
      return undefined;
    }
    this.answered++;
    const response = await this.execute(
      executor,
      prepared,
      operation,
      { query, variables: variables ?? undefined, operationName: operationName ?? undefined },
      request,
      contextValue,
    );
    const headers = new Map(response.http.headers);
    if (!headers.has('content-type')) headers.set('content-type', contentType);
    const single = response.body.kind === 'single' ? response.body.singleResult : {};
    // Apollo Server's field order and trailing newline.
    const { errors, data, extensions } = single;
    return {
      status: response.http.status ?? 200,
      headers,
      body: `${JSON.stringify({ errors, data, extensions })}\n`,
    };
  }

  /** Apollo Server's request pipeline from a resolved operation on (`processGraphQLRequest`). */
  private async execute(
    executor: GatewayExecutor,
    prepared: Prepared,
    operation: OperationDefinitionNode,
    graphqlRequest: { query: string; variables?: Record<string, unknown>; operationName?: string },
    http: GraphQLHttpRequest,
    contextValue: GatewayContext,
  ): Promise<GraphQLResponse> {
    // Apollo Server's copy of the request's headers, made only if something reads it (none of
    // the gateway's plugins does; its executor does outside production).
    let headerMap: HeaderMap | undefined;
    const requestHeaders = () => (headerMap ??= headerMapOf(http.headers));
    const response = {
      http: { status: undefined as number | undefined, headers: new HeaderMap() },
      body: undefined as GraphQLResponse['body'] | undefined,
    };
    const rc = {
      logger: this.opts.logger,
      cache: undefined,
      schema: prepared.schema,
      request: {
        ...graphqlRequest,
        http: {
          method: http.method,
          get headers() {
            return requestHeaders();
          },
          search: http.search,
          body: http.body,
        },
      },
      response,
      contextValue,
      metrics: { persistedQueryHit: false, persistedQueryRegister: false },
      overallCachePolicy: undefined,
      requestIsBatched: false,
      queryHash: prepared.queryHash,
      source: graphqlRequest.query,
      document: prepared.document,
      operation,
      operationName: operation.name?.value ?? null,
      errors: undefined as readonly GraphQLError[] | undefined,
    } as unknown as GraphQLRequestContext<GatewayContext> & {
      errors?: readonly GraphQLError[];
    };
    const listeners = (
      await Promise.all(this.opts.plugins.map((p) => p.requestDidStart?.(rc)))
    ).filter((l): l is GraphQLRequestListener<GatewayContext> => !!l);
    for (const l of listeners) {
      for (const hook of Object.keys(l)) {
        if (KNOWN_HOOKS.has(hook)) continue;
        // A plugin this pipeline cannot run as Apollo Server would: Apollo Server answers from
        // now on (this request fails with 500).
        this.executor = null;
        throw new Error(`GatewayPipeline does not call ${hook}`);
      }
    }
    const willSendResponse = () =>
      Promise.all(listeners.map((l) => l.willSendResponse?.(rc as never)));
    const didEncounterErrors = (errors: readonly GraphQLError[]) => {
      rc.errors = errors;
      return Promise.all(listeners.map((l) => l.didEncounterErrors?.(rc as never)));
    };
    const sendErrors = async (errors: GraphQLError[]) => {
      await didEncounterErrors(errors);
      const formatted = formatResultErrors(errors, response.http);
      response.body = { kind: 'single', singleResult: { errors: formatted } };
      response.http.status ??= 500;
      await willSendResponse();
      return response as GraphQLResponse;
    };
    await Promise.all(listeners.map((l) => l.didResolveSource?.(rc as never)));
    try {
      await Promise.all(listeners.map((l) => l.didResolveOperation?.(rc as never)));
    } catch (err) {
      return sendErrors([graphqlError(err)]);
    }
    const executionListeners = (
      await Promise.all(listeners.map((l) => l.executionDidStart?.(rc as never)))
    ).filter((l) => !!l);
    try {
      const result = await executor(this.gatewayRequestContext(rc, requestHeaders));
      const resultErrors = result.errors?.map((e) =>
        isBadUserInputError(e) ? userInputError(e) : e,
      );
      if (resultErrors) await didEncounterErrors(resultErrors);
      const formatted = resultErrors && formatResultErrors(resultErrors, response.http);
      // Apollo Server 5: variables that did not coerce (no data at all) are a 400.
      if (resultErrors?.length && result.data === undefined) response.http.status ??= 400;
      response.body = { kind: 'single', singleResult: { ...result, errors: formatted } };
    } catch (err) {
      const error = graphqlError(err);
      await Promise.all(executionListeners.map((l) => l.executionDidEnd?.(error)));
      return sendErrors([error]);
    }
    await Promise.all(executionListeners.map((l) => l.executionDidEnd?.()));
    await willSendResponse();
    return response as GraphQLResponse;
  }

  /** What Apollo Server hands its gateway's executor (`makeGatewayGraphQLRequestContext`). */
  private gatewayRequestContext(
    rc: GraphQLRequestContext<GatewayContext>,
    headers: () => HeaderMap,
  ): GatewayRequestContext {
    const http = rc.request.http!;
    const response = rc.response.http;
    return {
      request: {
        query: rc.request.query,
        operationName: rc.request.operationName,
        variables: rc.request.variables,
        http: {
          method: http.method,
          url: `https://unknown-url.invalid/${http.search && !http.search.startsWith('?') ? '?' : ''}${http.search}`,
          headers: new HeadersView(headers),
        },
      },
      response: {
        http: {
          headers: new HeadersView(() => response.headers),
          get status() {
            return response.status;
          },
          set status(status) {
            response.status = status;
          },
        },
      },
      logger: this.opts.logger,
      schema: rc.schema,
      schemaHash: 'schemaHash no longer exists since Apollo Server 4' as never,
      context: rc.contextValue,
      cache: undefined as never,
      queryHash: rc.queryHash!,
      document: rc.document!,
      source: rc.source!,
      operationName: rc.operationName ?? null,
      operation: rc.operation!,
      errors: undefined,
      metrics: rc.metrics,
      debug: false,
      overallCachePolicy: undefined,
      requestIsBatched: false,
    };
  }
}

const JSON_TYPES = new Set(['application/json', 'application/graphql-response+json']);

function essence(contentType: string | string[] | undefined): string {
  return (header(contentType) ?? '').split(';')[0]!.trim().toLowerCase();
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function graphqlError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  const error = err instanceof Error ? err : new Error(`Unexpected error value: ${String(err)}`);
  return new GraphQLError(error.message, { originalError: error });
}

/** A variable that did not coerce, as graphql-js words it (Apollo Server's `UserInputError`). */
function isBadUserInputError(e: GraphQLError): boolean {
  const node = e.nodes?.length === 1 ? e.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION || e.extensions?.code != null) return false;
  const name = node.variable.name.value;
  return (
    e.message.startsWith(`Variable "$${name}" has invalid value`) ||
    e.message.startsWith(`Variable "$${name}" got invalid value `) ||
    e.message.startsWith(`Variable "$${name}" of required type `) ||
    e.message.startsWith(`Variable "$${name}" of non-null type `)
  );
}

function userInputError(e: GraphQLError): GraphQLError {
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    originalError: e.originalError ?? e,
    extensions: { ...e.extensions, code: 'BAD_USER_INPUT' },
  });
}

/**
 * The gateway's executor as Apollo Server calls it: a document without the operation the request
 * names (an unknown name, or several operations and no name) is answered with graphql-js's own
 * answer (its execution stops at resolving the operation: nothing runs), as Apollo Server's own
 * execution answers it, so that Apollo Server reports it as the client's
 * (OPERATION_RESOLUTION_FAILURE, 400); the gateway's executor throws instead, which Apollo
 * Server reports as its own failure (500).
 */
function resolvingOperation(executor: GatewayExecutor): GatewayExecutor {
  return async (rc) =>
    rc.operation
      ? executor(rc)
      : ((await graphqlExecute({
          schema: rc.schema,
          document: rc.document,
          operationName: rc.request.operationName,
        })) as Awaited<ReturnType<GatewayExecutor>>);
}

/**
 * The Fetch API `Headers` view of a header map (made when first read) that the executor gets. A
 * class: two of these per request, whose methods an object literal would create (and name)
 * afresh each time.
 */
class HeadersView implements FetcherHeaders {
  constructor(private readonly headers: () => HeaderMap) {}
  get(name: string): string | null {
    return this.headers().get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.headers().has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.headers().set(name.toLowerCase(), value);
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const before = this.headers().get(key);
    this.headers().set(key, before === undefined ? value : `${before}, ${value}`);
  }
  delete(name: string): void {
    this.headers().delete(name.toLowerCase());
  }
  entries(): IterableIterator<[string, string]> {
    return this.headers().entries();
  }
  keys(): IterableIterator<string> {
    return this.headers().keys();
  }
  values(): IterableIterator<string> {
    return this.headers().values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.headers().entries();
  }
}
