import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import type { Actor } from '../harness/stack.js';
import {
  auditEntries,
  CREATE_PROVIDER,
  ENABLE_PROVIDER,
  exchange,
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
 * Single sign-on with a real OpenID Provider (oidc-provider on a loopback port): the browser is
 * sent to the IdP and back by redirects, just-in-time provisioning creates the user and the
 * membership, IdP groups map to teams, and the one-time code becomes a session.
 */
let s: SsoStack;
let idp: OidcIdp;
let owner: Actor;
let handle: string;
let providerId: string;
let teamId: string;
const domain = `acme-${uid(3)}.test`;

beforeAll(async () => {
  s = await startSsoStack();
  owner = await s.stack.signUp({ email: `owner@${domain}` });
  const me = await owner.gql(`query($id: ID!) { account(id: $id) { handle } }`, {
    id: owner.accountId,
  });
  handle = me.data.account.handle;
  await verifyDomain(s, owner, domain);
  const team = await owner.gql(
    `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`,
    {
      input: { accountId: owner.accountId, name: 'Engineers' },
    },
  );
  teamId = team.data.createTeam.id;
  const idpPort = await freePort();
  const created = await owner.gql(CREATE_PROVIDER, {
    input: {
      accountId: owner.accountId,
      kind: 'OIDC',
      name: 'Test IdP',
      oidc: {
        issuer: `http://127.0.0.1:${idpPort}`,
        clientId: 'flowplane',
        clientSecret: 'placeholder',
      },
      groupMappings: [{ group: 'eng', teamId }],
    },
  });
  expect(created.errors).toBeUndefined();
  providerId = created.data.createIdentityProvider.id;
  const redirectUrl = created.data.createIdentityProvider.oidc.redirectUrl as string;
  expect(redirectUrl).toBe(`${s.base}/auth/sso/oidc/${providerId}/callback`);
  idp = await startOidcIdp({ port: idpPort, redirectUris: [redirectUrl] });
  const upd = await owner.gql(
    `mutation($input: UpdateIdentityProviderInput!) { updateIdentityProvider(input: $input) { id oidc { clientSecretSet } } }`,
    {
      input: {
        id: providerId,
        oidc: {
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientSecret: idp.clientSecret,
          scopes: 'openid email profile groups',
        },
      },
    },
  );
  expect(upd.errors).toBeUndefined();
  const test = await owner.gql(
    `mutation($id: ID!) { testIdentityProvider(id: $id) { ok message } }`,
    { id: providerId },
  );
  expect(test.data.testIdentityProvider).toMatchObject({ ok: true });
  const en = await owner.gql(ENABLE_PROVIDER, { input: { id: providerId, enabled: true } });
  expect(en.errors).toBeUndefined();
});

afterAll(async () => {
  await idp?.stop();
  await s?.stop();
});

const TEAM_MEMBERS = `query($id: ID!) { account(id: $id) { teams { id members { user { id } } } } }`;

async function teamMemberIds(): Promise<string[]> {
  const res = await owner.gql(TEAM_MEMBERS, { id: owner.accountId });
  expect(res.errors).toBeUndefined();
  const team = res.data.account.teams.find((t: { id: string }) => t.id === teamId);
  return team.members.map((m: { user: { id: string } | null }) => m.user?.id);
}

describe('OIDC login', () => {
  it('provisions an unknown user of a verified domain with membership and mapped team, and hands out a session through a one-time code', async () => {
    idp.users.set('alice', {
      email: `alice@${domain}`,
      name: 'Alice Example',
      groups: ['eng', 'other'],
    });
    idp.nextLogin = 'alice';
    const login = await ssoLogin(s, handle);
    expect(login.status, login.reason).toBe(200);
    expect(login.code).toMatch(/^fpssoc_/);
    // The token never was in a URL: only the code was.
    expect(login.browser.visited.some((u) => u.includes('fpsess_'))).toBe(false);
    const { token, userId } = await exchange(s.stack, login.code!);
    const me = await s.stack.as(token).gql(`{ me { user { name } accounts { id myRole } } }`);
    expect(me.errors).toBeUndefined();
    expect(me.data.me.user.name).toBe('Alice Example');
    expect(me.data.me.accounts).toEqual([{ id: owner.accountId, myRole: 'MEMBER' }]);
    expect(await teamMemberIds()).toContain(userId);
    // The code works once.
    const again = await s.stack.gql(
      `mutation($input: ExchangeSsoCodeInput!) { exchangeSsoCode(input: $input) { token } }`,
      { input: { code: login.code } },
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await expectAudited(owner, owner.accountId, 'user.provisioned');
    const logins = await auditEntries(owner, owner.accountId, 'user.logged-in');
    expect(logins.some((e) => e.summary.method === 'sso' && e.actor.id === userId)).toBe(true);
  });

  it('a later login keeps the team mapping in step with the groups', async () => {
    idp.users.set('bob', { email: `bob@${domain}`, name: 'Bob', groups: ['eng'] });
    idp.nextLogin = 'bob';
    const first = await ssoLogin(s, handle);
    const { userId } = await exchange(s.stack, first.code!);
    expect(await teamMemberIds()).toContain(userId);
    idp.users.set('bob', { email: `bob@${domain}`, name: 'Bob', groups: [] });
    const second = await ssoLogin(s, handle);
    expect(second.status, second.reason).toBe(200);
    expect(await teamMemberIds()).not.toContain(userId);
  });

  it('follows a rotation of the signing key (a new kid is fetched from the JWKS)', async () => {
    idp.users.set('dora', { email: `dora@${domain}`, name: 'Dora' });
    idp.nextLogin = 'dora';
    expect((await ssoLogin(s, handle)).status).toBe(200);
    const { port, clientId, clientSecret } = idp;
    const oldKid = idp.privateJwk.kid;
    await idp.stop();
    idp = await startOidcIdp({
      port,
      clientId,
      clientSecret,
      redirectUris: [`${s.base}/auth/sso/oidc/${providerId}/callback`],
    });
    expect(idp.privateJwk.kid).not.toBe(oldKid);
    idp.users.set('dora', { email: `dora@${domain}`, name: 'Dora' });
    idp.nextLogin = 'dora';
    const after = await ssoLogin(s, handle);
    expect(after.status, after.reason).toBe(200);
  });

  it('a deactivated member cannot sign in through SSO, and the SSO sessions of that account end', async () => {
    idp.users.set('erin', { email: `erin@${domain}`, name: 'Erin' });
    idp.nextLogin = 'erin';
    const { token, userId } = await exchange(s.stack, (await ssoLogin(s, handle)).code!);
    expect((await s.stack.as(token).gql(`{ me { user { id } } }`)).errors).toBeUndefined();
    const off = await owner.gql(
      `mutation($input: SetMembershipActiveInput!) { setMembershipActive(input: $input) { active } }`,
      { input: { accountId: owner.accountId, principalId: userId, active: false } },
    );
    expect(off.errors).toBeUndefined();
    await eventually(async () => {
      const me = await s.stack.as(token).gql(`{ me { user { id } } }`);
      expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
    const again = await ssoLogin(s, handle);
    expect(again.status).toBe(403);
    expect(again.reason).toMatch(/deactivated/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /deactivated/);
  });

  it('refuses an email outside the verified domains, with an audit entry', async () => {
    idp.users.set('mallory', { email: `mallory@elsewhere-${uid(2)}.test`, name: 'M' });
    idp.nextLogin = 'mallory';
    const login = await ssoLogin(s, handle);
    expect(login.status).toBe(401);
    expect(login.code).toBeUndefined();
    expect(login.reason).toMatch(/not a verified domain/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /not a verified domain/);
  });

  it('an account without SSO and an unknown account answer alike, naming nothing', async () => {
    const other = await s.stack.signUp();
    const h = (
      await other.gql(`query($id: ID!) { account(id: $id) { handle } }`, { id: other.accountId })
    ).data.account.handle;
    const a = await ssoLogin(s, h);
    const b = await ssoLogin(s, `nobody-${uid(3)}`);
    expect([a.status, b.status]).toEqual([404, 404]);
    expect(a.reason).toBe(b.reason);
  });
});
