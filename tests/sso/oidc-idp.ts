import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** A person the test identity provider knows, with the claims it asserts. */
export interface IdpUser {
  email: string;
  name?: string;
  email_verified?: boolean;
  groups?: string[];
}

export interface OidcIdp {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /** Signing key (private JWK), for tests that re-sign tampered tokens. */
  privateJwk: JWK;
  users: Map<string, IdpUser>;
  /** Who the next login interaction signs in. */
  nextLogin: string;
  /** One-shot rewrite of the next token endpoint answer (a broken or malicious IdP). */
  tamper?: (
    body: Record<string, unknown>,
  ) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** The last token endpoint answer, as sent. */
  lastTokenResponse?: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * A real OpenID Provider (oidc-provider 8, which supports Node 20) on a loopback port: discovery,
 * JWKS, authorization code with PKCE required, client_secret_basic. The login interaction signs
 * in `nextLogin` without a form (first-party consent is pre-granted), so a test client just
 * follows redirects. `tamper` rewrites one token response after the provider made it.
 */
export async function startOidcIdp(opts: {
  port?: number;
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}): Promise<OidcIdp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = {
    ...(await exportJWK(privateKey)),
    kid: `k-${randomUUID()}`,
    alg: 'RS256',
    use: 'sig',
  };
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const users = new Map<string, IdpUser>();
  const idp = {
    issuer,
    port,
    clientId: opts.clientId ?? 'flowplane',
    clientSecret: opts.clientSecret ?? `secret-${port}-${Math.random().toString(36).slice(2)}`,
    privateJwk,
    users,
    nextLogin: '',
  } as OidcIdp;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [privateJwk as never] },
    cookies: { keys: ['flowplane-test-idp-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
      Grant: 600,
    },
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    findAccount: async (_ctx: unknown, id: string) => {
      const u = users.get(id);
      if (!u) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email_verified: true, ...u }),
      };
    },
    loadExistingGrant: async (ctx: any) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  } as never);
  provider.use(async (ctx, next) => {
    if (ctx.path.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      const result =
        details.prompt.name === 'login'
          ? { login: { accountId: idp.nextLogin } }
          : { error: 'access_denied', error_description: 'unexpected prompt' };
      const to = await provider.interactionResult(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: false,
      });
      ctx.redirect(to);
      return;
    }
    await next();
    if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object') {
      const tamper = idp.tamper;
      idp.tamper = undefined;
      if (tamper) ctx.body = await tamper({ ...(ctx.body as Record<string, unknown>) });
      idp.lastTokenResponse = ctx.body as Record<string, unknown>;
    }
  });
  server.on('request', provider.callback());
  idp.stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return idp;
}
