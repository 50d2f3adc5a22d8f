import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { useServer, type Extra as WsExtra } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientInfo } from '../../../lib/actor.js';
import { formatError, forbidden, IP_NOT_ALLOWED_MESSAGE, notFound } from '../../../lib/errors.js';
import { MAX_BODY_BYTES } from '../../../lib/http.js';
import type { InternalTokens } from '../../../lib/internal-token.js';
import {
  AddressRefused,
  type Authenticator,
  type Identity,
  type IdentityTest,
} from '../auth/authenticator.js';
import { gatewayContext, type GatewayContext } from '../context.js';
import type { OperationLimits } from '../limits/operation-limits.js';
import {
  accountOfDecision,
  rateLimitedError,
  type RateBudgets,
} from '../limits/rate-limit-plugin.js';
import type { RefusalAudit, RefusalReason } from '../refusal-audit.js';
import { accessDenial, CLOSE, Connection, hasAccess } from './connection.js';
import { credentialOf } from './credentials.js';
import type { SubscriptionEngine } from './engine.js';
import { prepareOperation, type OperationPayload, type PreparedSubscription } from './prepare.js';
import type { LiveSubscription } from './subscription.js';
import { errorField, log } from '../../../lib/log.js';

/** The gateway parts and settings the WebSocket server uses. */
export interface SubscriptionServerOptions {
  apollo: ApolloServer<GatewayContext>;
  auth: Authenticator;
  engine: SubscriptionEngine;
  tokens: InternalTokens;
  tokenTtlSeconds: number;
  /** The gateway's API schema (null until the supergraph is loaded). */
  schema(): GraphQLSchema | null;
  limits: OperationLimits;
  maxTokens: number;
  production: boolean;
  budgets: RateBudgets;
  /** Subscriptions one connection may hold at once. */
  maxPerConnection: number;
  /** Subscriptions one principal may hold at once on this gateway (0: no cap). */
  maxPerPrincipal: number;
  audit?: RefusalAudit;
  clientOf(req: IncomingMessage): ClientInfo;
  logRequests: boolean;
  /** Default `/graphql`. */
  path?: string;
  /** Upgrades on other paths (the REST layer's event sockets): true when taken. */
  otherUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** Every connection's credential is checked again this often (expiry; default 60 s). */
  revalidateMs?: number;
  /** Bytes a client may leave unread before it is closed with 1008 (SUBSCRIPTION_UNSENT_BYTES). */
  maxUnsentBytes: number;
}

/** The TCP (or TLS) socket under each WebSocket, where live messages are written. */
const wires = new WeakMap<WebSocket, Duplex>();

/** What the server keeps on each graphql-ws context. */
type ConnectionExtra = { connection?: Connection };
type Extra = WsExtra & ConnectionExtra;

/** What `onSubscribe` hands to graphql-ws's `subscribe` / `execute`. */
interface OperationContext {
  conn: Connection;
  /** The client's id of the operation. */
  id: string;
  payload: OperationPayload;
  subscription: PreparedSubscription | null;
}

/**
 * graphql-ws on the gateway's HTTP server (`/graphql`): authenticates `connectionParams`
 * (`{ authorization: 'Bearer …' }` or `{ token }`), refuses bad credentials with 4401, checks
 * each subscription (document, limits, workspace permission, rate limit) and hands it to the
 * engine; queries and mutations on the socket run through the gateway as over HTTP. Revocations
 * and grant changes re-authenticate the affected connections.
 */
export class SubscriptionServer {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly inflight = new Map<string, Promise<Identity>>();
  /** Subscriptions held (or being set up) per principal on this gateway. */
  private readonly perPrincipal = new Map<string, number>();
  private readonly path: string;
  private invalidations = 0;
  private closing = false;
  private readonly stopListening: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly server: Server,
    private readonly opts: SubscriptionServerOptions,
  ) {
    this.path = opts.path ?? '/graphql';
    // No permessage-deflate: live messages are framed by the gateway and written to the TCP
    // socket beside ws's own frames (frames.ts), which needs ws to send each frame at once.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_BODY_BYTES,
      perMessageDeflate: false,
    });
    useServer<Record<string, unknown>, ConnectionExtra>(
      {
        isProd: opts.production,
        onConnect: (ctx) => this.onConnect(ctx.connectionParams, ctx.extra),
        onClose: (ctx) => this.onClose(ctx.extra),
        onSubscribe: (ctx, id, payload) => this.onSubscribe(ctx.extra, id, payload),
        subscribe: (args) => this.subscribe(args) as any,
        execute: (args) => this.execute(args) as any,
        onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
      },
      this.wss,
    );
    server.on('upgrade', this.onUpgrade);
    this.stopListening = opts.auth.onInvalidated((affects) => this.onInvalidated(affects));
    this.timer = setInterval(() => this.revalidate(), opts.revalidateMs ?? 60_000);
    this.timer.unref();
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * Closes every socket with 1001 "Going away" (waiting briefly for the close handshakes) and
   * stops accepting new ones. Called before the HTTP server drains.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    this.stopListening();
    this.server.off('upgrade', this.onUpgrade);
    const sockets = [...this.wss.clients];
    const closed = sockets.map((ws) => new Promise<void>((r) => ws.once('close', () => r())));
    for (const ws of sockets) ws.close(CLOSE.GOING_AWAY, 'Going away');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
    ]);
    clearTimeout(timer);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== this.path && !this.closing && this.opts.otherUpgrade?.(req, socket, head)) {
      return;
    }
    if (pathname !== this.path || this.closing) {
      const status = this.closing ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      wires.set(ws, socket);
      this.wss.emit('connection', ws, req);
    });
  };

  /** Authentication shared by the connections of one credential while a lookup is in flight. */
  private authenticate(credential: string): Promise<Identity> {
    let p = this.inflight.get(credential);
    if (!p) {
      p = this.opts.auth.authenticate(credential).finally(() => {
        if (this.inflight.get(credential) === p) this.inflight.delete(credential);
      });
      this.inflight.set(credential, p);
    }
    return p;
  }

  private async onConnect(
    params: Record<string, unknown> | undefined,
    extra: Extra,
  ): Promise<boolean> {
    const credential = credentialOf(params);
    if (this.closing) return false;
    if (credential === null) return unauthorized(extra);
    const seen = this.invalidations;
    const client = this.opts.clientOf(extra.request);
    let identity: Identity;
    try {
      identity =
        credential === undefined
          ? await this.opts.auth.authenticate(undefined)
          : this.opts.auth.fromAddress(await this.authenticate(credential), client.ip);
    } catch (err) {
      if (err instanceof AddressRefused) {
        this.refused('ip-allow-list', err.identity, client, err.accountId);
        return false;
      }
      if (codeOf(err) === 'UNAUTHENTICATED') return unauthorized(extra);
      log.error({ error: errorField(err) }, 'websocket authentication failed');
      extra.socket.close(CLOSE.INTERNAL_ERROR, 'Internal server error');
      return false;
    }
    // The client may have left (or the gateway begun to stop) during the lookup.
    if (this.closing || extra.socket.readyState !== extra.socket.OPEN) return false;
    const conn = new Connection(
      credential,
      identity,
      client,
      extra.socket,
      wires.get(extra.socket)!,
      {
        // Re-checked from the connection's address every time (allow-lists change too).
        authenticate: async (c) => {
          try {
            return this.opts.auth.fromAddress(await this.authenticate(c), client.ip);
          } catch (err) {
            if (err instanceof AddressRefused)
              this.refused('ip-allow-list', err.identity, client, err.accountId);
            throw err instanceof AddressRefused ? err.error : err;
          }
        },
        tokens: this.opts.tokens,
        tokenTtlSeconds: this.opts.tokenTtlSeconds,
        maxUnsentBytes: this.opts.maxUnsentBytes,
      },
    );
    extra.connection = conn;
    this.connections.add(conn);
    // A revocation may have arrived while the credential was being looked up.
    if (seen !== this.invalidations) conn.refresh();
    return true;
  }

  private onClose(extra: Extra): void {
    const conn = extra.connection;
    if (!conn) return;
    conn.close(1000, '');
    this.connections.delete(conn);
  }

  private async onSubscribe(
    extra: Extra,
    id: string,
    payload: OperationPayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const conn = extra.connection!;
    const schema = this.opts.schema();
    if (!schema) return [internal('The schema is not loaded yet')];
    let prepared;
    try {
      prepared = prepareOperation(payload, {
        schema,
        limits: this.opts.limits,
        maxTokens: this.opts.maxTokens,
        hideSuggestions: this.opts.production,
      });
    } catch (errors) {
      if (Array.isArray(errors)) return errors as GraphQLError[];
      throw errors;
    }
    const sub = prepared.subscription;
    if (sub) {
      const identity = await conn.settled();
      if (!identity) return [forbidden(sub.permissions[0]!)];
      const denial = accessDenial(identity.grants, sub.workspaceId, sub.permissions);
      if (denial?.code === 'NOT_FOUND') return [notFound('Workspace')];
      if (denial?.code === 'RESTRICTED') {
        this.opts.audit?.record({
          reason: 'ip-allow-list',
          principal: identity.principal,
          client: conn.client,
          requestId: null,
          workspaceId: sub.workspaceId,
          detail: { transport: 'websocket' },
        });
        return [restrictedError()];
      }
      if (denial?.code === 'FORBIDDEN') return [forbidden(denial.permission)];
      const accountId = identity.grants.workspaces[sub.workspaceId]!.accountId;
      const cap = this.capReached(conn, identity);
      if (cap) {
        this.refused('subscription-limit', identity, conn.client, accountId, cap.detail);
        return [cap.error];
      }
      const budgets = this.opts.budgets;
      const decision = await budgets.charge(
        budgets.chargesFor(identity.principal, [accountId], conn.client.ip, sub.cost),
      );
      if (decision && !decision.allowed) {
        this.refused(
          'rate-limit',
          identity,
          conn.client,
          accountOfDecision(decision) ?? accountId,
          {
            budget: decision.key.split(':')[0]!,
            limit: decision.limit,
          },
        );
        return [rateLimitedError(decision)];
      }
      // Checked again after the charge: other subscribes of this principal ran meanwhile.
      const late = this.capReached(conn, identity);
      if (late) {
        this.refused('subscription-limit', identity, conn.client, accountId, late.detail);
        return [late.error];
      }
      // Held from here: `subscribe` (which graphql-ws calls next) registers it.
      conn.reserved++;
      this.hold(identity.principal.id, +1);
    }
    const contextValue: OperationContext = { conn, id, payload, subscription: sub };
    return {
      schema,
      document: prepared.document,
      operationName: payload.operationName ?? undefined,
      variableValues: payload.variables ?? undefined,
      contextValue,
    };
  }

  private subscribe(args: ExecutionArgs): AsyncGenerator<unknown> {
    const { conn, id, subscription } = args.contextValue as OperationContext;
    const started = performance.now();
    const principalId = conn.principalId;
    conn.reserved--;
    const sub = this.opts.engine.subscribe(conn, id, subscription!, (s) => {
      this.hold(principalId, -1);
      this.logEnd(s, started);
    });
    // A refresh that finished since the subscribe check did not know this subscription yet.
    const identity = conn.current();
    if (
      !(identity instanceof Promise) &&
      !hasAccess(identity.grants, sub.workspaceId, sub.permissions)
    ) {
      conn.close(CLOSE.FORBIDDEN, 'Forbidden');
    }
    return sub.stream;
  }

  /** A query or mutation on the socket: the gateway's HTTP pipeline, with this connection. */
  private async execute(args: ExecutionArgs) {
    const { conn, payload } = args.contextValue as OperationContext;
    const identity = await conn.settled();
    if (!identity) return { errors: [formatError(forbidden('connection').toJSON())] };
    const caller = conn.caller(identity, randomUUID());
    const contextValue = gatewayContext(identity, caller, conn.client.ip);
    const res = await this.opts.apollo.executeOperation(
      {
        query: payload.query,
        variables: payload.variables ?? undefined,
        operationName: payload.operationName ?? undefined,
      },
      { contextValue },
    );
    if (res.body.kind !== 'single')
      return { errors: [formatError(internal('Unsupported').toJSON())] };
    return res.body.singleResult;
  }

  /**
   * The cap a new subscription of this connection would break (subscriptions per connection,
   * per principal on this gateway), with its RATE_LIMITED error; null when there is room.
   */
  private capReached(
    conn: Connection,
    identity: Identity,
  ): { error: GraphQLError; detail: Record<string, string | number> } | null {
    const { maxPerConnection, maxPerPrincipal } = this.opts;
    if (conn.subscriptions.size + conn.reserved >= maxPerConnection) {
      return {
        error: subscriptionCapError(
          `At most ${maxPerConnection} subscriptions per connection; complete one before starting another`,
          'connection',
          maxPerConnection,
        ),
        detail: { limit: maxPerConnection, per: 'connection' },
      };
    }
    const held = this.perPrincipal.get(identity.principal.id) ?? 0;
    if (maxPerPrincipal > 0 && held >= maxPerPrincipal) {
      return {
        error: subscriptionCapError(
          `At most ${maxPerPrincipal} subscriptions per user or service account (all its connections, keys and sessions together); complete one before starting another`,
          'principal',
          maxPerPrincipal,
        ),
        detail: { limit: maxPerPrincipal, per: 'principal' },
      };
    }
    return null;
  }

  private hold(principalId: string, delta: number): void {
    const n = (this.perPrincipal.get(principalId) ?? 0) + delta;
    if (n > 0) this.perPrincipal.set(principalId, n);
    else this.perPrincipal.delete(principalId);
  }

  private refused(
    reason: RefusalReason,
    identity: Identity,
    client: ClientInfo,
    accountId: string | null,
    detail?: Record<string, string | number>,
  ): void {
    this.opts.audit?.record({
      reason,
      principal: identity.principal,
      client,
      requestId: null,
      accountId,
      detail: { transport: 'websocket', ...detail },
    });
  }

  private onInvalidated(affects: IdentityTest): void {
    this.invalidations++;
    // A lookup in flight may predate the change: later callers start afresh.
    this.inflight.clear();
    for (const conn of this.connections) {
      const identity = conn.current();
      if (identity instanceof Promise || affects(identity)) conn.refresh();
    }
  }

  /** Re-checks every authenticated connection (expired sessions and keys close with 4403). */
  private revalidate(): void {
    for (const conn of this.connections) conn.refresh();
  }

  private logEnd(sub: LiveSubscription, started: number): void {
    if (!this.opts.logRequests) return;
    const p = sub.conn.current();
    const principal = p instanceof Promise ? undefined : p.principal;
    log.info(
      {
        principal: principal ? `${principal.type}:${principal.id}` : undefined,
        apiKeyId: principal?.apiKeyId,
        operation: sub.prepared.operationName ?? undefined,
        field: sub.prepared.kind.field,
        workspaceId: sub.workspaceId,
        delivered: sub.delivered,
        durationMs: Math.round(performance.now() - started),
      },
      'subscription',
    );
  }
}

/** RATE_LIMITED for a subscription over a cap (no waiting helps: one must end first). */
const subscriptionCapError = (message: string, per: string, limit: number) =>
  new GraphQLError(message, {
    extensions: { code: 'RATE_LIMITED', limit, per },
  });

const restrictedError = () =>
  new GraphQLError(IP_NOT_ALLOWED_MESSAGE, {
    extensions: { code: 'FORBIDDEN', reason: 'IP_NOT_ALLOWED' },
  });

const codeOf = (err: unknown) => (err as { extensions?: { code?: unknown } })?.extensions?.code;

const internal = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });

/**
 * Refuses `connection_init` with 4401 (graphql-ws's Unauthorized): the credential is malformed,
 * unknown or expired. 4403 stays for access lost while connected (a revoked key or role).
 */
function unauthorized(extra: Extra): false {
  extra.socket.close(CLOSE.UNAUTHORIZED, 'Unauthorized');
  return false;
}
