import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequest } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLError, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { buildSchema, createResolversMap } from 'type-graphql';
import { abilityFor, type AppAbility } from './ability.js';
import { actorOf, runAsActor } from './actor.js';
import { BackgroundRunner, type BackgroundService } from './background.js';
import { BUS_POSITION_HEADER, type Bus } from './bus.js';
import { denialOf, formatError, unauthenticated, type Denial } from './errors.js';
import { bearer, createHttpServer, route, sendJson } from './http.js';
import { inputEdgesPlugin } from './input-edges.js';
import { answerMediaType, SubgraphExecutor, type ErrorsHook } from './subgraph-executor.js';
import { metricsHandler, watchPool } from './metrics.js';
import { isMilestone, MemoryWindowCounter, type WindowCounter } from './window-counter.js';
import type { InternalClaims, InternalTokens } from './internal-token.js';
import {
  compose,
  type BaseContext,
  type SubgraphDefinition,
  type SubgraphName,
  type SubgraphRuntime,
} from './module.js';
import {
  createOrm,
  isReachable,
  type DatabaseConfig,
  type Em,
  type Orm,
  type QueryCounter,
} from './orm.js';
import {
  BACKGROUND_LABEL,
  consumeEvents,
  OUTBOX_ENTITIES,
  OutboxRelay,
  publishingAfter,
  recordEvent,
} from './outbox.js';
import { outboxHousekeeping, type HousekeepingSettings } from './outbox-housekeeping.js';
import { plainFirst } from './plain-sql.js';
import { annotateLogScope, errorField, log } from './log.js';

export type { BaseContext, SubgraphDefinition, SubgraphRuntime } from './module.js';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible", "@external", "@requires", "@provides"])';

export interface SubgraphRuntimeOptions {
  database: DatabaseConfig;
  bus: Bus;
  tokens: InternalTokens;
  queryCounter?: QueryCounter;
  /** Start the outbox relay and event consumers (default true; tests of crashes turn it off). */
  runRelay?: boolean;
  relayPollMs?: number;
  /** Run background services on their intervals (default true; tests drive `runOnce` instead). */
  runServices?: boolean;
  /** How long published outbox rows and handled marks are kept (lib/outbox-housekeeping.ts). */
  housekeeping?: HousekeepingSettings;
  /** Extra settings a subgraph reads (e.g. session lifetime). */
  settings?: Record<string, unknown>;
  /**
   * Counters shared by the instances (Redis when REDIS_URL is set): the bounded audit of refused
   * requests, the sign-in throttle. In memory by default; whoever passes one closes it.
   */
  counters?: WindowCounter;
  /** Refused requests are audited per caller, kind and window of this length (default 15 min). */
  refusalWindowMs?: number;
}

/** Past this many refusals in a window, a caller's refusals of new kinds are audited in bulk. */
const REFUSAL_KINDS_PER_CALLER = 100;

/**
 * Subscriptions are served by the gateway (graphql-ws), never by a subgraph: the `subscribe` of
 * every subscription field a subgraph declares (so the supergraph and codegen know it).
 */
export function servedByTheGateway(): never {
  throw new GraphQLError(
    'Subscriptions are served by the gateway over graphql-ws on /graphql, not by a subgraph',
    { extensions: { code: 'BAD_USER_INPUT', field: 'operation' } },
  );
}

/**
 * type-graphql wants a PubSub as soon as a schema declares a subscription; subgraphs only declare
 * them, so this one refuses every use.
 */
const gatewayOnlyPubSub = { publish: servedByTheGateway, subscribe: servedByTheGateway };

/** Builds the type-graphql schema of a subgraph's modules as a federation subgraph schema. */
export async function buildFederatedSchema(
  def: SubgraphDefinition,
): Promise<{ schema: GraphQLSchema; sdl: string }> {
  const tg = await buildSchema({
    resolvers: compose.resolvers(def),
    orphanedTypes: compose.orphanedTypes(def),
    skipCheck: true,
    validate: false,
    emitSchemaFile: false,
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    pubSub: gatewayOnlyPubSub,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(tg)}`;
  const map = createResolversMap(tg) as Record<string, any>;
  for (const [type, ref] of Object.entries(compose.references(def))) {
    map[type] = { ...(map[type] ?? {}), ...ref };
  }
  map.JSON ??= GraphQLJSON;
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: map as any });
  return { schema, sdl };
}

/** One running subgraph: schema, ORM, relay, consumers, and its two entry points. */
export class Subgraph<C extends BaseContext = BaseContext> implements SubgraphRuntime<C> {
  readonly apollo: ApolloServer<C>;
  /** Runs the requests Apollo Server need not see (lib/subgraph-executor.ts). */
  readonly executor: SubgraphExecutor<C>;
  readonly relay: OutboxRelay;
  /** Shared counters (see SubgraphRuntimeOptions.counters). */
  readonly counters: WindowCounter;
  /** This subgraph's background services (tests call their `runOnce`). */
  services: BackgroundService[] = [];
  /** Builds request contexts (the modules' members and loaders around a base context). */
  readonly contextFor: (base: BaseContext) => C;
  private runner?: BackgroundRunner;
  private unwatchPool?: () => void;
  private constructor(
    readonly def: SubgraphDefinition<C>,
    readonly schema: GraphQLSchema,
    readonly orm: Orm,
    readonly opts: SubgraphRuntimeOptions,
  ) {
    const denialsAudit = auditOfDenials<C>((ctx, d) => this.recordDenials(ctx, d));
    this.apollo = new ApolloServer<C>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      plugins: [
        ApolloServerPluginInlineTraceDisabled(),
        // No cache hints are declared and answers are private: Apollo's default cache-control
        // plugin would wrap every field's resolver to compute a policy nobody reads.
        ApolloServerPluginCacheControlDisabled(),
        inputEdgesPlugin<C>(),
        auditDenials<C>(denialsAudit),
      ],
      csrfPrevention: false,
    });
    this.executor = new SubgraphExecutor<C>(schema, denialsAudit);
    this.relay = new OutboxRelay(
      orm,
      opts.bus,
      def.name,
      opts.relayPollMs ?? 1000,
      compose.outboxHints(def),
    );
    this.counters = opts.counters ?? new MemoryWindowCounter();
    this.contextFor = compose.context(def, this);
  }

  get name(): SubgraphName {
    return this.def.name;
  }

  /** Publishes what the outbox holds now; a failure is logged (the relay's timer retries). */
  publish(): Promise<void> {
    return this.relay.publish();
  }

  static async start<C extends BaseContext>(
    def: SubgraphDefinition<C>,
    opts: SubgraphRuntimeOptions,
  ): Promise<Subgraph<C>> {
    const orm = await createOrm({
      name: def.name,
      entities: [...compose.entities(def), ...OUTBOX_ENTITIES],
      migrations: def.migrations,
      database: opts.database,
      queryCounter: opts.queryCounter,
    });
    const { schema } = await buildFederatedSchema(def);
    const sub = new Subgraph(def, schema, orm, opts);
    sub.unwatchPool = watchPool(def.name, orm);
    sub.services = [...compose.jobs(def, sub), outboxHousekeeping(orm, opts.housekeeping)];
    await sub.apollo.start();
    if (opts.runRelay !== false) {
      // Not awaited: a relay publishing into a consumer that waits on the same relay would deadlock.
      const kick = () => void sub.publish();
      consumeEvents(orm, opts.bus, def.name, compose.consumers(def, sub), kick);
      for (const [group, handlers] of Object.entries(compose.consumerGroups(def, sub)))
        consumeEvents(orm, opts.bus, `${def.name}.${group}`, handlers, kick);
    }
    return sub;
  }

  /**
   * Starts publishing the outbox. Called once every consumer sharing the bus has subscribed
   * (the in-process bus delivers only to current subscribers).
   */
  async startRelay(): Promise<void> {
    if (this.opts.runRelay === false) return;
    this.relay.start();
    await this.publish();
    if (this.opts.runServices !== false && this.services.length) {
      this.runner = new BackgroundRunner(this.services, this.name);
      this.runner.start();
    }
  }

  /**
   * Records refused requests (FORBIDDEN from `authorize`, and the NOT_FOUND a non-member gets for
   * another tenant's object) as `request.denied` events, in a transaction of their own: the
   * refused operation's transaction rolled back. Bounded: per caller, kind of refusal and window,
   * the 1st, 10th, 100th … refusal is recorded with the count so far; past
   * REFUSAL_KINDS_PER_CALLER refusals in the window, a new kind only at such a count of the
   * caller's refusals. A flood therefore writes a few entries, each saying how many it stands for.
   */
  private async recordDenials(ctx: BaseContext, denials: Denial[]): Promise<void> {
    const windowMs = this.opts.refusalWindowMs ?? 15 * 60_000;
    const who =
      ctx.principal.type === 'anonymous'
        ? `ip:${ctx.client.ip ?? 'unknown'}`
        : `${ctx.principal.type}:${ctx.principal.id}`;
    const recorded: Record<string, unknown>[] = [];
    const all = await this.counters.add(`refusals:${who}`, windowMs, denials.length);
    for (const d of denials) {
      const scope = d.workspaceId ?? d.accountId;
      if (!scope) continue;
      const kind = `${d.reason}:${scope}:${d.subject}:${d.action}`;
      const c = await this.counters.add(`refusal:${who}:${kind}`, windowMs);
      if (!isMilestone(c.count)) continue;
      if (c.count === 1 && all.count > REFUSAL_KINDS_PER_CALLER && !isMilestone(all.count))
        continue;
      recorded.push({
        ...d,
        count: c.count,
        callerRefusals: all.count,
        windowStart: new Date(c.windowStart).toISOString(),
        windowSeconds: Math.round(windowMs / 1000),
      });
    }
    if (!recorded.length) return;
    const actor = actorOf(ctx.principal, ctx.client, ctx.requestId);
    await runAsActor(actor, () =>
      this.orm.em.fork({ loggerContext: { label: BACKGROUND_LABEL } }).transactional(async (em) => {
        for (const d of recorded) recordEvent(em, 'request.denied', d);
      }),
    );
    await this.publish();
  }

  /** Verifies the internal token and builds the request context (UNAUTHENTICATED otherwise). */
  async createContext(token: string | undefined): Promise<C> {
    const claims = this.opts.tokens.verify(token);
    if (!claims) throw unauthenticated('A valid internal token is required');
    annotateLogScope({ requestId: claims.requestId });
    return this.contextOfClaims(claims);
  }

  /** The request context of verified claims (or of an in-process gateway's own). */
  private async contextOfClaims(claims: InternalClaims): Promise<C> {
    // The gateway's own lookups (credentials, grants) are labelled in the query log, apart
    // from the queries a client's operation costs.
    const em = this.orm.em.fork(
      claims.principal.type === 'system' ? { loggerContext: { label: 'internal' } } : {},
    ) as Em;
    let ability: AppAbility | undefined;
    const base: BaseContext = {
      principal: claims.principal,
      grants: claims.grants,
      requestId: claims.requestId,
      client: claims.client,
      // Made on first use: a request that checks no permission (a reference's handle, say)
      // never looks its grants up.
      get ability() {
        return (ability ??= abilityFor(claims.principal, claims.grants));
      },
      // A request that changes its caller's grants mid-way (an accepted invitation) replaces it.
      set ability(value) {
        ability = value;
      },
      em,
      transaction: (fn) => this.asActor(claims, () => em.transactional(fn)),
      autocommit: (fn) => this.asActor(claims, () => fn(em)),
      plainTransaction: (fn) => this.asActor(claims, () => plainFirst(em, fn)),
    };
    return this.contextFor(base);
  }

  /** Runs a request's writes under its actor, then publishes the events they recorded. */
  private asActor<T>(claims: InternalClaims, fn: () => Promise<T>): Promise<T> {
    const actor = actorOf(claims.principal, claims.client, claims.requestId);
    return publishingAfter(
      () => runAsActor(actor, fn),
      () => this.publish(),
    );
  }

  /** `Bus.position` of this subgraph's bus: undefined on the in-process bus. */
  busPosition(): string | undefined {
    return this.opts.bus.position();
  }

  /**
   * The in-process entry point used by the embedded gateway (no HTTP hop): the gateway in this
   * process hands over its claims directly, nothing to sign or verify.
   */
  async executeAs(
    request: GraphQLRequest,
    claims: InternalClaims,
  ): Promise<{ data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] }> {
    const answer = await this.executor.run(request, () => this.contextOfClaims(claims));
    if (answer) return answer.result;
    let contextValue: C;
    try {
      contextValue = await this.contextOfClaims(claims);
    } catch (err) {
      if (err instanceof GraphQLError) return { errors: [formatError(err.toJSON(), err)] };
      throw err;
    }
    const res = await this.apollo.executeOperation(request, { contextValue });
    if (res.body.kind !== 'single')
      throw new Error('Incremental delivery is not supported in-process');
    return res.body.singleResult as {
      data?: Record<string, unknown> | null;
      errors?: GraphQLFormattedError[];
    };
  }

  /** The HTTP entry point for the distributed mode: `/graphql`, `/health`, `/ready`. */
  httpServer(): Server {
    return createHttpServer<C>({
      apollo: this.apollo,
      context: (req) => this.createContext(bearer(req)),
      direct: async (body, req, context) => {
        const contentType = answerMediaType(req.headers.accept);
        if (!contentType) return undefined;
        const answer = await this.executor.run(body, context);
        if (!answer) return undefined;
        const { errors, data } = answer.result;
        // Apollo Server's field order and trailing newline.
        return {
          status: answer.status,
          headers: new Map([['content-type', contentType]]),
          body: `${JSON.stringify({ errors, data })}\n`,
        };
      },
      // Where this process's events have got to in the bus, once the request has published its
      // own: the gateway's reader passes it before a mutation's answer goes out.
      answerHeaders: (): Record<string, string> => {
        const position = this.busPosition();
        return position === undefined ? {} : { [BUS_POSITION_HEADER]: position };
      },
      handlers: [
        metricsHandler(true),
        route('/health', (_req, res) => sendJson(res, 200, { status: 'ok', service: this.name })),
        route('/ready', async (_req, res) => {
          const ok = await this.ready();
          sendJson(res, ok ? 200 : 503, {
            status: ok ? 'ready' : 'unavailable',
            service: this.name,
          });
        }),
      ],
    });
  }

  ready(): Promise<boolean> {
    return isReachable(this.orm);
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    // Publish what the last requests wrote before the relay stops.
    await this.publish();
    await this.relay.stop();
    await this.apollo.stop();
    this.unwatchPool?.();
    await this.orm.close(true);
  }
}

/**
 * Sees the FORBIDDEN errors `authorize` raised (their scope travels off the wire, see
 * `denialOf`) and has them recorded once per request and kind, before the response leaves.
 */
function auditDenials<C extends BaseContext>(audit: ErrorsHook<C>): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        didEncounterErrors: (rc) => audit(rc.contextValue, rc.errors),
      };
    },
  };
}

/** What both pipelines do with a request's errors: its denials recorded, once per kind. */
function auditOfDenials<C extends BaseContext>(
  record: (ctx: C, denials: Denial[]) => Promise<void>,
): ErrorsHook<C> {
  return async (ctx, errors) => {
    const seen = new Map<string, Denial>();
    for (const err of errors) {
      const d = denialOf(err);
      if (d) seen.set(JSON.stringify(d), d);
    }
    if (!seen.size || ctx.principal.type === 'system') return;
    await record(ctx, [...seen.values()]).catch((err) =>
      log.error({ error: errorField(err) }, 'denial audit failed'),
    );
  };
}
