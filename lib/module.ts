/**
 * How a subgraph is declared: domain modules, each one manifest of what it contributes
 * (`defineModule`), listed in layer order by the subgraph (`defineSubgraph`). `lib/subgraph.ts`
 * runs the composition; `scripts/layers.ts` checks the imports against the same manifests.
 */
import type { Constructor } from '@mikro-orm/core';
import type { NonEmptyArray } from 'type-graphql';
import type { AppAbility } from './ability.js';
import type { ClientInfo } from './actor.js';
import type { BackgroundService } from './background.js';
import { combineConsumers, type ConsumerHandler, type OutboxHints } from './outbox.js';
import type { Em, Orm, SubgraphMigrations } from './orm.js';
import type { Grants, Principal } from './principal.js';
import type { WindowCounter } from './window-counter.js';

export type SubgraphName = 'users' | 'workspaces' | 'access' | 'operations';

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
  /**
   * Runs `fn` with this request's actor as `transaction` does, but outside a transaction: for
   * work that is one statement, atomic by itself, where BEGIN and COMMIT would cost a round trip
   * and a transaction's bookkeeping for nothing. Then publishes the events it recorded. Where
   * the context lives inside a transaction already (automation actions), `fn` runs in it.
   */
  autocommit<T>(fn: (em: Em) => Promise<T>): Promise<T>;
  /**
   * `transaction` for the hottest writes, whose bodies are plain statements (lib/plain-sql) in
   * their usual branches: the body runs in a plain transaction (none of MikroORM's transaction
   * machinery) and, when a rarer branch needs the ORM's transaction, again from the start in one
   * (`plainFirst`). Until its first ORM call the body's effects must go through its transaction
   * (statements, entities on its entity manager), as a transaction body's do anyway.
   */
  plainTransaction<T>(fn: (em: Em) => Promise<T>): Promise<T>;
}

/** What a module's consumers, jobs and provided members get of the running subgraph. */
export interface SubgraphRuntime<C extends BaseContext = BaseContext> {
  readonly name: SubgraphName;
  readonly orm: Orm;
  /** The subgraph's settings (server/services.ts builds them from the environment). */
  readonly opts: { readonly settings?: Record<string, unknown> };
  /** Counters the instances share (Redis when configured): throttles, bounded audits. */
  readonly counters: WindowCounter;
  /** Publishes what the outbox holds (after background work committed); failures are logged. */
  publish(): Promise<void>;
  /** The full request context around `base` (automations act inside a consumer's transaction). */
  contextFor(base: BaseContext): C;
}

export type ConsumerMap = Record<string, ConsumerHandler>;
export type ReferenceResolver<C> = (ref: { id: string }, ctx: C) => unknown;

/**
 * One domain's contribution to its subgraph. Everything is optional but the name and layer; the
 * subgraph composes the manifests in the order it lists them.
 */
export interface ModuleDefinition<C extends BaseContext = any> {
  /** Kebab-case, unique in the subgraph (usually the folder's name). */
  name: string;
  /** One of the subgraph's layers: the module imports only modules of its own or lower layers. */
  layer: string;
  resolvers?: Function[];
  /** Types no root field reaches (entity stubs the module extends, e.g. `Workspace`). */
  orphanedTypes?: Function[];
  entities?: Constructor[];
  /** Members of every request context, built once when the subgraph starts (keys, services). */
  provides?(sub: SubgraphRuntime<C>): object;
  /** Per-request loaders; `ctx` is the context being built (loaders may read it when they run). */
  loaders?(ctx: C): object;
  /** Federation reference resolvers by type name (through a loader, never one query each). */
  references?: Record<string, ReferenceResolver<C>>;
  /** Bus consumers of the subgraph's main group; a type handled by several modules is chained. */
  consumers?: ConsumerMap | ((sub: SubgraphRuntime<C>) => ConsumerMap);
  /** Consumer groups of their own (`<subgraph>.<group>`): slow work that must not hold others. */
  consumerGroups?(sub: SubgraphRuntime<C>): Record<string, ConsumerMap>;
  /** Background services, started after the relay and stopped with the subgraph. */
  jobs?(sub: SubgraphRuntime<C>): BackgroundService[];
  /**
   * What the module's consumers read about an event before anything else, read by the relay in
   * the statement that takes the event from the outbox (lib/outbox `OutboxHints`, PostgreSQL):
   * the consumers find it in `DomainEvent.hints`, a round trip less per delivery.
   */
  outboxHints?: OutboxHints;
  /**
   * Entities with a `workspaceId` that outlive their workspace (only in a subgraph that sweeps
   * deleted workspaces, see `SubgraphDefinition.sweepDeletedWorkspaces`).
   */
  keepOnWorkspaceDeletion?: Constructor[];
}

/** How a subgraph is put together: its modules in layer order. `lib` runs it in every mode. */
export interface SubgraphDefinition<C extends BaseContext = any> {
  name: SubgraphName;
  /** Lowest first; a module imports only modules of its own or a lower layer. Default: core. */
  layers?: readonly string[];
  modules: ModuleDefinition<C>[];
  migrations: SubgraphMigrations;
  /**
   * On `workspace.deleted`, after the modules' own consumers of it: delete every row of every
   * module entity that has a `workspaceId` (but the `keepOnWorkspaceDeletion` ones). Entities
   * without the column (children of a workspace's rows) need a module consumer of their own.
   */
  sweepDeletedWorkspaces?: boolean;
}

/** Declares a module (the identity function, typed; `scripts/layers.ts` reads it statically). */
export function defineModule<C extends BaseContext = any>(
  module: ModuleDefinition<C>,
): ModuleDefinition<C> {
  return module;
}

/** Declares a subgraph and checks what can be checked before it runs. */
export function defineSubgraph<C extends BaseContext>(
  def: SubgraphDefinition<C>,
): SubgraphDefinition<C> {
  const layers = def.layers ?? ['core'];
  const names = new Set<string>();
  const references = new Set<string>();
  let rank = 0;
  for (const m of def.modules) {
    const where = `${def.name} module ${m.name}`;
    if (names.has(m.name)) throw new Error(`${where}: the name is taken`);
    names.add(m.name);
    const r = layers.indexOf(m.layer);
    if (r < 0) throw new Error(`${where}: layer ${m.layer} is not one of ${layers.join(', ')}`);
    if (r < rank) throw new Error(`${where}: listed after a module of a higher layer`);
    rank = r;
    for (const type of Object.keys(m.references ?? {})) {
      if (references.has(type)) throw new Error(`${where}: another module resolves ${type}`);
      references.add(type);
    }
  }
  if (!def.modules.some((m) => m.resolvers?.length))
    throw new Error(`${def.name}: no module has a resolver`);
  return def;
}

export type ContextOf<D> = D extends SubgraphDefinition<infer C> ? C : never;

/** The composition of a definition's modules (what the running subgraph needs of them). */
export const compose = {
  resolvers(def: SubgraphDefinition): NonEmptyArray<Function> {
    return def.modules.flatMap((m) => m.resolvers ?? []) as NonEmptyArray<Function>;
  },

  orphanedTypes(def: SubgraphDefinition): Function[] {
    return def.modules.flatMap((m) => m.orphanedTypes ?? []);
  },

  entities(def: SubgraphDefinition): Constructor[] {
    return def.modules.flatMap((m) => m.entities ?? []);
  },

  references<C>(
    def: SubgraphDefinition<any>,
  ): Record<string, { __resolveReference: ReferenceResolver<C> }> {
    const out: Record<string, { __resolveReference: ReferenceResolver<C> }> = {};
    for (const m of def.modules)
      for (const [type, resolve] of Object.entries(m.references ?? {}))
        out[type] = { __resolveReference: resolve };
    return out;
  },

  /** The main group's consumers: same-type handlers chained in module order, then the sweep. */
  consumers<C extends BaseContext>(
    def: SubgraphDefinition<C>,
    sub: SubgraphRuntime<C>,
  ): ConsumerMap {
    const maps = def.modules.map((m) =>
      typeof m.consumers === 'function' ? m.consumers(sub) : (m.consumers ?? {}),
    );
    if (def.sweepDeletedWorkspaces) maps.push(workspaceSweep(def, sub.orm));
    return combineConsumers(...maps);
  },

  consumerGroups<C extends BaseContext>(
    def: SubgraphDefinition<C>,
    sub: SubgraphRuntime<C>,
  ): Record<string, ConsumerMap> {
    const groups: Record<string, ConsumerMap[]> = {};
    for (const m of def.modules)
      for (const [group, handlers] of Object.entries(m.consumerGroups?.(sub) ?? {}))
        (groups[group] ??= []).push(handlers);
    return Object.fromEntries(
      Object.entries(groups).map(([group, maps]) => [group, combineConsumers(...maps)]),
    );
  },

  /** The modules' outbox hints (a name given twice is an error). */
  outboxHints(def: SubgraphDefinition): OutboxHints {
    const out: OutboxHints = {};
    for (const m of def.modules)
      for (const [name, sql] of Object.entries(m.outboxHints ?? {})) {
        if (name in out)
          throw new Error(`${def.name} module ${m.name}: outbox hint ${name} is taken`);
        out[name] = sql;
      }
    return out;
  },

  jobs<C extends BaseContext>(
    def: SubgraphDefinition<C>,
    sub: SubgraphRuntime<C>,
  ): BackgroundService[] {
    return def.modules.flatMap((m) => m.jobs?.(sub) ?? []);
  },

  /**
   * A function building request contexts (`ctx.loaders` holds every module's loaders): the
   * modules' provided members are built here, once;
   * loaders per context. Two modules contributing one member name is an error, not an override.
   */
  context<C extends BaseContext>(
    def: SubgraphDefinition<C>,
    sub: SubgraphRuntime<C>,
  ): (base: BaseContext) => C {
    const provided: Record<string, unknown> = {};
    for (const m of def.modules) {
      const members = m.provides?.(sub) ?? {};
      for (const key of Object.keys(members))
        if (key in provided || key === 'loaders')
          throw new Error(`${def.name} module ${m.name}: context member ${key} is taken`);
      Object.defineProperties(provided, Object.getOwnPropertyDescriptors(members));
    }
    const withLoaders = def.modules.filter((m) => m.loaders);
    // Loaders are made when a request first asks for one of its module's (most requests use a
    // few of a subgraph's dozens): `ctx.loaders` inherits a getter per loader name from
    // `lazy`, which builds that module's loaders onto the request's own object. The names come
    // from the first context, built in full (and checked for clashes).
    let lazy: object | null = null;
    // The provided members are the prototype of every request's context, not copied onto each:
    // a copy defined dozens of properties per request (1.9 % of a single event's CPU) and left
    // the context an object in dictionary mode. Accessors still see the request's context.
    return (base) => {
      const ctx = Object.create(provided) as Record<string, unknown>;
      Object.defineProperties(ctx, Object.getOwnPropertyDescriptors(base));
      if (lazy) {
        const loaders = Object.create(lazy) as Record<string | symbol, unknown>;
        loaders[CONTEXT] = ctx;
        ctx.loaders = loaders;
        return ctx as unknown as C;
      }
      // (A member of the base would hide a provided one of the same name.)
      for (const key of Object.keys(base))
        if (key in provided) throw new Error(`${def.name}: context member ${key} is taken`);
      const loaders: Record<string, unknown> = {};
      ctx.loaders = loaders;
      const proto: Record<string, unknown> = {};
      for (const m of withLoaders) {
        const own = m.loaders!(ctx as unknown as C);
        for (const key of Object.keys(own)) {
          if (key in loaders)
            throw new Error(`${def.name} module ${m.name}: loader ${key} is taken`);
          Object.defineProperty(proto, key, lazyLoader(key, m.loaders!));
        }
        Object.assign(loaders, own);
      }
      lazy = proto;
      return ctx as unknown as C;
    };
  },
};

/** The request context a lazy `ctx.loaders` object belongs to. */
const CONTEXT = Symbol('context');

/**
 * The accessor of one loader name on the prototype of requests' `ctx.loaders`: reading it
 * builds its module's loaders as the request's own properties (so each is made once per
 * request, and only when used); assigning it (a loader rebuilt mid-request) sets the own one.
 */
function lazyLoader<C>(key: string, build: (ctx: C) => object): PropertyDescriptor {
  const own = (target: Record<string, unknown>, name: string, value: unknown) =>
    Object.defineProperty(target, name, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  return {
    configurable: true,
    enumerable: true,
    get(this: Record<string | symbol, unknown>) {
      const built = build(this[CONTEXT] as C);
      for (const [name, loader] of Object.entries(built))
        if (!Object.prototype.hasOwnProperty.call(this, name)) own(this, name, loader);
      return this[key];
    },
    set(this: Record<string, unknown>, value: unknown) {
      own(this, key, value);
    },
  };
}

/**
 * `workspace.deleted` for every module entity with a `workspaceId` column: one DELETE each,
 * idempotent (a redelivery deletes nothing more).
 */
function workspaceSweep(def: SubgraphDefinition, orm: Orm): ConsumerMap {
  const keep = new Set(def.modules.flatMap((m) => m.keepOnWorkspaceDeletion ?? []));
  const metadata = orm.getMetadata();
  const swept = compose
    .entities(def)
    .filter((e) => !keep.has(e) && metadata.find(e.name)?.properties.workspaceId);
  return {
    'workspace.deleted': async (p: { workspaceId: string }, em) => {
      for (const entity of swept) await em.nativeDelete(entity, { workspaceId: p.workspaceId });
    },
  };
}
