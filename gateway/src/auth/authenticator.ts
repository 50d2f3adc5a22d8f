import { createHash } from 'node:crypto';
import type { Bus, DomainEvent } from '../../../lib/bus.js';
import { IP_NOT_ALLOWED_MESSAGE, ipNotAllowed, unauthenticated } from '../../../lib/errors.js';
import {
  computeGrants,
  type MembershipFact,
  type PrincipalGrantsFact,
} from '../../../lib/grants.js';
import type { Caller, InternalTokens } from '../../../lib/internal-token.js';
import { grantsFromAddress, type AllowLists } from '../../../lib/ip-allow-list.js';
import { ANONYMOUS, NO_GRANTS, type Grants, type Principal } from '../../../lib/principal.js';
import { sha256 } from '../../../lib/secrets.js';
import type { SubgraphTransport } from '../transport.js';

export interface Identity {
  principal: Principal;
  grants: Grants;
  /** Non-empty IP allow-lists of the principal's accounts (see `Authenticator.fromAddress`). */
  ipAllowLists?: AllowLists;
}

/** Thrown for a service account whose own account does not accept the client's address. */
export class AddressRefused extends Error {
  readonly error = ipNotAllowed();
  constructor(
    readonly identity: Identity,
    readonly accountId: string,
  ) {
    super(IP_NOT_ALLOWED_MESSAGE);
  }
}

const FINGERPRINTS = new WeakMap<Identity, string>();

/**
 * Identifies principal + grants: callers whose identities have equal fingerprints see the same
 * data, so one execution can serve them all (subscription deliveries, in-flight queries).
 * Memoised per identity object (the cache hands out the same object until it changes).
 */
export function fingerprintOf(identity: Identity): string {
  let f = FINGERPRINTS.get(identity);
  if (!f) {
    f = createHash('sha256')
      .update(JSON.stringify([identity.principal, identity.grants]))
      .digest('base64url');
    FINGERPRINTS.set(identity, f);
  }
  return f;
}

interface CacheEntry extends Identity {
  expiresAt: number;
}

const PRINCIPAL_QUERY = /* GraphQL */ `
  query GatewayPrincipal($credentialHash: String!) {
    _principalByCredential(credentialHash: $credentialHash) {
      type
      id
      accountId
      sessionId
      apiKeyId
      email
      expiresAt
    }
  }
`;
const RUN_CREDENTIAL_QUERY = /* GraphQL */ `
  query GatewayRunCredential($credentialHash: String!) {
    _runCredential(credentialHash: $credentialHash) {
      id
      flowRunId
      flowId
      deploymentId
      workspaceId
      accountId
      expiresAt
      ended
    }
  }
`;
/** Run-scoped credentials of pushed flow runs (the operations subgraph keeps them). */
const RUN_CREDENTIAL_PREFIX = 'fpr_';
const TERMINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);

const MEMBERSHIPS_QUERY = /* GraphQL */ `
  query GatewayMemberships($principalId: ID!) {
    _principalMemberships(principalId: $principalId) {
      accountId
      role
      ipAllowList
      workspaces {
        id
        defaultRole
      }
    }
  }
`;
const GRANTS_QUERY = /* GraphQL */ `
  query GatewayGrants($principalId: ID!) {
    _principalGrants(principalId: $principalId) {
      workspaceBindings {
        workspaceId
        accountId
        role
        permissions
        teamId
      }
      accountPermissions {
        accountId
        permissions
      }
      teams {
        teamId
        accountId
      }
    }
  }
`;

const MAX_ENTRIES = 10_000;
/** Invalidations remembered for lookups in flight (a few seconds' worth under load). */
const RECENT_INVALIDATIONS = 1_000;
/** Addresses whose `fromAddress` answer is kept per identity. */
const MAX_ADDRESSES_PER_IDENTITY = 64;
const ANONYMOUS_IDENTITY: Identity = Object.freeze({ principal: ANONYMOUS, grants: NO_GRANTS });

/** Which identities a bus event invalidates. */
export type IdentityTest = (identity: Identity) => boolean;
export type InvalidationListener = (affects: IdentityTest, event: DomainEvent) => void;

/**
 * The identities a revocation or grant change invalidates (null for events that change
 * nobody's identity): a revoked key or session, a deleted service account, changed grants of
 * some principals, of an account's members, or of everyone.
 */
export function invalidationOf(event: DomainEvent): IdentityTest | null {
  const p = event.payload as Record<string, unknown>;
  switch (event.type) {
    case 'api-key.revoked':
      return (e) => e.principal.apiKeyId === p.apiKeyId;
    case 'session.revoked':
      return (e) => e.principal.sessionId === p.sessionId;
    case 'service-account.deleted':
      return (e) => e.principal.id === p.serviceAccountId;
    case 'flow-run.state-changed': {
      // A run-scoped credential ends with its run (after a grace period, read afresh).
      const to = (p.to as { type?: string } | undefined)?.type;
      if (!to || !TERMINAL_STATES.has(to)) return null;
      return (e) => e.principal.type === 'flow_run' && e.principal.id === p.runId;
    }
    case 'grants.changed': {
      const ids = Array.isArray(p.principalIds) ? new Set(p.principalIds as string[]) : null;
      if (ids) return (e) => ids.has(e.principal.id);
      if (typeof p.accountId === 'string') {
        const acct = p.accountId;
        return (e) =>
          Boolean(e.grants.accounts[acct]) ||
          e.principal.accountId === acct ||
          Boolean(e.grants.restricted?.accounts.includes(acct));
      }
      return () => true;
    }
    default:
      return null;
  }
}

/** How long a request waits for this instance to catch up with the bus before a fresh lookup. */
const SETTLE_TIMEOUT_MS = 1000;

/**
 * Resolves `Authorization: Bearer` credentials (session tokens and API keys) to a principal and
 * its grants through internal subgraph queries, caches the answer briefly, and drops cached
 * answers as soon as a revocation or grant change arrives on the bus (on every instance).
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private systemCaller?: { caller: Caller; expiresAt: number };
  private readonly unsubscribe: () => void;
  /** Grows on every invalidation (the number of the last one). */
  private generation = 0;
  /**
   * The recent invalidations, by number: a lookup that raced with one that concerns its answer
   * is not cached. (Raced with any: a run reaching a terminal state invalidates its run-scoped
   * credentials, 40 times a second under load, and no user's or key's lookup could be cached
   * once lookups took longer than the gap between two: every request then looked its identity
   * up, which made lookups slower still.)
   */
  private readonly recent: { generation: number; affects: IdentityTest }[] = [];
  private readonly listeners = new Set<InvalidationListener>();
  /** `fromAddress` answers: a scoped identity, or the account id that refuses the address. */
  private readonly scoped = new WeakMap<Identity, Map<string, Identity | string>>();

  constructor(
    private readonly transport: SubgraphTransport,
    private readonly tokens: InternalTokens,
    private readonly bus: Bus,
    private readonly ttlMs: number,
    private readonly tokenTtlSeconds: number,
  ) {
    this.unsubscribe = bus.subscribeBroadcast((e) => this.onEvent(e));
  }

  /** `undefined` header → anonymous; a header that resolves to nobody → UNAUTHENTICATED. */
  async authenticate(credential: string | undefined): Promise<Identity> {
    if (credential === undefined) return ANONYMOUS_IDENTITY;
    if (!credential || credential.length > 512) throw unauthenticated('Malformed credentials');
    const hash = sha256(credential);
    const hit = this.cache.get(hash);
    if (hit && hit.expiresAt > Date.now()) {
      // Another instance may have just revoked something: serve from the cache only once this
      // instance has seen every event published so far (one round trip; waits only when behind).
      // If it cannot catch up in time, look the identity up afresh instead.
      const caughtUp = await this.bus.settle(SETTLE_TIMEOUT_MS).catch(() => false);
      if (caughtUp && this.cache.get(hash) === hit) return hit;
    }
    const generation = this.generation;
    const resolved = credential.startsWith(RUN_CREDENTIAL_PREFIX)
      ? await this.resolveRunCredential(hash)
      : await this.resolvePrincipal(hash);
    if (!resolved) throw unauthenticated('Invalid, expired or revoked credentials');
    const { principal, credentialExpiresAt } = resolved;
    const { grants, ipAllowLists } = resolved.grants
      ? { grants: resolved.grants, ipAllowLists: undefined }
      : await this.resolveGrants(principal);
    // A cached answer never outlives the credential itself.
    const entry: CacheEntry = {
      principal,
      grants,
      ...(ipAllowLists ? { ipAllowLists } : {}),
      expiresAt: Math.min(Date.now() + this.ttlMs, credentialExpiresAt),
    };
    if (this.ttlMs > 0 && !this.invalidatedSince(generation, entry)) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, entry);
    }
    return entry;
  }

  /**
   * Whether an invalidation since `generation` concerns `entry`; true as well when the record of
   * them no longer reaches back that far (a lookup that took that long is not cached).
   */
  private invalidatedSince(generation: number, entry: Identity): boolean {
    if (generation === this.generation) return false;
    const oldest = this.recent[0]?.generation ?? this.generation + 1;
    if (oldest > generation + 1) return true;
    for (let i = this.recent.length - 1; i >= 0 && this.recent[i]!.generation > generation; i--)
      if (this.recent[i]!.affects(entry)) return true;
    return false;
  }

  /** The gateway's own caller for its lookups (its token renewed at half its lifetime). */
  private system(): Caller {
    const now = Date.now();
    if (!this.systemCaller || this.systemCaller.expiresAt < now) {
      const caller = this.tokens.caller({
        principal: { type: 'system', id: 'gateway' },
        grants: NO_GRANTS,
      });
      this.systemCaller = { caller, expiresAt: now + (this.tokenTtlSeconds * 1000) / 2 };
    }
    return this.systemCaller.caller;
  }

  /**
   * A pushed run's credential: a `flow_run` principal (its id the run's, its API key id the
   * credential's) whose only grant is its run's workspace, limited to that run (`flowRun`, see
   * lib/ability.ts `runScopedRules`) and holding no permission of any role.
   */
  private async resolveRunCredential(
    credentialHash: string,
  ): Promise<{ principal: Principal; credentialExpiresAt: number; grants: Grants } | null> {
    const res = await this.transport.execute(
      'operations',
      { query: RUN_CREDENTIAL_QUERY, variables: { credentialHash } },
      this.system(),
    );
    if (res.errors?.length)
      throw new Error(`run credential lookup failed: ${res.errors[0]!.message}`);
    const c = res.data?._runCredential as Record<string, string | null> | null;
    if (!c) return null;
    return {
      principal: { type: 'flow_run', id: c.flowRunId!, apiKeyId: c.id!, accountId: c.accountId! },
      credentialExpiresAt: Date.parse(c.expiresAt!),
      grants: {
        accounts: {},
        workspaces: {
          [c.workspaceId!]: {
            accountId: c.accountId!,
            role: null,
            permissions: [],
            flowRun: {
              id: c.flowRunId!,
              flowId: c.flowId!,
              deploymentId: c.deploymentId,
              ...((c as { ended?: unknown }).ended ? { ended: true } : {}),
            },
          },
        },
      },
    };
  }

  private async resolvePrincipal(
    credentialHash: string,
  ): Promise<{ principal: Principal; credentialExpiresAt: number; grants?: undefined } | null> {
    const res = await this.transport.execute(
      'users',
      { query: PRINCIPAL_QUERY, variables: { credentialHash } },
      this.system(),
    );
    if (res.errors?.length) throw new Error(`principal lookup failed: ${res.errors[0]!.message}`);
    const p = res.data?._principalByCredential as Record<string, string | null> | null;
    if (!p) return null;
    const principal: Principal = { type: p.type as Principal['type'], id: p.id! };
    if (p.accountId) principal.accountId = p.accountId;
    if (p.sessionId) principal.sessionId = p.sessionId;
    if (p.apiKeyId) principal.apiKeyId = p.apiKeyId;
    if (p.email) principal.email = p.email;
    return { principal, credentialExpiresAt: p.expiresAt ? Date.parse(p.expiresAt) : Infinity };
  }

  /**
   * The identity as it applies to a request from `ip` (see `grantsFromAddress`): the same
   * object when no allow-list withholds anything, else one with the withheld accounts' grants
   * removed (memoised per identity and address, so fingerprints stay stable). Throws
   * `AddressRefused` for a service account whose account does not accept the address.
   */
  fromAddress(identity: Identity, ip: string | null | undefined): Identity {
    if (!identity.ipAllowLists) return identity;
    let byAddress = this.scoped.get(identity);
    if (!byAddress) this.scoped.set(identity, (byAddress = new Map()));
    const key = ip ?? '';
    let scoped = byAddress.get(key);
    if (!scoped) {
      const s = grantsFromAddress(identity.principal, identity.grants, identity.ipAllowLists, ip);
      scoped = s.refused
        ? s.accountId
        : s.grants === identity.grants
          ? identity
          : { principal: identity.principal, grants: s.grants };
      if (byAddress.size >= MAX_ADDRESSES_PER_IDENTITY) byAddress.clear();
      byAddress.set(key, scoped);
    }
    if (typeof scoped === 'string') throw new AddressRefused(identity, scoped);
    return scoped;
  }

  private async resolveGrants(
    principal: Principal,
  ): Promise<{ grants: Grants; ipAllowLists?: AllowLists }> {
    const caller = this.system();
    const variables = { principalId: principal.id };
    const [m, g] = await Promise.all([
      this.transport.execute('workspaces', { query: MEMBERSHIPS_QUERY, variables }, caller),
      this.transport.execute('access', { query: GRANTS_QUERY, variables }, caller),
    ]);
    for (const r of [m, g]) {
      if (r.errors?.length) throw new Error(`grants lookup failed: ${r.errors[0]!.message}`);
    }
    const memberships = (m.data?._principalMemberships ?? []) as MembershipFact[];
    const facts = (g.data?._principalGrants ?? {
      workspaceBindings: [],
      accountPermissions: [],
    }) as PrincipalGrantsFact;
    const lists = memberships.filter((m) => m.ipAllowList?.length);
    return {
      grants: computeGrants(memberships, facts),
      ...(lists.length
        ? { ipAllowLists: Object.fromEntries(lists.map((m) => [m.accountId, m.ipAllowList!])) }
        : {}),
    };
  }

  /**
   * Calls `listener` after every bus event that invalidated cached identities, with the test of
   * which identities it affects; the cache entries are gone by then, so `authenticate` answers
   * afresh (the subscription server re-checks its open connections this way). Returns an
   * unsubscribe function.
   */
  onInvalidated(listener: InvalidationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onEvent(event: DomainEvent): void {
    const affects = invalidationOf(event);
    if (!affects) return;
    this.generation++;
    this.recent.push({ generation: this.generation, affects });
    if (this.recent.length > RECENT_INVALIDATIONS) this.recent.shift();
    for (const [k, v] of this.cache) if (affects(v)) this.cache.delete(k);
    for (const l of this.listeners) l(affects, event);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
    this.cache.clear();
  }
}
