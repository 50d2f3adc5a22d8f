import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ClientInfo } from './actor.js';
import type { Grants, Principal } from './principal.js';

/** What the gateway asserts to the subgraphs about one request. */
export interface InternalClaims {
  principal: Principal;
  grants: Grants;
  requestId: string;
  /** The client's address and user agent (audit log); null parts when unknown. */
  client: ClientInfo;
}

const NO_CLIENT: ClientInfo = Object.freeze({ ip: null, userAgent: null });

/**
 * Whom a subgraph call is made for. In-process subgraphs (embedded mode) take the claims as
 * they are; over HTTP they travel as the signed token, made on first use and then reused, so a
 * request that never leaves the process is never signed nor verified.
 */
export interface Caller {
  readonly claims: InternalClaims;
  token(): string;
}

type ClaimsInput = Omit<InternalClaims, 'requestId' | 'client'> & {
  requestId?: string;
  client?: ClientInfo;
};

const ISSUER = 'flowplane-gateway';
const AUDIENCE = 'flowplane-subgraphs';
/** The JOSE header of every token: HMAC-SHA256, nothing else is ever accepted. */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
/** A base64url HMAC-SHA256 is 43 characters. */
const SIGNATURE_LENGTH = 43;

/**
 * Signs and verifies the short-lived token the gateway sends on every subgraph call: a standard
 * HS256 JSON Web Token (RFC 7519), so any JWT library verifies it, but signed and checked with
 * node:crypto's synchronous HMAC. It is made once per request and checked once per subgraph call,
 * so it sits on the hot path; WebCrypto (what JWT libraries use) imports the key and hops through
 * a promise job on every call and cost about 10 % of the gateway's CPU per request.
 */
export class InternalTokens {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds = 60,
  ) {
    if (secret.length < 32) throw new Error('INTERNAL_TOKEN_SECRET must be at least 32 characters');
    this.key = Buffer.from(secret, 'utf8');
  }

  /** A caller for these claims (a fresh request id unless given). */
  caller(input: ClaimsInput): Caller {
    const claims: InternalClaims = {
      principal: input.principal,
      grants: input.grants,
      requestId: input.requestId ?? randomUUID(),
      client: input.client ?? NO_CLIENT,
    };
    let token: string | undefined;
    return { claims, token: () => (token ??= this.sign(claims)) };
  }

  sign(claims: ClaimsInput): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      principal: claims.principal,
      grants: claims.grants,
      rid: claims.requestId ?? randomUUID(),
      ...(claims.client?.ip ? { cip: claims.client.ip } : {}),
      ...(claims.client?.userAgent ? { cua: claims.client.userAgent } : {}),
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      exp: now + this.ttlSeconds,
    };
    const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${this.mac(input)}`;
  }

  /** Returns the claims, or null for a missing, malformed, forged or expired token. */
  verify(token: string | undefined): InternalClaims | null {
    if (!token) return null;
    const dot1 = token.indexOf('.');
    const dot2 = token.lastIndexOf('.');
    if (dot1 <= 0 || dot2 === dot1 || token.length - dot2 - 1 !== SIGNATURE_LENGTH) return null;
    // Only the exact header this class writes: no algorithm choice, no `crit`, no key ids.
    if (token.slice(0, dot1) !== HEADER || token.indexOf('.', dot1 + 1) !== dot2) return null;
    const expected = Buffer.from(this.mac(token.slice(0, dot2)));
    const given = Buffer.from(token.slice(dot2 + 1));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (!payload || typeof payload !== 'object') return null;
    const now = Math.floor(Date.now() / 1000);
    if (payload.iss !== ISSUER || payload.aud !== AUDIENCE) return null;
    if (typeof payload.exp !== 'number' || payload.exp <= now) return null;
    if (typeof payload.nbf === 'number' && payload.nbf > now) return null;
    const principal = payload.principal as Principal | undefined;
    const grants = payload.grants as Grants | undefined;
    if (!principal || !grants || typeof payload.rid !== 'string') return null;
    const client =
      payload.cip || payload.cua
        ? {
            ip: typeof payload.cip === 'string' ? payload.cip : null,
            userAgent: typeof payload.cua === 'string' ? payload.cua : null,
          }
        : NO_CLIENT;
    return { principal, grants, requestId: payload.rid, client };
  }

  private mac(input: string): string {
    return createHmac('sha256', this.key).update(input).digest('base64url');
  }
}
