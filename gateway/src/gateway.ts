import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ApolloServer,
  type ApolloServerPlugin,
  type GraphQLRequest,
  type GraphQLRequestContext,
} from '@apollo/server';
import {
  ApolloGateway,
  type GraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { ClientInfo } from '../../lib/actor.js';
import { compareIds, validId, type Bus } from '../../lib/bus.js';
import { formatError } from '../../lib/errors.js';
import { disableApolloTelemetry } from '../../lib/env.js';
import {
  bearer,
  createHttpServer,
  answerGraphQLHttp,
  prefix,
  route,
  sendJson,
  type GraphQLHttpResponse,
  type HttpHandler,
} from '../../lib/http.js';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { corsHandler } from './http/cors.js';
import {
  countSubscriptions,
  metricsHandler,
  subgraphFetchDuration,
  subscriptionsOpen,
} from '../../lib/metrics.js';
import { annotateLogScope } from '../../lib/log.js';
import { apiDocsHandler, dashboardHandler, explorerHandler } from './http/ui.js';
import type { InternalTokens } from '../../lib/internal-token.js';
import { AddressRefused, Authenticator } from './auth/authenticator.js';
import { gatewayContext, type GatewayContext } from './context.js';
import { operationLimitsPlugin, type OperationLimits } from './limits/operation-limits.js';
import {
  createRateLimitCharge,
  rateLimitHeadersPlugin,
  RateBudgets,
  type BudgetLimits,
} from './limits/rate-limit-plugin.js';
import type { RateLimiter } from './limits/rate-limit.js';
import { requestLogPlugin } from './limits/request-log.js';
import { subgraphRetryAfterPlugin } from './retry-after.js';
import { RefusalAudit } from './refusal-audit.js';
import type { DeliveryScheduler } from './subscriptions/delivery-scheduler.js';
import { SubscriptionEngine } from './subscriptions/engine.js';
import { refuseHttpSubscriptions } from './subscriptions/http-refusal.js';
import { SubscriptionServer } from './subscriptions/server.js';
import { InternalCalls } from './sso/internal-calls.js';
import { SsoRoutes } from './sso/sso-routes.js';
import { ScimRoutes, SCIM_PREFIX } from './scim/scim-routes.js';
import type { SubgraphName, SubgraphResult, SubgraphTransport } from './transport.js';
import { uniqueRepresentations } from './representations.js';
import { GatewayPipeline } from './pipeline.js';
import type { Caller } from '../../lib/internal-token.js';
import { log } from '../../lib/log.js';

export type { GatewayContext } from './context.js';

export const SUPERGRAPH_PATH = fileURLToPath(
  new URL('../../schema/supergraph.graphql', import.meta.url),
);

/** One subgraph call that identical calls made meanwhile share (see TransportDataSource). */
interface Flight {
  result: Promise<SubgraphResult>;
  callers: number;
}

/**
 * Sends the planner's subgraph fetches through our transport, with the internal token.
 *
 * Fetches of a query operation are shared while in flight: a fetch with the same subgraph,
 * document, variables and identity fingerprint as one already running waits for that one
 * instead of running again (dashboards polling the same query, a burst of equal requests; the
 * peer gateway in bench/peer.ts does the same by default). Only queries (reads), only between
 * callers with equal principal and grants, so nobody sees data they could not read themselves.
 * The subgraph sees the first caller's request id. Each caller gets its own copy of a shared
 * result, because the executor merges later fetches into the objects it receives.
 */
class TransportDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly inflight = new Map<string, Flight>();

  constructor(
    private readonly name: SubgraphName,
    private readonly transport: SubgraphTransport,
    private readonly dedupe: boolean,
  ) {}

  /** Calls that joined one already in flight (tests read it). */
  shared = 0;

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const stop = subgraphFetchDuration.startTimer({ subgraph: this.name });
    try {
      return await this.fetch(options);
    } finally {
      stop();
    }
  }

  /** Entity representations not sent because an identical one was (tests read it). */
  representationsSaved = 0;

  private async fetch(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const context = options.context as Partial<GatewayContext>;
    if (!context.caller) {
      return {
        errors: [
          { message: 'Missing gateway context', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ],
      } as any;
    }
    const request = options.request as GraphQLRequest;
    const unique = uniqueRepresentations(request.variables);
    if (!unique)
      return takePosition(
        context,
        await this.send(options, request, context.caller, context.identityKey),
      );
    this.representationsSaved += unique.saved;
    const result = await this.send(
      options,
      { ...request, variables: unique.variables },
      context.caller,
      context.identityKey,
    );
    return unique.expand(takePosition(context, result)) as any;
  }

  private async send(
    options: GraphQLDataSourceProcessOptions<GatewayContext>,
    request: GraphQLRequest,
    caller: Caller,
    identityKey: string | undefined,
  ): Promise<SubgraphResult> {
    const read =
      'incomingRequestContext' in options &&
      options.incomingRequestContext.operation?.operation === 'query';
    if (!this.dedupe || !read || !identityKey) {
      return this.transport.execute(this.name, request, caller);
    }
    const key = `${identityKey}\n${request.operationName ?? ''}\n${request.query}\n${JSON.stringify(request.variables ?? {})}`;
    let flight = this.inflight.get(key);
    if (flight) {
      flight.callers++;
      this.shared++;
    } else {
      const call = this.transport.execute(this.name, request, caller);
      const f: Flight = {
        callers: 1,
        // Leaves the map before any caller resumes: later calls start afresh.
        result: call.finally(() => this.inflight.delete(key)),
      };
      flight = f;
      this.inflight.set(key, f);
    }
    const result = await flight.result;
    return flight.callers > 1 ? structuredClone(result) : result;
  }
}

/**
 * Takes the subgraph's bus position off its result (the planner gets GraphQL only) and keeps the
 * furthest one on the request's context; a result without one (an in-process bus, a subgraph
 * that does not say) marks the context `null`: the mutation then settles the way `Bus.settle`
 * does (free on the in-process bus, a read of the tail on Redis).
 */
function takePosition(context: Partial<GatewayContext>, result: SubgraphResult): SubgraphResult {
  const position = result.busPosition;
  if (position === undefined) {
    context.busPosition = null;
    return result;
  }
  // Not `delete`: the result keeps its shape on its way through the planner.
  result.busPosition = undefined;
  if (context.busPosition === null || !validId(position)) {
    context.busPosition = null;
  } else if (!context.busPosition || compareIds(position, context.busPosition) > 0) {
    context.busPosition = position;
  }
  return result;
}

export interface GatewayOptions {
  transport: SubgraphTransport;
  limits: OperationLimits;
  maxTokens: number;
  rateLimiter: RateLimiter;
  /** Budgets per minute: principal (or anonymous address), account, anonymous sign-in. */
  rateLimits: BudgetLimits;
  /** Subscriptions one WebSocket connection may hold at once. */
  subscriptionsPerConnection: number;
  /** Subscriptions one user or service account may hold at once on this gateway (0: no cap). */
  subscriptionsPerPrincipal: number;
  /** Bytes a subscriber may leave unread before its socket is closed with 1008. */
  subscriptionUnsentBytes: number;
  /** Production hides schema details (field suggestions) from client errors. */
  production: boolean;
  logRequests: boolean;
  requestTimeoutMs: number;
  tokens: InternalTokens;
  bus: Bus;
  grantsCacheTtlMs: number;
  tokenTtlSeconds: number;
  introspection: boolean;
  /** Share identical in-flight subgraph fetches of queries between equal identities. */
  dedupeQueries?: boolean;
  /** Take the client's address from the first X-Forwarded-For hop (behind a trusted proxy). */
  trustProxy?: boolean;
  supergraphSdl?: string;
  /** Single sign-on routes: PUBLIC_URL and the other origins a login may return to. */
  sso?: { publicUrl: string; returnOrigins: string[] };
  /** Origins whose browsers may call the API (CORS_ORIGINS; `*` for any). */
  corsOrigins?: readonly string[];
  /** Serve /metrics (METRICS). */
  metrics?: boolean;
}

/** The public edge: authentication, internal tokens, and query planning over the subgraphs. */
export class Gateway {
  readonly apollo: ApolloServer<GatewayContext>;
  /** Runs the common requests with Apollo Server's plugins and executor, without its pipeline. */
  readonly pipeline: GatewayPipeline;
  readonly auth: Authenticator;
  /** Live events to subscriptions (one bus reader for every WebSocket server of this gateway). */
  readonly subscriptions: SubscriptionEngine;
  /** The gateway's refusals (allow-lists, budgets, caps) on their way to the audit log. */
  readonly refusals: RefusalAudit;
  private readonly budgets: RateBudgets;
  private apiSchema: GraphQLSchema | null = null;
  private readonly socketServers: SubscriptionServer[] = [];
  private readonly dataSources: TransportDataSource[] = [];
  private constructor(private readonly opts: GatewayOptions) {
    disableApolloTelemetry();
    const gateway = new ApolloGateway({
      supergraphSdl: opts.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8'),
      buildService: ({ name }) => {
        const source = new TransportDataSource(
          name as SubgraphName,
          opts.transport,
          opts.dedupeQueries ?? true,
        );
        this.dataSources.push(source);
        return source;
      },
      logger: quietLogger,
    });
    gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
      this.apiSchema = apiSchema;
    });
    this.refusals = new RefusalAudit(opts.bus);
    this.budgets = new RateBudgets(opts.rateLimiter, opts.rateLimits);
    const plugins: ApolloServerPlugin<GatewayContext>[] = [
      // Browsers get Flowplane's own explorer (explorerHandler), never Apollo's hosted Sandbox.
      ApolloServerPluginLandingPageDisabled(),
      // Answers are private to their caller: no shared cache policy is computed or sent.
      ApolloServerPluginCacheControlDisabled(),
      refuseHttpSubscriptions,
      requestIdPlugin,
      // Deliveries of subscriptions yield to requests while these are in flight.
      requestsFirst(() => this.subscriptions.scheduler),
      requestLogPlugin(opts.logRequests),
      operationLimitsPlugin(opts.limits, createRateLimitCharge(this.budgets, this.refusals)),
      rateLimitHeadersPlugin,
      subgraphRetryAfterPlugin,
      settleAfterMutation(opts.bus),
    ];
    this.pipeline = new GatewayPipeline({
      plugins,
      maxTokens: opts.maxTokens,
      logger: quietLogger,
    });
    this.apollo = new ApolloServer<GatewayContext>({
      gateway: this.pipeline.wrap(gateway),
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection: opts.introspection,
      hideSchemaDetailsFromClientErrors: opts.production,
      parseOptions: { maxTokens: opts.maxTokens },
      plugins,
    });
    this.auth = new Authenticator(
      opts.transport,
      opts.tokens,
      opts.bus,
      opts.grantsCacheTtlMs,
      opts.tokenTtlSeconds,
    );
    this.subscriptions = new SubscriptionEngine({
      apollo: this.apollo,
      transport: opts.transport,
      bus: opts.bus,
      budgets: this.budgets,
      audit: this.refusals,
    });
  }

  static async start(opts: GatewayOptions): Promise<Gateway> {
    const g = new Gateway(opts);
    await g.apollo.start();
    g.subscriptions.start();
    openSubscriptions.add(g.subscriptions);
    return g;
  }

  /**
   * Authenticates a request and mints the internal token for its subgraph calls; the client's
   * address and user agent travel in it to the audit log. The accounts' IP allow-lists apply
   * here (`Authenticator.fromAddress`): a service account from outside its account's list is
   * refused (FORBIDDEN, 403, audited); a user's grants in such accounts are withheld.
   */
  async context(
    credential: string | undefined,
    client: ClientInfo = { ip: null, userAgent: null },
  ): Promise<GatewayContext> {
    let identity = await this.auth.authenticate(credential);
    try {
      identity = this.auth.fromAddress(identity, client.ip);
    } catch (err) {
      if (!(err instanceof AddressRefused)) throw err;
      this.refusals.record({
        reason: 'ip-allow-list',
        principal: identity.principal,
        client,
        requestId: null,
        accountId: err.accountId,
        detail: { transport: 'http' },
      });
      throw err.error;
    }
    const { principal, grants } = identity;
    const caller = this.opts.tokens.caller({ principal, grants, client });
    annotateLogScope({ requestId: caller.claims.requestId });
    return gatewayContext(identity, caller, client.ip);
  }

  /** Subgraph fetches that shared a call already in flight, so far (all subgraphs). */
  get sharedFetches(): number {
    return this.dataSources.reduce((n, s) => n + s.shared, 0);
  }

  /** Entity representations not sent to a subgraph because an identical one of the fetch was. */
  get representationsSaved(): number {
    return this.dataSources.reduce((n, s) => n + s.representationsSaved, 0);
  }

  /**
   * Runs one named operation for `credential` through the same pipeline as POST /graphql
   * (authentication, operation limits, rate limit, request id and log, audit, error masking);
   * the REST layer's only way in. The client's address and user agent come from `req`.
   */
  execute(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    credential: string | undefined,
    operation: { query: string; operationName: string; variables: Record<string, unknown> },
  ): Promise<GraphQLHttpResponse> {
    const headers: IncomingMessage['headers'] = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
    };
    if (req.headers['user-agent']) headers['user-agent'] = req.headers['user-agent'];
    const request = { method: 'POST', headers, search: '', body: operation };
    return answerGraphQLHttp(
      this.apollo,
      request,
      () => this.context(credential, clientInfo(req, this.opts.trustProxy ?? false)),
      (context) => this.pipeline.run(request, context),
    );
  }

  /**
   * The public HTTP server: /graphql (HTTP and WebSocket), /health, /ready, and what `extra`
   * adds (the REST layer's `/api/` prefix and its WebSocket upgrades).
   */
  httpServer(extra: HttpExtensions = {}): Server {
    const server = createHttpServer<GatewayContext>({
      apollo: this.apollo,
      context: (req) => this.context(bearer(req), clientInfo(req, this.opts.trustProxy ?? false)),
      direct: (body, req, context) =>
        this.pipeline.run(
          { method: req.method ?? 'GET', headers: req.headers, search: '', body },
          context,
        ),
      handlers: this.httpHandlers(extra.handlers ?? []),
    });
    // Idle keep-alive sockets stay open longer than clients and proxies keep theirs (undici 4 s,
    // load balancers often 60 s), so the server is never the side that closes a socket a client
    // is just reusing (a reset request). Shutdown closes idle sockets at once.
    server.keepAliveTimeout = 65_000;
    server.requestTimeout = this.opts.requestTimeoutMs;
    server.headersTimeout = Math.min(this.opts.requestTimeoutMs, 60_000);
    this.socketServers.push(
      new SubscriptionServer(server, {
        apollo: this.apollo,
        auth: this.auth,
        engine: this.subscriptions,
        tokens: this.opts.tokens,
        tokenTtlSeconds: this.opts.tokenTtlSeconds,
        schema: () => this.apiSchema,
        limits: this.opts.limits,
        maxTokens: this.opts.maxTokens,
        production: this.opts.production,
        budgets: this.budgets,
        maxPerConnection: this.opts.subscriptionsPerConnection,
        maxPerPrincipal: this.opts.subscriptionsPerPrincipal,
        maxUnsentBytes: this.opts.subscriptionUnsentBytes,
        audit: this.refusals,
        clientOf: (req) => clientInfo(req, this.opts.trustProxy ?? false),
        logRequests: this.opts.logRequests,
        otherUpgrade: extra.upgrade,
      }),
    );
    return server;
  }

  /** /auth/sso/… (gateway/src/sso/) and /scim/v2/… (gateway/src/scim/). */
  private ssoHandlers(): HttpHandler[] {
    const clientOf = (req: IncomingMessage) => clientInfo(req, this.opts.trustProxy ?? false);
    const sso = new SsoRoutes({
      calls: new InternalCalls(this.opts.transport, this.opts.tokens, 'sso'),
      publicUrl: this.opts.sso?.publicUrl ?? 'http://localhost',
      returnOrigins: this.opts.sso?.returnOrigins ?? [],
      clientOf,
    });
    const scim = new ScimRoutes(
      new InternalCalls(this.opts.transport, this.opts.tokens, 'scim'),
      clientOf,
    );
    return [prefix('/auth/sso/', sso.handle), prefix(SCIM_PREFIX, scim.handle)];
  }

  /**
   * The public server's routes, in order, before GraphQL itself: CORS first (it answers
   * preflights and marks every response to an allowed origin), then the pages and endpoints.
   * Single sign-on and SCIM follow, then what the server adds (the REST layer's `/api/*`).
   */
  private httpHandlers(extra: HttpHandler[]): HttpHandler[] {
    return [
      corsHandler(this.opts.corsOrigins ?? []),
      explorerHandler(),
      dashboardHandler(),
      // Swagger UI over the REST layer's /api/openapi.json (the layer comes in `extra`).
      apiDocsHandler(),
      metricsHandler(this.opts.metrics ?? true),
      route('/health', (_req, res) => sendJson(res, 200, { status: 'ok' })),
      route('/ready', async (_req, res) => {
        const subgraphs = await this.opts.transport.ready();
        const ok = Object.values(subgraphs).every(Boolean);
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', subgraphs });
      }),
      ...this.ssoHandlers(),
      ...extra,
    ];
  }

  /**
   * Closes every WebSocket with 1001 "Going away" and stops accepting new ones: the first step
   * of a shutdown, before the HTTP server drains.
   */
  async closeSubscriptions(): Promise<void> {
    await Promise.all(this.socketServers.map((s) => s.close()));
  }

  async stop(): Promise<void> {
    await this.closeSubscriptions();
    this.subscriptions.stop();
    this.refusals.close();
    openSubscriptions.delete(this.subscriptions);
    this.auth.close();
    await this.apollo.stop();
    await this.opts.rateLimiter.close();
    this.opts.transport.close?.();
  }
}

/** What the server adds beside GraphQL (the REST layer). */
export interface HttpExtensions {
  /** Handlers after the gateway's own (e.g. `/api/*`). */
  handlers?: HttpHandler[];
  /** A WebSocket upgrade on another path than /graphql: true when it was taken. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

/** Subscription engines of this process, read by the subscriptions-open gauge when scraped. */
const openSubscriptions = new Set<SubscriptionEngine>();
subscriptionsOpen.set(0);
countSubscriptions(() => {
  let n = 0;
  for (const e of openSubscriptions) n += e.size;
  return n;
});

const MAX_USER_AGENT = 300;

/**
 * The client of an HTTP request: the socket's address, or the first X-Forwarded-For hop when
 * the gateway runs behind a proxy it trusts (anyone can send that header otherwise).
 */
export function clientInfo(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  trustProxy: boolean,
): ClientInfo {
  let ip = req.socket.remoteAddress ?? null;
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first && isIP(first)) ip = first;
  }
  // IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d.
  if (ip?.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  const ua = req.headers['user-agent'];
  return { ip, userAgent: ua ? ua.slice(0, MAX_USER_AGENT) : null };
}

const requestIdPlugin = {
  async requestDidStart(rc: GraphQLRequestContext<GatewayContext>) {
    return {
      async willSendResponse() {
        rc.response.http.headers.set('x-request-id', rc.contextValue.requestId);
      },
    };
  },
};

/**
 * Tells the delivery scheduler when requests (not deliveries) are in flight: meanwhile only a
 * few deliveries run, so a tenant's fan-out cannot slow everybody's requests down.
 */
function requestsFirst(scheduler: () => DeliveryScheduler) {
  return {
    async requestDidStart(rc: GraphQLRequestContext<GatewayContext>) {
      if (rc.contextValue.delivery) return;
      const ended = scheduler().requestStarted();
      return {
        async willSendResponse() {
          ended();
        },
      };
    },
  };
}

/**
 * A mutation's answer goes out once this gateway's bus reader has handled the events the
 * mutation published (its caches, e.g. a revoked key's identity, reflect it for the caller's
 * next request): up to the furthest position its subgraphs answered with, no round trip; when a
 * subgraph did not say, up to the stream's tail read from Redis (`Bus.settle`).
 */
function settleAfterMutation(bus: Bus) {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(rc: GraphQLRequestContext<GatewayContext>) {
          if (rc.operation?.operation !== 'mutation') return;
          const position = rc.contextValue.busPosition;
          if (position === undefined) return;
          const settled = position === null ? bus.settle(1000) : bus.settleTo(position, 1000);
          await settled.catch(() => undefined);
        },
      };
    },
  };
}

const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m: unknown) => log.warn(String(m)),
  error: (m: unknown) => log.error(String(m)),
};
