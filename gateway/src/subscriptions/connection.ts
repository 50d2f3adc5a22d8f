import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ClientInfo } from '../../../lib/actor.js';
import type { Caller, InternalTokens } from '../../../lib/internal-token.js';
import { isRestricted } from '../../../lib/ip-allow-list.js';
import type { Grants } from '../../../lib/principal.js';
import type { Identity } from '../auth/authenticator.js';
import type { NextFrames } from './frames.js';
import { log } from '../../../lib/log.js';

/** Close codes of graphql-ws and RFC 6455 the server uses. */
export const CLOSE = {
  /** The credential of `connection_init` is malformed, unknown or expired. */
  UNAUTHORIZED: 4401,
  /** Credentials revoked while connected, or a subscription's permission lost. */
  FORBIDDEN: 4403,
  INTERNAL_ERROR: 4500,
  /** The gateway is shutting down. */
  GOING_AWAY: 1001,
  /** The client does not read its messages fast enough. */
  POLICY_VIOLATION: 1008,
} as const;

/**
 * Why grants do not allow something in a workspace (as over HTTP: non-members get NOT_FOUND,
 * members whose grants were withheld by the account's IP allow-list RESTRICTED).
 */
export type AccessDenial =
  { code: 'NOT_FOUND' } | { code: 'RESTRICTED' } | { code: 'FORBIDDEN'; permission: string };

/**
 * What keeps grants from holding every one of `permissions` in a workspace: null when nothing
 * does, NOT_FOUND for a non-member, RESTRICTED for a member refused by the account's IP
 * allow-list, else FORBIDDEN with the first missing permission.
 */
export function accessDenial(
  grants: Grants,
  workspaceId: string,
  permissions: readonly string[],
): AccessDenial | null {
  const g = grants.workspaces[workspaceId];
  if (!g)
    return isRestricted(grants, { workspaceId }) ? { code: 'RESTRICTED' } : { code: 'NOT_FOUND' };
  const missing = permissions.find((p) => !g.permissions.includes(p));
  return missing ? { code: 'FORBIDDEN', permission: missing } : null;
}

/** Whether grants hold every one of `permissions` in a workspace. */
export const hasAccess = (grants: Grants, workspaceId: string, permissions: readonly string[]) =>
  accessDenial(grants, workspaceId, permissions) === null;

/** What a connection needs to know of each of its subscriptions to re-check them. */
export interface Guarded {
  workspaceId: string;
  permissions: readonly string[];
}

/** What a connection needs from its server. */
export interface ConnectionDeps {
  /** Authenticates a credential (shared by connections with the same one). */
  authenticate(credential: string): Promise<Identity>;
  tokens: InternalTokens;
  tokenTtlSeconds: number;
  /** Bytes of messages a socket may hold unsent before its client is closed (1008). */
  maxUnsentBytes: number;
}

/**
 * One WebSocket client: its credential, the identity it currently resolves to, and its
 * subscriptions. When the identity may have changed (revocation, grant change), `refresh`
 * authenticates again; a credential that is gone, or a subscription whose permission is lost,
 * closes the socket with 4403. Events seen while a refresh runs wait for its outcome.
 */
export class Connection {
  readonly id = randomUUID();
  readonly subscriptions = new Set<Guarded>();
  /** Subscriptions accepted and not yet registered (counted against the caps). */
  reserved = 0;
  closed = false;
  private identity!: Identity;
  private pending: Promise<Identity | null> | null = null;
  private again = false;
  private deliveryCaller: { value: Caller; expiresAt: number } | null = null;

  constructor(
    readonly credential: string | undefined,
    identity: Identity,
    readonly client: ClientInfo,
    private readonly socket: Pick<WebSocket, 'close' | 'readyState' | 'OPEN'>,
    /** The TCP (or TLS) socket under `socket`, where live messages are written (frames.ts). */
    private readonly wire: Writable,
    private readonly deps: ConnectionDeps,
  ) {
    this.setIdentity(identity);
  }

  /** The user or service account (it stays the same for a credential). */
  get principalId(): string {
    return this.identity.principal.id;
  }

  /** The identity for an event seen now: the current one, or the outcome of a refresh in flight. */
  current(): Identity | Promise<Identity | null> {
    if (this.closed) return Promise.resolve(null);
    return this.pending ?? this.identity;
  }

  /** The identity once any refresh in flight is done (null once the connection is closed). */
  async settled(): Promise<Identity | null> {
    const id = await this.current();
    return this.closed ? null : id;
  }

  /** Authenticates the credential again (coalescing calls while one is in flight). */
  refresh(): void {
    if (this.closed || this.credential === undefined) return;
    if (this.pending) {
      this.again = true;
      return;
    }
    this.pending = this.reauthenticate(this.credential);
  }

  /**
   * The caller of subgraph calls for `identity` (by default the current one). With a
   * `requestId` it is fresh and carries that id (operations whose audit entries must name their
   * request); otherwise the current identity's caller, and so its signed token, is reused until
   * half the token's lifetime (deliveries).
   */
  caller(identity: Identity = this.identity, requestId?: string): Caller {
    const { principal, grants } = identity;
    if (requestId)
      return this.deps.tokens.caller({ principal, grants, requestId, client: this.client });
    const now = Date.now();
    const current = identity === this.identity;
    if (current && this.deliveryCaller && this.deliveryCaller.expiresAt > now)
      return this.deliveryCaller.value;
    const value = this.deps.tokens.caller({ principal, grants, client: this.client });
    if (current)
      this.deliveryCaller = { value, expiresAt: now + (this.deps.tokenTtlSeconds * 1000) / 2 };
    return value;
  }

  /**
   * Sends a live subscription's `next` message carrying `result`; a client that leaves more than
   * `maxUnsentBytes` unread is closed with 1008.
   */
  sendNext(frames: NextFrames, result: object): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (frames.write(this.wire, result, this.deps.maxUnsentBytes)) return;
    const { principal } = this.identity;
    log.warn(
      {
        principal: `${principal.type}:${principal.id}`,
        ip: this.client.ip,
        unsentBytes: this.wire.writableLength,
      },
      'subscriber closed: it does not read its messages',
    );
    this.close(CLOSE.POLICY_VIOLATION, 'Too many undelivered messages');
  }

  /** Closes the socket (once). */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
  }

  private setIdentity(identity: Identity): void {
    this.identity = identity;
    this.deliveryCaller = null;
  }

  private async reauthenticate(credential: string): Promise<Identity | null> {
    try {
      for (;;) {
        this.again = false;
        let next: Identity;
        try {
          next = await this.deps.authenticate(credential);
        } catch (err) {
          const code = (err as { extensions?: { code?: unknown } }).extensions?.code;
          // Revoked, expired, or now outside the account's IP allow-list.
          if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN')
            this.close(CLOSE.FORBIDDEN, 'Forbidden');
          // Fail closed: without an answer the subscriptions cannot be re-checked.
          else this.close(CLOSE.INTERNAL_ERROR, 'Internal server error');
          return null;
        }
        if (this.again) continue;
        if (this.closed) return null;
        this.setIdentity(next);
        for (const s of this.subscriptions) {
          if (!hasAccess(next.grants, s.workspaceId, s.permissions)) {
            this.close(CLOSE.FORBIDDEN, 'Forbidden');
            return null;
          }
        }
        return next;
      }
    } finally {
      this.pending = null;
    }
  }
}
