import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
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
 * Verified domains and SSO enforcement: a domain is proved by a DNS TXT record (a real DNS server
 * on a loopback port answers); with enforcement on, users of the domain sign in through the
 * account's IdP only, except holders of bypass:sso (Owners, or a custom role with it).
 */
let s: SsoStack;
let idp: OidcIdp;
let owner: Actor;
let handle: string;
const domain = `corp-${uid(3)}.test`;

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { token } }`;
const SETTINGS = `mutation($input: UpdateSsoSettingsInput!) { updateSsoSettings(input: $input) { enforced } }`;
const VERIFY = `mutation($input: VerifySsoDomainInput!) { verifySsoDomain(input: $input) { verified reason domain { verified } } }`;

beforeAll(async () => {
  s = await startSsoStack();
  owner = await s.stack.signUp({ email: `owner@${domain}` });
  handle = (
    await owner.gql(`query($id: ID!) { account(id: $id) { handle } }`, { id: owner.accountId })
  ).data.account.handle;
});

afterAll(async () => {
  await idp?.stop();
  await s?.stop();
});

describe('domain verification', () => {
  const claimed = `claimed-${uid(3)}.test`;
  const DOMAINS = `query($id: ID!) { account(id: $id) { ssoDomains { domain verified txtRecordName txtRecordValue } } }`;

  it('refuses a domain whose TXT record is missing, then one whose record is wrong, and accepts the right one', async () => {
    const set = await owner.gql(
      `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
      { input: { accountId: owner.accountId, allowedSsoDomains: [claimed] } },
    );
    expect(set.errors).toBeUndefined();
    let claim: { txtRecordName: string; txtRecordValue: string; verified: boolean } | undefined;
    await eventually(async () => {
      const res = await owner.gql(DOMAINS, { id: owner.accountId });
      claim = res.data.account.ssoDomains.find((d: { domain: string }) => d.domain === claimed);
      expect(claim).toBeDefined();
    });
    expect(claim!.verified).toBe(false);
    expect(claim!.txtRecordName).toBe(`_flowplane-challenge.${claimed}`);
    const before = s.dns.queries;

    const missing = await owner.gql(VERIFY, {
      input: { accountId: owner.accountId, domain: claimed },
    });
    expect(missing.data.verifySsoDomain).toMatchObject({
      verified: false,
      domain: { verified: false },
    });
    expect(missing.data.verifySsoDomain.reason).toMatch(/No TXT record/);
    expect(s.dns.queries).toBeGreaterThan(before);

    s.dns.txt.set(claim!.txtRecordName, [
      'flowplane-domain-verification=not-the-token',
      'v=spf1 -all',
    ]);
    const wrong = await owner.gql(VERIFY, {
      input: { accountId: owner.accountId, domain: claimed },
    });
    expect(wrong.data.verifySsoDomain).toMatchObject({ verified: false });
    expect(wrong.data.verifySsoDomain.reason).toMatch(/another verification value/);
    await expectAudited(
      owner,
      owner.accountId,
      'sso-domain.verification-failed',
      /another verification value/,
    );

    s.dns.txt.set(claim!.txtRecordName, ['v=spf1 -all', claim!.txtRecordValue]);
    const right = await owner.gql(VERIFY, {
      input: { accountId: owner.accountId, domain: claimed },
    });
    expect(right.data.verifySsoDomain).toMatchObject({ verified: true, reason: null });
    await expectAudited(owner, owner.accountId, 'sso-domain.verified');
  });

  it('refuses a domain the account has not claimed, and one another account verified', async () => {
    const res = await owner.gql(VERIFY, {
      input: { accountId: owner.accountId, domain: `x-${uid(2)}.test` },
    });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions!.field).toBe('domain');
    const rival = await s.stack.signUp();
    await rival.gql(
      `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
      { input: { accountId: rival.accountId, allowedSsoDomains: [claimed] } },
    );
    await eventually(async () => {
      const r = await rival.gql(VERIFY, { input: { accountId: rival.accountId, domain: claimed } });
      expect(codes(r)).toEqual(['CONFLICT']);
    });
  });
});

describe('enforcement', () => {
  let bob: Actor;
  let bobKey: string;
  let admin: Actor;
  let trusted: Actor;

  beforeAll(async () => {
    await verifyDomain(s, owner, domain);
    const idpPort = await freePort();
    const created = await owner.gql(CREATE_PROVIDER, {
      input: {
        accountId: owner.accountId,
        kind: 'OIDC',
        name: 'Corp IdP',
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
    // Before an IdP is enabled, enforcement is refused (nobody could sign in).
    const early = await owner.gql(SETTINGS, {
      input: { accountId: owner.accountId, enforced: true },
    });
    expect(codes(early)).toEqual(['BAD_USER_INPUT']);
    expect(early.errors![0]!.extensions!.field).toBe('enforced');
    await owner.gql(ENABLE_PROVIDER, { input: { id: provider.id, enabled: true } });

    // Password users of the domain, signed up before enforcement.
    bob = await joinAs(`bob-${uid(2)}@${domain}`, 'MEMBER');
    admin = await joinAs(`admin-${uid(2)}@${domain}`, 'ADMIN');
    trusted = await joinAs(`trusted-${uid(2)}@${domain}`, 'MEMBER');
    const key = await bob.gql(`mutation { createApiKey(input: { name: "ci" }) { key } }`);
    bobKey = key.data.createApiKey.key;
    // A custom account role with bypass:sso, given to one member.
    const role = await owner.gql(
      `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
      {
        input: {
          accountId: owner.accountId,
          name: `breakglass-${uid(2)}`,
          level: 'ACCOUNT',
          permissions: ['bypass:sso'],
        },
      },
    );
    expect(role.errors).toBeUndefined();
    const bound = await owner.gql(
      `mutation($input: SetAccountCustomRoleInput!) { setAccountCustomRole(input: $input) { id } }`,
      {
        input: {
          accountId: owner.accountId,
          roleId: role.data.createRole.id,
          userId: trusted.userId,
        },
      },
    );
    expect(bound.errors).toBeUndefined();

    // As after an upgrade: single sign-on has seen none of the memberships yet. Enforcement
    // must still know the Owner (the workspaces subgraph tells every membership when it starts).
    await s.stack.running.subgraphs
      .access!.orm.em.getConnection()
      .execute('delete from sso_member where account_id = ?', [owner.accountId]);
    const on = await owner.gql(SETTINGS, { input: { accountId: owner.accountId, enforced: true } });
    expect(on.errors).toBeUndefined();
    expect(on.data.updateSsoSettings.enforced).toBe(true);
  });

  async function joinAs(email: string, role: 'MEMBER' | 'ADMIN'): Promise<Actor> {
    const signedUp = await s.stack.signUp({ email, handle: `u-${uid(4)}` });
    const { code } = (
      await owner.gql(
        `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { code } }`,
        {
          input: { accountId: owner.accountId, email, accountRole: role },
        },
      )
    ).data.inviteMember;
    const acc = await signedUp.gql(
      `mutation($code: String!) { acceptInvitation(input: { code: $code }) { id } }`,
      { code },
    );
    expect(acc.errors).toBeUndefined();
    return signedUp;
  }

  it('ends the password sessions of affected users at once; their API keys stay', async () => {
    await eventually(async () => {
      expect(codes(await bob.gql(`{ me { user { id } } }`))).toEqual(['UNAUTHENTICATED']);
    });
    const withKey = await s.stack.as(bobKey).gql(`{ me { user { id } } }`);
    expect(withKey.errors).toBeUndefined();
    const revoked = await auditEntries(owner, owner.accountId, 'session.revoked');
    expect(
      revoked.some((e) => e.summary.reason === 'sso-enforced' && e.summary.userId === bob.userId),
    ).toBe(true);
    // The owner's and the bypass holder's sessions are theirs still.
    expect((await owner.gql(`{ me { user { id } } }`)).errors).toBeUndefined();
    expect((await trusted.gql(`{ me { user { id } } }`)).errors).toBeUndefined();
  });

  it('refuses password sign-in of a member and an Admin of the domain with a clear error, audited', async () => {
    for (const who of [bob, admin]) {
      const res = await s.stack.gql(SIGN_IN, {
        input: { email: who.email, password: who.password },
      });
      expect(codes(res)).toEqual(['FORBIDDEN']);
      expect(res.errors![0]!.message).toMatch(/Single sign-on is required/);
      expect(res.errors![0]!.extensions).toMatchObject({ ssoRequired: true, field: 'email' });
    }
    await eventually(async () => {
      const refused = await auditEntries(owner, owner.accountId, 'user.login-refused');
      expect(refused.map((e) => e.summary.userId)).toEqual(
        expect.arrayContaining([bob.userId, admin.userId]),
      );
    });
    // A wrong password still says only that (enforcement is not disclosed to a guesser).
    const guess = await s.stack.gql(SIGN_IN, {
      input: { email: bob.email, password: 'Wrong-password-1' },
    });
    expect(codes(guess)).toEqual(['UNAUTHENTICATED']);
  });

  it('lets the Owner and a holder of bypass:sso through a custom role sign in with a password', async () => {
    for (const who of [owner, trusted]) {
      const res = await s.stack.gql(SIGN_IN, {
        input: { email: who.email, password: who.password },
      });
      expect(res.errors, who.email).toBeUndefined();
      expect(res.data.signIn.token).toMatch(/^fpsess_/);
    }
  });

  it('refuses a password sign-up in the domain; the IdP signs the same user in', async () => {
    const email = `newbie-${uid(2)}@${domain}`;
    const res = await s.stack.gql(
      `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
      { input: { email, password: `Pw-${uid()}-Aa1!`, handle: `n-${uid(3)}` } },
    );
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions!.field).toBe('email');
    idp.users.set('bob', { email: bob.email, name: 'Bob' });
    idp.nextLogin = 'bob';
    const login = await ssoLogin(s, handle);
    expect(login.status, login.reason).toBe(200);
    const session = await exchange(s.stack, login.code!);
    expect(session.userId).toBe(bob.userId);
    expect((await s.stack.as(session.token).gql(`{ me { user { id } } }`)).errors).toBeUndefined();
  });

  it('turning enforcement off gives password sign-in back', async () => {
    const off = await owner.gql(SETTINGS, {
      input: { accountId: owner.accountId, enforced: false },
    });
    expect(off.errors).toBeUndefined();
    await eventually(async () => {
      const res = await s.stack.gql(SIGN_IN, {
        input: { email: bob.email, password: bob.password },
      });
      expect(res.errors).toBeUndefined();
    });
    await expectAudited(owner, owner.accountId, 'sso-settings.updated');
  });
});
