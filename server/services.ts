import 'reflect-metadata';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { InProcessBus, RedisBus, type Bus } from '../lib/bus.js';
import { blockEncryptionKey, ssoEncryptionKey, type Env } from '../lib/env.js';
import { lockDataFile, type DataLock } from '../lib/data-lock.js';
import { smtpMailer, type Mailer, type MailSettings } from '../lib/mail.js';
import { closeServer, listen } from '../lib/http.js';
import { InternalTokens } from '../lib/internal-token.js';
import type { DatabaseConfig, QueryCounter } from '../lib/orm.js';
import { Subgraph } from '../lib/subgraph.js';
import { Gateway } from '../gateway/src/gateway.js';
import { createRestLayer } from '../rest/index.js';
import {
  HttpTransport,
  InProcessTransport,
  SUBGRAPH_NAMES,
  type SubgraphName,
  type SubgraphTransport,
} from '../gateway/src/transport.js';
import { SUBGRAPHS } from './registry.js';
import { errorSummarySettings } from '../subgraphs/operations/src/error-summaries/settings.js';
import { Redis } from 'ioredis';
import { MemoryRateLimiter, RedisRateLimiter } from '../gateway/src/limits/rate-limit.js';
import {
  MemoryWindowCounter,
  RedisWindowCounter,
  type WindowCounter,
} from '../lib/window-counter.js';

export interface ServiceOverrides {
  /** Replace the database of every subgraph (tests: ":memory:" SQLite or a PG schema prefix). */
  database?: (name: SubgraphName) => DatabaseConfig;
  bus?: Bus;
  queryCounters?: Partial<Record<SubgraphName, QueryCounter>>;
  runRelay?: boolean;
  supergraphSdl?: string;
  /** Send mail through this instead of SMTP_URL's. */
  mailer?: Mailer;
  /** Embedded mode: wrap the gateway's in-process transport (tests watch or hold its calls). */
  wrapTransport?: (transport: SubgraphTransport) => SubgraphTransport;
}

export interface Running {
  port: number;
  server: Server;
  gateway?: Gateway;
  subgraphs: Partial<Record<SubgraphName, Subgraph<any>>>;
  bus: Bus;
  stop(): Promise<void>;
}

export function databaseFor(env: Env, name: SubgraphName): DatabaseConfig {
  if (env.DATABASE_URL) {
    return {
      kind: 'postgresql',
      url: env.DATABASE_URL,
      schema: `${env.DATABASE_SCHEMA_PREFIX}${name}`,
    };
  }
  return { kind: 'sqlite', path: join(env.DATA_DIR, `${name}.sqlite`) };
}

/** The counters of the sign-in throttle and the bounded audit: shared through Redis if set. */
export function createCounters(env: Env): WindowCounter {
  return env.REDIS_URL
    ? new RedisWindowCounter(env.REDIS_URL, env.REDIS_PREFIX)
    : new MemoryWindowCounter();
}

export function createBus(env: Env, role: string): Bus {
  if (!env.REDIS_URL) return new InProcessBus();
  return new RedisBus(
    env.REDIS_URL,
    env.REDIS_PREFIX,
    `${hostname()}-${process.pid}-${role}`,
    1000,
    { maxEntries: env.REDIS_STREAM_MAX_ENTRIES },
    { lingerMs: env.BUS_GROUP_LINGER_MS },
  );
}

/**
 * Takes the one-process lock of every embedded SQLite file these subgraphs use (none for
 * PostgreSQL or in-memory databases); throws DataDirInUse, holding nothing, when one is taken.
 */
export function lockDatabases(configs: DatabaseConfig[]): DataLock[] {
  const locks: DataLock[] = [];
  try {
    for (const c of configs)
      if (c.kind === 'sqlite' && c.path !== ':memory:') locks.push(lockDataFile(c.path));
  } catch (err) {
    for (const l of locks) l.release();
    throw err;
  }
  return locks;
}

function databaseOf(name: SubgraphName, env: Env, o: ServiceOverrides): DatabaseConfig {
  return o.database?.(name) ?? databaseFor(env, name);
}

function startSubgraph(
  name: SubgraphName,
  env: Env,
  bus: Bus,
  tokens: InternalTokens,
  o: ServiceOverrides,
  mode: 'embedded' | 'alone',
  counters: WindowCounter,
) {
  return Subgraph.start(SUBGRAPHS[name], {
    counters,
    refusalWindowMs: env.AUDIT_REFUSAL_WINDOW_SECONDS * 1000,
    database: databaseOf(name, env, o),
    bus,
    tokens,
    queryCounter: o.queryCounters?.[name],
    runRelay: o.runRelay,
    relayPollMs: env.OUTBOX_POLL_MS,
    housekeeping: {
      sentHours: env.OUTBOX_RETENTION_HOURS,
      handledDays: env.HANDLED_EVENT_RETENTION_DAYS,
    },
    runServices: env.BACKGROUND_SERVICES,
    settings: {
      sessionTtlHours: env.SESSION_TTL_HOURS,
      signIn: {
        windowMs: env.SIGN_IN_WINDOW_SECONDS * 1000,
        maxFailures: env.SIGN_IN_MAX_FAILURES,
        maxFailuresPerIp: env.SIGN_IN_MAX_FAILURES_PER_IP,
        lockAfterFailures: env.SIGN_IN_LOCK_AFTER_FAILURES,
        lockMs: env.SIGN_IN_LOCK_SECONDS * 1000,
      },
      ...(name === 'workspaces' ? { mail: mailSettings(env, o) } : {}),
      ...(name === 'operations'
        ? {
            blockEncryptionKey: blockEncryptionKey(env, mode),
            webhooks: {
              allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
              allowedHosts: env.WEBHOOK_ALLOWED_HOSTS,
              timeoutMs: env.WEBHOOK_TIMEOUT_MS,
              maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
              retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
            },
            errorSummaries: errorSummarySettings(env),
            push: {
              apiUrl: (env.PUSH_API_URL ?? `${env.publicUrl}/api`).replace(/\/+$/, ''),
              credentialTtlSeconds: env.PUSH_CREDENTIAL_TTL_SECONDS,
              credentialGraceSeconds: env.PUSH_CREDENTIAL_GRACE_SECONDS,
            },
          }
        : {}),
      ...(name === 'access'
        ? {
            sso: {
              key: ssoEncryptionKey(env, mode),
              publicUrl: env.publicUrl,
              dnsServers: env.SSO_DNS_SERVERS,
              allowInsecureHttp: env.SSO_ALLOW_INSECURE_HTTP,
              clockSkewSeconds: env.SSO_CLOCK_SKEW_SECONDS,
            },
          }
        : {}),
    },
  });
}

/** Invitation email, when SMTP_URL is set (or a test hands in its own mailer). */
function mailSettings(env: Env, o: ServiceOverrides): MailSettings | undefined {
  const mailer = o.mailer ?? (env.SMTP_URL ? smtpMailer(env.SMTP_URL, env.SMTP_FROM) : undefined);
  if (!mailer) return undefined;
  return {
    mailer,
    publicUrl: env.publicUrl,
    maxAttempts: env.MAIL_MAX_ATTEMPTS,
    retryBaseMs: env.MAIL_RETRY_BASE_MS,
  };
}

function gatewayOptions(env: Env) {
  return {
    limits: {
      depth: env.LIMIT_DEPTH,
      aliases: env.LIMIT_ALIASES,
      rootFields: env.LIMIT_ROOT_FIELDS,
      directives: env.LIMIT_DIRECTIVES,
      cost: env.LIMIT_COST,
    },
    maxTokens: env.LIMIT_TOKENS,
    rateLimiter: env.REDIS_URL
      ? new RedisRateLimiter(
          new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3 }),
          env.REDIS_PREFIX,
        )
      : new MemoryRateLimiter(),
    rateLimits: {
      principal: env.RATE_LIMIT_COST_PER_MINUTE,
      account: env.RATE_LIMIT_ACCOUNT_COST_PER_MINUTE,
      signIn: env.RATE_LIMIT_SIGN_IN_PER_MINUTE,
    },
    subscriptionsPerConnection: env.SUBSCRIPTIONS_PER_CONNECTION,
    subscriptionsPerPrincipal: env.SUBSCRIPTIONS_PER_PRINCIPAL,
    subscriptionUnsentBytes: env.SUBSCRIPTION_UNSENT_BYTES,
    production: env.NODE_ENV === 'production',
    logRequests: env.LOG_REQUESTS ?? env.NODE_ENV !== 'test',
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    grantsCacheTtlMs: env.GRANTS_CACHE_TTL_MS,
    tokenTtlSeconds: env.INTERNAL_TOKEN_TTL_SECONDS,
    introspection: env.INTROSPECTION ?? env.NODE_ENV !== 'production',
    trustProxy: env.TRUST_PROXY,
    dedupeQueries: env.GATEWAY_DEDUPE_QUERIES,
    sso: { publicUrl: env.publicUrl, returnOrigins: env.SSO_RETURN_ORIGINS },
    corsOrigins: env.CORS_ORIGINS,
    metrics: env.METRICS,
  };
}

/** Embedded mode: gateway and the four subgraphs in this process, called without HTTP. */
export async function startEmbedded(env: Env, o: ServiceOverrides = {}): Promise<Running> {
  const locks = lockDatabases(SUBGRAPH_NAMES.map((n) => databaseOf(n, env, o)));
  const bus = o.bus ?? createBus(env, 'embedded');
  const tokens = new InternalTokens(env.internalTokenSecret, env.INTERNAL_TOKEN_TTL_SECONDS);
  const counters = createCounters(env);
  const subgraphs = {} as Record<SubgraphName, Subgraph<any>>;
  try {
    for (const name of SUBGRAPH_NAMES)
      subgraphs[name] = await startSubgraph(name, env, bus, tokens, o, 'embedded', counters);
  } catch (err) {
    for (const l of locks) l.release();
    throw err;
  }
  // Relays start once every consumer has subscribed: the in-process bus drops events for
  // groups that are not there yet.
  for (const name of SUBGRAPH_NAMES) await subgraphs[name].startRelay();
  const inProcess = new InProcessTransport(subgraphs);
  const gateway = await Gateway.start({
    transport: o.wrapTransport?.(inProcess) ?? inProcess,
    tokens,
    bus,
    supergraphSdl: o.supergraphSdl,
    ...gatewayOptions(env),
  });
  const rest = createRestLayer(gateway, { logUnknown: env.NODE_ENV !== 'production' });
  const server = gateway.httpServer(rest);
  const port = await listen(server, env.PORT, env.HOST);
  // Pushed runs call back on the port this process got, when nothing else was configured.
  const push = subgraphs.operations.opts.settings?.push as { apiUrl: string } | undefined;
  if (push && !env.PUSH_API_URL && !env.PUBLIC_URL && env.PORT !== port) {
    const host = ['0.0.0.0', '::'].includes(env.HOST) ? 'localhost' : env.HOST;
    push.apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/api`;
  }
  return {
    port,
    server,
    gateway,
    subgraphs,
    bus,
    async stop() {
      // WebSockets first (1001 "Going away"): the HTTP server waits for every open socket.
      await gateway.closeSubscriptions();
      rest.close();
      await closeServer(server);
      await gateway.stop();
      for (const name of SUBGRAPH_NAMES) await subgraphs[name].stop();
      await counters.close();
      await bus.close();
      for (const l of locks) l.release();
    },
  };
}

/** Distributed mode: one subgraph alone, on its own port, reached over HTTP. */
export async function startSubgraphService(
  name: SubgraphName,
  env: Env,
  o: ServiceOverrides = {},
): Promise<Running> {
  const locks = lockDatabases([databaseOf(name, env, o)]);
  const bus = o.bus ?? createBus(env, name);
  const tokens = new InternalTokens(env.internalTokenSecret, env.INTERNAL_TOKEN_TTL_SECONDS);
  const counters = createCounters(env);
  const sub = await startSubgraph(name, env, bus, tokens, o, 'alone', counters).catch((err) => {
    for (const l of locks) l.release();
    throw err;
  });
  await sub.startRelay();
  const server = sub.httpServer();
  const port = await listen(server, env.PORT, env.HOST);
  return {
    port,
    server,
    subgraphs: { [name]: sub },
    bus,
    async stop() {
      await closeServer(server);
      await sub.stop();
      await counters.close();
      await bus.close();
      for (const l of locks) l.release();
    },
  };
}

/** Distributed mode: the gateway alone, reaching subgraphs at USERS_URL, WORKSPACES_URL, … */
export async function startGatewayService(env: Env, o: ServiceOverrides = {}): Promise<Running> {
  const urls = {
    users: env.USERS_URL,
    workspaces: env.WORKSPACES_URL,
    access: env.ACCESS_URL,
    operations: env.OPERATIONS_URL,
  };
  const missing = Object.entries(urls)
    .filter(([, v]) => !v)
    .map(([k]) => `${k.toUpperCase()}_URL`);
  if (missing.length)
    throw new Error(
      `Invalid configuration:\n  ${missing.join(', ')}: required by the gateway alone`,
    );
  const bus = o.bus ?? createBus(env, 'gateway');
  const tokens = new InternalTokens(env.internalTokenSecret, env.INTERNAL_TOKEN_TTL_SECONDS);
  const gateway = await Gateway.start({
    transport: new HttpTransport(urls as Record<SubgraphName, string>),
    tokens,
    bus,
    supergraphSdl: o.supergraphSdl,
    ...gatewayOptions(env),
  });
  const rest = createRestLayer(gateway, { logUnknown: env.NODE_ENV !== 'production' });
  const server = gateway.httpServer(rest);
  const port = await listen(server, env.PORT, env.HOST);
  return {
    port,
    server,
    gateway,
    subgraphs: {},
    bus,
    async stop() {
      // WebSockets first (1001 "Going away"): the HTTP server waits for every open socket.
      await gateway.closeSubscriptions();
      rest.close();
      await closeServer(server);
      await gateway.stop();
      await bus.close();
    },
  };
}
