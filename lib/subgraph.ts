import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequest } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLError, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import type { Constructor } from '@mikro-orm/core';
import { abilityFor, type AppAbility } from './ability.js';
import { actorOf, runAsActor, type ClientInfo } from './actor.js';
import { BackgroundRunner, type BackgroundService } from './background.js';
import type { Bus } from './bus.js';
import { denialOf, formatError, unauthenticated, type Denial } from './errors.js';
import { bearer, createHttpServer, route, sendJson } from './http.js';
import { inputEdgesPlugin } from './input-edges.js';
import { metricsHandler, watchPool } from './metrics.js';
import { isMilestone, MemoryWindowCounter, type WindowCounter } from './window-counter.js';
import type { InternalClaims, InternalTokens } from './internal-token.js';
import {
  createOrm,
  isReachable,
  type DatabaseConfig,
  type Em,
  type Orm,
  type QueryCounter,
  type SubgraphMigrations,
} from './orm.js';
import {
  BACKGROUND_LABEL,
  consumeEvents,
  OUTBOX_ENTITIES,
  OutboxRelay,
  recordEvent,
  type ConsumerHandler,
} from './outbox.js';
import type { Grants, Principal } from './principal.js';
import { annotateLogScope, errorField, log } from './log.js';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible", "@external", "@requires", "@provides"])';

/** What every resolver and service of a subgraph receives for one request. */
export interface BaseContext {
  principal: Principal;
  grants: Grants;
  requestId: string;
  /** The client's IP address and user agent, as forwarded by the gateway. */
  client: ClientInfo;
  ability: AppAbility;
  /** A request-scoped entity manager (identity map per request). */
  em: Em;
  /**
   * Runs `fn` in one transaction, then publishes the events it recorded. Events recorded inside
   * carry this request's actor (principal, key, session, IP, user agent, request id).
   */
  transaction<T>(fn: (em: Em) => Promise<T>): Promise<T>;
}

export type ReferenceResolvers = Record<
  string,
  { __resolveReference: (ref: any, ctx: any) => unknown }
>;

/** How a subgraph is put together; `lib` runs it the same way in every mode. */
export interface SubgraphDefinition<C extends BaseContext> {
  name: 'users' | 'workspaces' | 'access' | 'operations';
  resolvers: NonEmptyArray<Function>;
  orphanedTypes?: Function[];
  referenceResolvers?: (sub: Subgraph<C>) => ReferenceResolvers;
  entities: Constructor[];
  migrations: SubgraphMigrations;
  /** Adds subgraph-specific members (loaders, services) to the base context. */
  extendContext(base: BaseContext, sub: Subgraph<C>): C;
  /** Idempotent domain-event consumers of this subgraph. */
  consumers?: (sub: Subgraph<C>) => Record<string, ConsumerHandler>;
  /**
   * Further consumer groups (`<subgraph>.<group>`), each with its own handled-event ids and
   * delivery, so that one slow or failing group does not hold back the others.
   */
  consumerGroups?: (sub: Subgraph<C>) => Record<string, Record<string, ConsumerHandler>>;
  /** Background services, started after the relay and stopped with the subgraph. */
  services?: (sub: Subgraph<C>) => BackgroundService[];
}

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

/** Builds the type-graphql schema and turns it into a federation subgraph schema. */
export async function buildFederatedSchema(
  resolvers: NonEmptyArray<Function>,
  orphanedTypes: Function[] | undefined,
  referenceResolvers: ReferenceResolvers = {},
): Promise<{ schema: GraphQLSchema; sdl: string }> {
  const tg = await buildSchema({
    resolvers,
    orphanedTypes,
    skipCheck: true,
    validate: false,
    emitSchemaFile: false,
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    pubSub: gatewayOnlyPubSub,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(tg)}`;
  const map = createResolversMap(tg) as Record<string, any>;
  for (const [type, ref] of Object.entries(referenceResolvers)) {
    map[type] = { ...(map[type] ?? {}), ...ref };
  }
  map.JSON ??= GraphQLJSON;
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: map as any });
  return { schema, sdl };
}

/** One running subgraph: schema, ORM, relay, consumers, and its two entry points. */
export class Subgraph<C extends BaseContext = BaseContext> {
  readonly apollo: ApolloServer<C>;
  readonly relay: OutboxRelay;
  /** Shared counters (see SubgraphRuntimeOptions.counters). */
  readonly counters: WindowCounter;
  /** This subgraph's background services (tests call their `runOnce`). */
  services: BackgroundService[] = [];
  private runner?: BackgroundRunner;
  private unwatchPool?: () => void;
  private constructor(
    readonly def: SubgraphDefinition<C>,
    readonly schema: GraphQLSchema,
    readonly orm: Orm,
    readonly opts: SubgraphRuntimeOptions,
  ) {
    this.apollo = new ApolloServer<C>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      plugins: [
        ApolloServerPluginInlineTraceDisabled(),
        inputEdgesPlugin<C>(),
        auditDenials<C>((ctx, d) => this.recordDenials(ctx, d)),
      ],
      csrfPrevention: false,
    });
    this.relay = new OutboxRelay(orm, opts.bus, def.name, opts.relayPollMs ?? 1000);
    this.counters = opts.counters ?? new MemoryWindowCounter();
  }

  get name(): string {
    return this.def.name;
  }

  static async start<C extends BaseContext>(
    def: SubgraphDefinition<C>,
    opts: SubgraphRuntimeOptions,
  ): Promise<Subgraph<C>> {
    const orm = await createOrm({
      name: def.name,
      entities: [...def.entities, ...OUTBOX_ENTITIES],
      migrations: def.migrations,
      database: opts.database,
      queryCounter: opts.queryCounter,
    });
    // Reference resolvers run per request, after start; they may reach the subgraph lazily.
    const holder: { sub?: Subgraph<C> } = {};
    const lazy = new Proxy({} as Subgraph<C>, { get: (_t, p) => (holder.sub as any)[p] });
    const refs = def.referenceResolvers ? def.referenceResolvers(lazy) : {};
    const { schema } = await buildFederatedSchema(def.resolvers, def.orphanedTypes, refs);
    const sub = new Subgraph(def, schema, orm, opts);
    holder.sub = sub;
    sub.unwatchPool = watchPool(def.name, orm);
    sub.services = def.services ? def.services(sub) : [];
    await sub.apollo.start();
    if (opts.runRelay !== false) {
      // Not awaited: a relay publishing into a consumer that waits on the same relay would deadlock.
      const kick = () => void sub.relay.flush().catch(() => undefined);
      if (def.consumers) consumeEvents(orm, opts.bus, def.name, def.consumers(sub), kick);
      for (const [group, handlers] of Object.entries(def.consumerGroups?.(sub) ?? {}))
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
    await this.relay.flush().catch(() => undefined);
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
    await this.relay.flush().catch(() => undefined);
  }

  /** Verifies the internal token and builds the request context (UNAUTHENTICATED otherwise). */
  async createContext(token: string | undefined): Promise<C> {
    const claims = this.opts.tokens.verify(token);
    if (!claims) throw unauthenticated('A valid internal token is required');
    annotateLogScope({ requestId: claims.requestId });
    return this.contextFor(claims);
  }

  /** The request context of verified claims (or of an in-process gateway's own). */
  private async contextFor(claims: InternalClaims): Promise<C> {
    // The gateway's own lookups (credentials, grants) are labelled in the query log, apart
    // from the queries a client's operation costs.
    const em = this.orm.em.fork(
      claims.principal.type === 'system' ? { loggerContext: { label: 'internal' } } : {},
    ) as Em;
    const base: BaseContext = {
      principal: claims.principal,
      grants: claims.grants,
      requestId: claims.requestId,
      client: claims.client,
      ability: abilityFor(claims.principal, claims.grants),
      em,
      transaction: async (fn) => {
        const actor = actorOf(claims.principal, claims.client, claims.requestId);
        const result = await runAsActor(actor, () => em.transactional(fn));
        await this.relay
          .flush()
          .catch((err) => log.error({ error: errorField(err) }, 'outbox flush failed'));
        return result;
      },
    };
    return this.def.extendContext(base, this);
  }

  /**
   * The in-process entry point used by the embedded gateway (no HTTP hop): the gateway in this
   * process hands over its claims directly, nothing to sign or verify.
   */
  async executeAs(
    request: GraphQLRequest,
    claims: InternalClaims,
  ): Promise<{ data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] }> {
    let contextValue: C;
    try {
      contextValue = await this.contextFor(claims);
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
    await this.relay.flush().catch(() => undefined);
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
function auditDenials<C extends BaseContext>(
  record: (ctx: C, denials: Denial[]) => Promise<void>,
): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors(rc) {
          const seen = new Map<string, Denial>();
          for (const err of rc.errors) {
            const d = denialOf(err);
            if (d) seen.set(JSON.stringify(d), d);
          }
          if (!seen.size || rc.contextValue.principal.type === 'system') return;
          await record(rc.contextValue, [...seen.values()]).catch((err) =>
            log.error({ error: errorField(err) }, 'denial audit failed'),
          );
        },
      };
    },
  };
}
