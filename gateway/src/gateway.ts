import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type GraphQLRequest, type GraphQLRequestContext } from '@apollo/server';
import {
  ApolloGateway,
  type GraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { ClientInfo } from '../../lib/actor.js';
import type { Bus } from '../../lib/bus.js';
import { formatError } from '../../lib/errors.js';
import { bearer, createHttpServer, route, sendJson, type HttpHandler } from '../../lib/http.js';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { corsHandler } from './http/cors.js';
import {
  countSubscriptions,
  metricsHandler,
  subgraphFetchDuration,
  subscriptionsOpen,
} from '../../lib/metrics.js';
import { annotateLogScope } from '../../lib/log.js';
import { dashboardHandler, explorerHandler } from './http/ui.js';
import type { InternalTokens } from '../../lib/internal-token.js';
import { Authenticator } from './auth/authenticator.js';
import { gatewayContext, type GatewayContext } from './context.js';
import { operationLimitsPlugin, type OperationLimits } from './limits/operation-limits.js';
import { createRateLimitCharge, rateLimitHeadersPlugin } from './limits/rate-limit-plugin.js';
import type { RateLimiter } from './limits/rate-limit.js';
import { requestLogPlugin } from './limits/request-log.js';
import { SubscriptionEngine } from './subscriptions/engine.js';
import { refuseHttpSubscriptions } from './subscriptions/http-refusal.js';
import { SubscriptionServer } from './subscriptions/server.js';
import type { SubgraphName, SubgraphResult, SubgraphTransport } from './transport.js';
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

  private async fetch(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const request = options.request as GraphQLRequest;
    const context = options.context as Partial<GatewayContext>;
    if (!context.caller) {
      return {
        errors: [
          { message: 'Missing gateway context', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ],
      } as any;
    }
    const read =
      'incomingRequestContext' in options &&
      options.incomingRequestContext.operation?.operation === 'query';
    if (!this.dedupe || !read || !context.identityKey) {
      return (await this.transport.execute(this.name, request, context.caller)) as any;
    }
    const key = `${context.identityKey}\n${request.operationName ?? ''}\n${request.query}\n${JSON.stringify(request.variables ?? {})}`;
    let flight = this.inflight.get(key);
    if (flight) {
      flight.callers++;
      this.shared++;
    } else {
      const call = this.transport.execute(this.name, request, context.caller);
      const f: Flight = {
        callers: 1,
        // Leaves the map before any caller resumes: later calls start afresh.
        result: call.finally(() => this.inflight.delete(key)),
      };
      flight = f;
      this.inflight.set(key, f);
    }
    const result = await flight.result;
    return (flight.callers > 1 ? structuredClone(result) : result) as any;
  }
}

export interface GatewayOptions {
  transport: SubgraphTransport;
  limits: OperationLimits;
  maxTokens: number;
  rateLimiter: RateLimiter;
  rateLimitCostPerMinute: number;
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
  /** Origins whose browsers may call the API (CORS_ORIGINS; `*` for any). */
  corsOrigins?: readonly string[];
  /** Serve /metrics (METRICS). */
  metrics?: boolean;
  /** HTTP handlers of other parts of the server, run after the gateway's own (e.g. /api/*). */
  extraHandlers?: HttpHandler[];
}

/** The public edge: authentication, internal tokens, and query planning over the subgraphs. */
export class Gateway {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly auth: Authenticator;
  /** Live events to subscriptions (one bus reader for every WebSocket server of this gateway). */
  readonly subscriptions: SubscriptionEngine;
  private apiSchema: GraphQLSchema | null = null;
  private readonly socketServers: SubscriptionServer[] = [];
  private readonly dataSources: TransportDataSource[] = [];
  private constructor(private readonly opts: GatewayOptions) {
    process.env.APOLLO_TELEMETRY_DISABLED = 'true';
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
    this.apollo = new ApolloServer<GatewayContext>({
      gateway,
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection: opts.introspection,
      hideSchemaDetailsFromClientErrors: opts.production,
      parseOptions: { maxTokens: opts.maxTokens },
      plugins: [
        // Browsers get Flowplane's own explorer (explorerHandler), never Apollo's hosted Sandbox.
        ApolloServerPluginLandingPageDisabled(),
        refuseHttpSubscriptions,
        requestIdPlugin,
        requestLogPlugin(opts.logRequests),
        operationLimitsPlugin(
          opts.limits,
          createRateLimitCharge(opts.rateLimiter, opts.rateLimitCostPerMinute),
        ),
        rateLimitHeadersPlugin,
        settleAfterMutation(opts.bus),
      ],
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
   * address and user agent travel in it to the audit log.
   */
  async context(
    credential: string | undefined,
    client: ClientInfo = { ip: null, userAgent: null },
  ): Promise<GatewayContext> {
    const identity = await this.auth.authenticate(credential);
    const { principal, grants } = identity;
    const caller = this.opts.tokens.caller({ principal, grants, client });
    annotateLogScope({ requestId: caller.claims.requestId });
    return gatewayContext(identity, caller, client.ip);
  }

  /** Subgraph fetches that shared a call already in flight, so far (all subgraphs). */
  get sharedFetches(): number {
    return this.dataSources.reduce((n, s) => n + s.shared, 0);
  }

  httpServer(): Server {
    const server = createHttpServer<GatewayContext>({
      apollo: this.apollo,
      context: (req) => this.context(bearer(req), clientInfo(req, this.opts.trustProxy ?? false)),
      handlers: this.httpHandlers(),
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
        rateLimiter: this.opts.rateLimiter,
        rateLimitCostPerMinute: this.opts.rateLimitCostPerMinute,
        clientOf: (req) => clientInfo(req, this.opts.trustProxy ?? false),
        logRequests: this.opts.logRequests,
      }),
    );
    return server;
  }

  /**
   * The public server's routes, in order, before GraphQL itself: CORS first (it answers
   * preflights and marks every response to an allowed origin), then the pages and endpoints.
   * Other route groups (REST, SSO, SCIM) join through `extraHandlers`.
   */
  private httpHandlers(): HttpHandler[] {
    return [
      corsHandler(this.opts.corsOrigins ?? []),
      explorerHandler(),
      dashboardHandler(),
      metricsHandler(this.opts.metrics ?? true),
      route('/health', (_req, res) => sendJson(res, 200, { status: 'ok' })),
      route('/ready', async (_req, res) => {
        const subgraphs = await this.opts.transport.ready();
        const ok = Object.values(subgraphs).every(Boolean);
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', subgraphs });
      }),
      ...(this.opts.extraHandlers ?? []),
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
    openSubscriptions.delete(this.subscriptions);
    this.auth.close();
    await this.apollo.stop();
    await this.opts.rateLimiter.close();
    this.opts.transport.close?.();
  }
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

/** After a mutation, wait until its domain events reached this gateway (cache invalidation). */
function settleAfterMutation(bus: Bus) {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(rc: GraphQLRequestContext<GatewayContext>) {
          if (rc.operation?.operation === 'mutation') await bus.settle(1000).catch(() => undefined);
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
