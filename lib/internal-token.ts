import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
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

const ISSUER = 'flowplane-gateway';
const AUDIENCE = 'flowplane-subgraphs';

/** Signs and verifies the short-lived token the gateway sends on every subgraph call. */
export class InternalTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds = 60,
  ) {
    if (secret.length < 32) throw new Error('INTERNAL_TOKEN_SECRET must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  async sign(
    claims: Omit<InternalClaims, 'requestId' | 'client'> & {
      requestId?: string;
      client?: ClientInfo;
    },
  ): Promise<string> {
    return new SignJWT({
      principal: claims.principal,
      grants: claims.grants,
      rid: claims.requestId ?? randomUUID(),
      ...(claims.client?.ip ? { cip: claims.client.ip } : {}),
      ...(claims.client?.userAgent ? { cua: claims.client.userAgent } : {}),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** Returns the claims, or null for a missing, forged or expired token. */
  async verify(token: string | undefined): Promise<InternalClaims | null> {
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
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
    } catch {
      return null;
    }
  }
}
