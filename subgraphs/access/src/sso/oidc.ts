import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';

/** Algorithms an ID token may be signed with: asymmetric only (no `none`, no HMAC confusion). */
export const ID_TOKEN_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export interface OidcProviderSettings {
  id: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  idTokenAlg: string;
  /** Changes whenever the settings do (cache key). */
  version: string;
}

export interface OidcOptions {
  allowInsecureHttp: boolean;
  clockSkewSeconds: number;
  timeoutMs?: number;
}

export interface VerifiedClaims {
  subject: string;
  email: string | null;
  emailVerified: boolean | null;
  name: string | null;
  claims: Record<string, unknown>;
}

const DISCOVERY_TTL_MS = 10 * 60_000;

/**
 * OpenID Connect relying party (openid-client 6): discovery per provider (cached 10 minutes; a
 * JWKS refresh on an unknown `kid` is openid-client's, so key rotation needs nothing here), the
 * authorization URL with PKCE (S256), `state` and `nonce`, and the code exchange with every ID
 * token check: signature against the issuer's JWKS with the provider's one algorithm, `iss`,
 * `aud`, `azp`, `exp`, `iat`, `nonce`, bounded clock skew.
 */
export class OidcRelyingParty {
  private readonly configs = new Map<
    string,
    { at: number; config: Promise<client.Configuration> }
  >();
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly opts: OidcOptions) {}

  configuration(p: OidcProviderSettings): Promise<client.Configuration> {
    const key = `${p.id}:${p.version}`;
    const hit = this.configs.get(key);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    for (const k of this.configs.keys()) if (k.startsWith(`${p.id}:`)) this.configs.delete(k);
    this.keySets.delete(p.id);
    const config = this.discover(p);
    this.configs.set(key, { at: Date.now(), config });
    config.catch(() => this.configs.delete(key));
    return config;
  }

  private async discover(p: OidcProviderSettings): Promise<client.Configuration> {
    const metadata: Partial<client.ClientMetadata> = {
      client_id: p.clientId,
      id_token_signed_response_alg: p.idTokenAlg,
      [client.clockTolerance]: this.opts.clockSkewSeconds,
    };
    if (p.clientSecret) metadata.client_secret = p.clientSecret;
    const config = await client.discovery(
      new URL(p.issuer),
      p.clientId,
      metadata,
      p.clientSecret ? client.ClientSecretBasic(p.clientSecret) : client.None(),
      {
        execute: this.opts.allowInsecureHttp ? [client.allowInsecureRequests] : [],
        timeout: (this.opts.timeoutMs ?? 10_000) / 1000,
      },
    );
    return config;
  }

  /** The authorization URL of one login, with its PKCE challenge, state and nonce. */
  async authorizationUrl(
    p: OidcProviderSettings,
    input: { redirectUri: string; scope: string; state: string; nonce: string; verifier: string },
  ): Promise<string> {
    const config = await this.configuration(p);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: input.redirectUri,
      scope: input.scope,
      response_type: 'code',
      state: input.state,
      nonce: input.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(input.verifier),
      code_challenge_method: 'S256',
    });
    return url.href;
  }

  /**
   * Exchanges the code of `callbackUrl` and validates the ID token; reads userinfo for an email
   * the ID token lacks (checked to be about the same subject).
   */
  async complete(
    p: OidcProviderSettings,
    input: { callbackUrl: string; state: string; nonce: string; verifier: string },
  ): Promise<VerifiedClaims> {
    const config = await this.configuration(p);
    const tokens = await client.authorizationCodeGrant(config, new URL(input.callbackUrl), {
      pkceCodeVerifier: input.verifier,
      expectedState: input.state,
      expectedNonce: input.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims || !tokens.id_token) throw new Error('no ID token');
    await this.verifySignature(p, config, tokens.id_token);
    // openid-client checks azp whenever there are several audiences; a single-audience token
    // that names another azp is refused too.
    if (typeof idClaims.azp === 'string' && idClaims.azp !== p.clientId) {
      throw new OidcCheckError('the ID token was issued to another party (azp)');
    }
    let claims: Record<string, unknown> = { ...idClaims };
    if (typeof claims.email !== 'string' && tokens.access_token) {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...claims };
    }
    return {
      subject: idClaims.sub,
      email: typeof claims.email === 'string' ? claims.email : null,
      emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
      name: typeof claims.name === 'string' ? claims.name : null,
      claims,
    };
  }

  /**
   * The ID token comes straight from the token endpoint, where OIDC would let TLS stand in for
   * the signature: it is verified anyway, against the issuer's JWKS with the provider's one
   * algorithm (no `none`, no HMAC with a public key). jose's key set fetches the JWKS again when a
   * token names a `kid` it lacks (key rotation takes effect at once; only the IdP's own token
   * endpoint, a back-channel call of ours, can cause that lookup).
   */
  private async verifySignature(
    p: OidcProviderSettings,
    config: client.Configuration,
    idToken: string,
  ): Promise<void> {
    const meta = config.serverMetadata();
    if (!meta.jwks_uri) throw new OidcCheckError('the identity provider publishes no JWKS');
    let keys = this.keySets.get(p.id);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(meta.jwks_uri), {
        cooldownDuration: 0,
        timeoutDuration: this.opts.timeoutMs ?? 10_000,
      });
      this.keySets.set(p.id, keys);
    }
    await jwtVerify(idToken, keys, {
      algorithms: [p.idTokenAlg],
      issuer: meta.issuer,
      audience: p.clientId,
      clockTolerance: this.opts.clockSkewSeconds,
    });
  }

  /** Reads the discovery document and the JWKS (the admin's "test" of a provider). */
  async test(p: OidcProviderSettings): Promise<void> {
    this.configs.delete(`${p.id}:${p.version}`);
    const config = await this.configuration(p);
    const jwksUri = config.serverMetadata().jwks_uri;
    if (!jwksUri) throw new Error('the discovery document names no jwks_uri');
    const res = await fetch(jwksUri, {
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`the JWKS answered ${res.status}`);
    const jwks = (await res.json()) as { keys?: unknown[] };
    if (!Array.isArray(jwks.keys) || !jwks.keys.length) throw new Error('the JWKS has no keys');
  }
}

/** A check of ours (not openid-client's) that refused an ID token. */
export class OidcCheckError extends Error {}

/**
 * What went wrong, for the audit log and the person signing in: the check that failed, as
 * oauth4webapi names it (`unexpected JWT "iss" (issuer) claim value`, …), never the values it
 * expected (they are settings: issuer, client id).
 */
export function describeOidcError(err: unknown): string {
  if (err instanceof OidcCheckError) return err.message;
  const chain: { message?: string; code?: string; error?: string; cause?: unknown }[] = [];
  for (let e: unknown = err; e && typeof e === 'object' && chain.length < 5;) {
    chain.push(e as (typeof chain)[number]);
    e = (e as { cause?: unknown }).cause;
  }
  const refused = chain.find((e) => typeof e.error === 'string');
  if (refused) return `the identity provider refused the request: ${refused.error}`;
  // The innermost error with a message is the most specific one.
  const specific = [...chain].reverse().find((e) => typeof e.message === 'string' && e.message);
  return String(specific?.message ?? err).slice(0, 300);
}
