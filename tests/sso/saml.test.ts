import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../harness/stack.js';
import { Browser } from './browser.js';
import {
  CREATE_PROVIDER,
  ENABLE_PROVIDER,
  exchange,
  expectAudited,
  startSsoStack,
  uid,
  verifyDomain,
  type SsoStack,
} from './fixtures.js';
import {
  assertionXml,
  IDP_CERT,
  idOf,
  OTHER_CERT,
  OTHER_KEY,
  readForm,
  responseXml,
  sign,
  signedResponse,
  startSamlIdp,
  type AssertionOptions,
  type SamlIdp,
} from './saml-idp.js';

/**
 * SAML 2.0 single sign-on with an IdP that signs with a real RSA key (xml-crypto): the browser is
 * sent to its SSO URL with an AuthnRequest and posts the signed Response back to the ACS URL.
 * Every forged or unfit response is refused and audited.
 */
let s: SsoStack;
let owner: Actor;
let handle: string;
let idp: SamlIdp;
let unsolicitedIdp: SamlIdp;
let providerId: string;
let unsolicitedId: string;
let teamId: string;
const domain = `saml-${uid(3)}.test`;

const UPDATE = `mutation($input: UpdateIdentityProviderInput!) { updateIdentityProvider(input: $input) { id } }`;

async function samlProvider(allowIdpInitiated: boolean): Promise<{ id: string; idp: SamlIdp }> {
  const created = await owner.gql(CREATE_PROVIDER, {
    input: {
      accountId: owner.accountId,
      kind: 'SAML',
      name: `SAML ${uid(2)}`,
      saml: {
        idpEntityId: 'pending',
        ssoUrl: 'http://127.0.0.1:1/sso',
        idpCertificates: [IDP_CERT],
        allowIdpInitiated,
      },
      groupMappings: [{ group: 'ops', teamId }],
    },
  });
  expect(created.errors).toBeUndefined();
  const p = created.data.createIdentityProvider;
  expect(p.saml.acsUrl).toBe(`${s.base}/auth/sso/saml/${p.id}/acs`);
  const started = await startSamlIdp({ audience: p.saml.spEntityId, acsUrl: p.saml.acsUrl });
  const upd = await owner.gql(UPDATE, {
    input: {
      id: p.id,
      saml: {
        idpEntityId: started.entityId,
        ssoUrl: started.ssoUrl,
        idpCertificates: [IDP_CERT],
        allowIdpInitiated,
      },
    },
  });
  expect(upd.errors).toBeUndefined();
  await owner.gql(ENABLE_PROVIDER, { input: { id: p.id, enabled: true } });
  return { id: p.id, idp: started };
}

beforeAll(async () => {
  s = await startSsoStack();
  owner = await s.stack.signUp({ email: `owner@${domain}` });
  handle = (
    await owner.gql(`query($id: ID!) { account(id: $id) { handle } }`, { id: owner.accountId })
  ).data.account.handle;
  await verifyDomain(s, owner, domain);
  teamId = (
    await owner.gql(`mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`, {
      input: { accountId: owner.accountId, name: 'Ops' },
    })
  ).data.createTeam.id;
  ({ id: providerId, idp } = await samlProvider(false));
  ({ id: unsolicitedId, idp: unsolicitedIdp } = await samlProvider(true));
});

afterAll(async () => {
  await idp?.stop();
  await unsolicitedIdp?.stop();
  await s?.stop();
});

interface Outcome {
  status: number;
  code?: string;
  reason?: string;
}

/** start → IdP (its auto-post form) → ACS → the complete page, as a browser goes. */
async function samlLogin(
  respond?: (ctx: { options: AssertionOptions }) => string,
): Promise<
  Outcome & { browser: Browser; form: { action: string; fields: Record<string, string> } }
> {
  const browser = new Browser();
  const idpOrigin = new URL(idp.ssoUrl).origin;
  const hop = await browser.follow(`${s.base}/auth/sso/${handle}/start?provider=${providerId}`, {
    stopBefore: (u) => u.origin === idpOrigin,
  });
  expect(hop.stopped).toBe(true);
  idp.respond = respond;
  const page = await (await fetch(hop.url)).text();
  const form = readForm(page);
  const end = await browser.follow(form.action, { form: form.fields });
  const body = (await end.res!.json()) as { code?: string; reason?: string };
  return { status: end.res!.status, ...body, browser, form };
}

/** Posts a Response straight to a provider's ACS (an IdP-initiated or replayed post). */
async function post(id: string, xml: string, relayState?: string): Promise<Outcome> {
  const end = await new Browser().follow(`${s.base}/auth/sso/saml/${id}/acs`, {
    form: {
      SAMLResponse: Buffer.from(xml).toString('base64'),
      ...(relayState ? { RelayState: relayState } : {}),
    },
  });
  const body = (await end.res!.json()) as { code?: string; reason?: string };
  return { status: end.res!.status, ...body };
}

describe('SAML login', () => {
  it('serves SP metadata with the entity id and the ACS URL', async () => {
    const res = await fetch(`${s.base}/auth/sso/saml/${providerId}/metadata`);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${s.base}/auth/sso/saml/${providerId}/metadata"`);
    expect(xml).toContain(`Location="${s.base}/auth/sso/saml/${providerId}/acs"`);
  });

  it('signs a user of a verified domain in, provisions it and maps its groups to teams', async () => {
    idp.next = { nameId: `erin@${domain}`, email: `erin@${domain}`, groups: ['ops'] };
    const login = await samlLogin();
    expect(login.status, login.reason).toBe(200);
    expect(login.form.fields.RelayState).toBeTruthy();
    const { token, userId } = await exchange(s.stack, login.code!);
    const me = await s.stack.as(token).gql(`{ me { accounts { id myRole } } }`);
    expect(me.data.me.accounts).toEqual([{ id: owner.accountId, myRole: 'MEMBER' }]);
    const teams = await owner.gql(
      `query($id: ID!) { account(id: $id) { teams { id members { user { id } } } } }`,
      {
        id: owner.accountId,
      },
    );
    const ops = teams.data.account.teams.find((t: { id: string }) => t.id === teamId);
    expect(ops.members.map((m: { user: { id: string } }) => m.user.id)).toContain(userId);
  });
});

const refusals: [string, (ctx: { options: AssertionOptions }) => string, RegExp][] = [
  [
    'an unsigned assertion',
    ({ options }) => responseXml(options, assertionXml(options)),
    /signature/i,
  ],
  [
    'an assertion signed by another key',
    ({ options }) => {
      const a = assertionXml(options);
      return responseXml(options, sign(a, idOf(a), OTHER_KEY, OTHER_CERT));
    },
    /signature/i,
  ],
  [
    'signature wrapping: an injected unsigned assertion before the signed one',
    ({ options }) => {
      const good = assertionXml(options);
      const evil = assertionXml({ ...options, nameId: `root@${domain}`, email: `root@${domain}` });
      return responseXml(options, evil + sign(good, idOf(good)));
    },
    /assertions/,
  ],
  [
    'signature wrapping: an injected unsigned assertion after the signed one',
    ({ options }) => {
      const good = assertionXml(options);
      const evil = assertionXml({ ...options, nameId: `root@${domain}`, email: `root@${domain}` });
      return responseXml(options, sign(good, idOf(good)) + evil);
    },
    /assertions/,
  ],
  [
    'signature wrapping: the signed assertion hidden in Extensions, an evil one with its ID in its place',
    ({ options }) => {
      const good = assertionXml(options);
      const signed = sign(good, idOf(good));
      const evil = assertionXml({
        ...options,
        nameId: `root@${domain}`,
        email: `root@${domain}`,
        assertionId: idOf(good),
      });
      return responseXml(options, `<samlp:Extensions>${signed}</samlp:Extensions>${evil}`);
    },
    /assertions/,
  ],
  [
    'signature wrapping: an evil assertion inside the signed one',
    ({ options }) => {
      const good = assertionXml(options);
      const signed = sign(good, idOf(good));
      const evil = assertionXml({ ...options, nameId: `root@${domain}`, email: `root@${domain}` });
      return responseXml(options, signed.replace('</saml:Subject>', `</saml:Subject>${evil}`));
    },
    /assertions/,
  ],
  [
    'a signed assertion whose NameID was changed afterwards',
    ({ options }) => {
      const a = assertionXml(options);
      return responseXml(options, sign(a, idOf(a)).replace(options.nameId, `root@${domain}`));
    },
    /signature|digest/i,
  ],
  [
    'a wrong audience',
    ({ options }) => signedResponse({ ...options, audience: 'https://other.example/sp' }),
    /audience/i,
  ],
  [
    'a wrong recipient in the signed assertion (the Response names the right destination)',
    ({ options }) => {
      const a = assertionXml({ ...options, acsUrl: 'https://other.example/acs' });
      return responseXml(options, sign(a, idOf(a)));
    },
    /recipient/i,
  ],
  [
    'a wrong destination',
    ({ options }) => {
      const a = assertionXml(options);
      return responseXml({ ...options, acsUrl: 'https://other.example/acs' }, sign(a, idOf(a)));
    },
    /destination/i,
  ],
  [
    'an expired assertion',
    ({ options }) => signedResponse({ ...options, validFor: -600 }),
    /expired|NotOnOrAfter|subject confirmation/i,
  ],
  [
    'an assertion for another request (InResponseTo)',
    ({ options }) => signedResponse({ ...options, inResponseTo: '_not-our-request' }),
    /InResponseTo/,
  ],
  [
    'comment injection in the NameID',
    ({ options }) =>
      signedResponse({ ...options, nameId: `user@evil.test<!---->.${domain}`, email: undefined }),
    /comments/,
  ],
  [
    'a DTD with entity expansion',
    ({ options }) =>
      `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>` +
      signedResponse(options),
    /document type/,
  ],
];

describe('forged and unfit SAML responses are refused, with an audit entry', () => {
  it.each(refusals)('%s', async (_name, respond, reason) => {
    idp.next = { nameId: `erin@${domain}`, email: `erin@${domain}` };
    const login = await samlLogin(respond);
    expect(login.status).toBe(401);
    expect(login.code).toBeUndefined();
    expect(login.reason).toMatch(reason);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', reason);
  });

  it('an unsolicited response when IdP-initiated login is off', async () => {
    const options: AssertionOptions = {
      issuer: idp.entityId,
      audience: idp.audience,
      acsUrl: idp.acsUrl,
      inResponseTo: null,
      nameId: `erin@${domain}`,
      email: `erin@${domain}`,
    };
    const res = await post(providerId, signedResponse(options));
    expect(res.status).toBe(401);
    expect(res.reason).toMatch(/unsolicited/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /unsolicited/);
  });

  it('a replayed assertion (its id is taken once, IdP-initiated login on)', async () => {
    const options: AssertionOptions = {
      issuer: unsolicitedIdp.entityId,
      audience: unsolicitedIdp.audience,
      acsUrl: unsolicitedIdp.acsUrl,
      inResponseTo: null,
      nameId: `erin@${domain}`,
      email: `erin@${domain}`,
    };
    const xml = signedResponse(options);
    const first = await post(unsolicitedId, xml);
    expect(first.status, first.reason).toBe(200);
    expect(first.code).toMatch(/^fpssoc_/);
    const again = await post(unsolicitedId, xml);
    expect(again.status).toBe(401);
    expect(again.reason).toMatch(/replay/);
    await expectAudited(owner, owner.accountId, 'sso.login-failed', /replay/);
  });

  it('a replayed response of an SP-initiated login (its login is used up)', async () => {
    idp.next = { nameId: `erin@${domain}`, email: `erin@${domain}` };
    const login = await samlLogin();
    expect(login.status).toBe(200);
    const again = await login.browser.follow(login.form.action, { form: login.form.fields });
    expect(again.res!.status).toBe(401);
  });
});
