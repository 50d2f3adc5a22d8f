import { createHmac, createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../harness/stack.js';
import { Browser } from './browser.js';
import {
  CREATE_PROVIDER,
  ENABLE_PROVIDER,
  expectAudited,
  freePort,
  ssoLogin,
  startSsoStack,
  uid,
  verifyDomain,
  type SsoStack,
} from './fixtures.js';
import { startOidcIdp, type OidcIdp } from './oidc-idp.js';

/**
 * Every ID token and callback check fails closed, with an audit entry: the real provider's token
 * answer is rewritten on its way out (a broken or malicious IdP), re-signed with the provider's
 * own key where only a claim is wrong, so that each case tests exactly one check of ours.
 */
let s: SsoStack;
let idp: OidcIdp;
let other: OidcIdp;
let owner: Actor;
let handle: string;
const domain = `fail-${uid(3)}.test`;

beforeAll(async () => {
  s = await startSsoStack();
  owner = await s.stack.signUp({ email: `owner@${domain}` });
  handle = (
    await owner.gql(`query($id: ID!) { account(id: $id) { handle } }`, { id: owner.accountId })
  ).data.account.handle;
  await verifyDomain(s, owner, domain);
  const idpPort = await freePort();
  const created = await owner.gql(CREATE_PROVIDER, {
    input: {
      accountId: owner.accountId,
      kind: 'OIDC',
      name: 'IdP',
      oidc: { issuer: `http://127.0.0.1:${idpPort}`, clientId: 'flowplane', clientSecret: 'x' },
    },
  });
  const provider = created.data.createIdentityProvider;
  idp = await startOidcIdp({ port: idpPort, redirectUris: [provider.oidc.redirectUrl] });
  await owner.gql(
    `mutation($input: UpdateIdentityProviderInput!) { updateIdentityProvider(input: $input) { id } }`,
    {
      input: {
        id: provider.id,
        oidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret },
      },
    },
  );
  await owner.gql(ENABLE_PROVIDER, { input: { id: provider.id, enabled: true } });
  idp.users.set('carol', { email: `carol@${domain}`, name: 'Carol' });
  idp.nextLogin = 'carol';
  // Another account's identity provider: a second real OpenID Provider with keys of its own.
  other = await startOidcIdp({ redirectUris: ['http://127.0.0.1:9/other/callback'] });
  other.users.set('carol', { email: `carol@${domain}`, name: 'Carol' });
  other.nextLogin = 'carol';
});

afterAll(async () => {
  await idp?.stop();
  await other?.stop();
  await s?.stop();
});

type Claims = JWTPayload & Record<string, unknown>;

/** The provider's ID token with `patch` applied to its claims, signed with the provider's key. */
async function resigned(token: string, patch: (c: Claims) => Claims): Promise<string> {
  const key = await importJWK(idp.privateJwk, 'RS256');
  const header = decodeProtectedHeader(token);
  return new SignJWT(patch(decodeJwt(token) as Claims))
    .setProtectedHeader({ alg: 'RS256', kid: header.kid })
    .sign(key);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A real ID token of the other provider, got by a code flow as its client. */
async function otherProvidersToken(): Promise<string> {
  const browser = new Browser();
  const cb = 'http://127.0.0.1:9/other/callback';
  const verifier = 'v'.repeat(50);
  const { createHash } = await import('node:crypto');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URL(`${other.issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: other.clientId,
    redirect_uri: cb,
    response_type: 'code',
    scope: 'openid email profile',
    nonce: 'other-nonce',
    state: 'other-state',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    auth.searchParams.set(k, v);
  const hop = await browser.follow(auth.href, { stopBefore: (u) => u.href.startsWith(cb) });
  const code = new URL(hop.url).searchParams.get('code')!;
  const res = await fetch(`${other.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${other.clientId}:${other.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: cb,
      code_verifier: verifier,
    }),
  });
  const body = (await res.json()) as { id_token: string };
  return body.id_token;
}

const cases: [string, (idToken: string) => Promise<string> | string, RegExp][] = [
  ['a wrong issuer', (t) => resigned(t, (c) => ({ ...c, iss: 'http://127.0.0.1:1/evil' })), /iss/],
  ['a wrong audience', (t) => resigned(t, (c) => ({ ...c, aud: 'someone-else' })), /aud/],
  [
    'another authorized party among several audiences',
    (t) =>
      resigned(t, (c) => ({ ...c, aud: [String(c.aud), 'someone-else'], azp: 'someone-else' })),
    /azp/,
  ],
  [
    'an expired ID token',
    (t) =>
      resigned(t, (c) => ({
        ...c,
        iat: Math.floor(Date.now() / 1000) - 7200,
        exp: Math.floor(Date.now() / 1000) - 3600,
      })),
    /exp|timestamp/,
  ],
  [
    'a bad signature',
    (t) => {
      const [h, p, sig] = t.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      return `${h}.${b64({ ...claims, email: `root@${domain}` })}.${sig}`;
    },
    /signature/,
  ],
  [
    'alg none',
    (t) => {
      const [, p] = t.split('.');
      return `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`;
    },
    /alg|algorithm/i,
  ],
  [
    'HS256 signed with the provider\'s public key as the "secret"',
    (t) => {
      const [, p] = t.split('.');
      const publicPem = createPublicKey({ key: idp.privateJwk as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: idp.privateJwk.kid })}.${p}`;
      return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    },
    /alg|algorithm/i,
  ],
  ['a nonce mismatch', (t) => resigned(t, (c) => ({ ...c, nonce: 'not-the-nonce' })), /nonce/],
  [
    "an ID token from another account's provider",
    () => otherProvidersToken(),
    /iss|signature|kid|key/i,
  ],
];

describe('ID token checks fail closed', () => {
  it.each(cases)('%s', async (_name, forge, reason) => {
    idp.tamper = async (body) => ({ ...body, id_token: await forge(String(body.id_token)) });
    const login = await ssoLogin(s, handle);
    expect(idp.tamper, 'the token endpoint was reached').toBeUndefined();
    expect(login.status).toBe(401);
    expect(login.code).toBeUndefined();
    expect(login.reason).toMatch(reason);
    expect(login.reason).not.toMatch(/127\.0\.0\.1|http:/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', reason);
  });
});

const atCallback = (u: URL) => u.pathname.endsWith('/callback');

describe('callback checks fail closed', () => {
  it('a state mismatch', async () => {
    const browser = new Browser();
    const hop = await browser.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    const url = new URL(hop.url);
    url.searchParams.set('state', 'forged-state');
    const res = await browser.request(url.href);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/state mismatch/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /state mismatch/);
  });

  it('a callback in another browser than the one that started the login', async () => {
    const browser = new Browser();
    const hop = await browser.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    const res = await new Browser().request(hop.url);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/another browser/);
  });

  it('a missing PKCE verifier', async () => {
    const browser = new Browser();
    const hop = await browser.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    // The login lost its verifier (a row written by something else than begin): no exchange.
    await s.stack.running.subgraphs
      .access!.orm.em.getConnection()
      .execute(
        'update sso_login_attempt set code_verifier_sealed = null where consumed_at is null',
      );
    const res = await browser.request(hop.url);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/PKCE verifier/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /PKCE verifier/);
  });

  it("a code injected into another login (the provider refuses the other login's verifier)", async () => {
    const victim = new Browser();
    const first = await victim.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    const second = await victim.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    const injected = new URL(second.url);
    injected.searchParams.set('code', new URL(first.url).searchParams.get('code')!);
    const res = await victim.request(injected.href);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/invalid_grant/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /invalid_grant/);
  });

  it('a replayed authorization code', async () => {
    const browser = new Browser();
    const hop = await browser.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    const ok = await browser.follow(hop.url);
    expect(ok.res!.status).toBe(200);
    // The same callback again: the login was used up.
    const replay = await browser.request(hop.url);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { reason: string }).reason).toMatch(
      /already completed|state mismatch/,
    );
    // The same code in a fresh login of the same browser: the provider refuses the used code.
    const fresh = await browser.follow(`${s.base}/auth/sso/${handle}/start`, {
      stopBefore: atCallback,
    });
    const again = new URL(fresh.url);
    again.searchParams.set('code', new URL(hop.url).searchParams.get('code')!);
    const res = await browser.request(again.href);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/invalid_grant/);
  });
});
