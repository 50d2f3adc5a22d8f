/**
 * The protected operations of single sign-on and SCIM configuration (access subgraph), one entry
 * each, for the permission matrix (spread into OPERATIONS of operations.ts).
 */
import { expect } from 'vitest';
import type { OperationFixture, ProtectedOperation } from './operation-types.js';
import { uid } from './stack.js';

const CREATE = `mutation($input: CreateIdentityProviderInput!) { createIdentityProvider(input: $input) { id } }`;

/** An OIDC provider of the fixture's account, made by its owner (unreachable issuer). */
async function providerOf(fx: OperationFixture): Promise<string> {
  const res = await fx.owner.gql(CREATE, {
    input: {
      accountId: fx.accountId,
      kind: 'OIDC',
      name: `idp-${uid(3)}`,
      oidc: { issuer: 'https://127.0.0.1:9/issuer', clientId: 'matrix', clientSecret: 's3cret' },
    },
  });
  expect(res.errors, 'preparing an identity provider').toBeUndefined();
  return res.data.createIdentityProvider.id;
}

const shared = new WeakMap<OperationFixture, Promise<string>>();
const sharedProvider = (fx: OperationFixture) => {
  if (!shared.has(fx)) shared.set(fx, providerOf(fx));
  return shared.get(fx)!;
};

const claimed = new WeakMap<OperationFixture, Promise<string>>();
/** A domain the account claims (its TXT record is nowhere: verification answers not verified). */
const claimedDomain = (fx: OperationFixture) => {
  if (!claimed.has(fx))
    claimed.set(
      fx,
      (async () => {
        const domain = `matrix-${uid(3)}.test`;
        const res = await fx.owner.gql(
          `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
          { input: { accountId: fx.accountId, allowedSsoDomains: [domain] } },
        );
        expect(res.errors, 'claiming a domain').toBeUndefined();
        return domain;
      })(),
    );
  return claimed.get(fx)!;
};

export const SSO_OPERATIONS: ProtectedOperation[] = [
  {
    name: 'createIdentityProvider',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: (fx, a) =>
      a.gql(CREATE, {
        input: {
          accountId: fx.accountId,
          kind: 'OIDC',
          name: `idp-${uid(3)}`,
          oidc: { issuer: 'https://127.0.0.1:9/issuer', clientId: 'm' },
        },
      }),
  },
  {
    name: 'updateIdentityProvider',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: UpdateIdentityProviderInput!) { updateIdentityProvider(input: $input) { id } }`,
        { input: { id: await sharedProvider(fx), name: `renamed-${uid(2)}` } },
      ),
  },
  {
    name: 'setIdentityProviderEnabled',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: SetIdentityProviderEnabledInput!) { setIdentityProviderEnabled(input: $input) { id } }`,
        { input: { id: await sharedProvider(fx), enabled: false } },
      ),
  },
  {
    name: 'testIdentityProvider',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { testIdentityProvider(id: $id) { ok } }`, {
        id: await sharedProvider(fx),
      }),
  },
  {
    name: 'deleteIdentityProvider',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteIdentityProvider(id: $id) }`, { id: await providerOf(fx) }),
  },
  {
    name: 'updateSsoSettings',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: (fx, a) =>
      a.gql(
        `mutation($input: UpdateSsoSettingsInput!) { updateSsoSettings(input: $input) { enforced } }`,
        { input: { accountId: fx.accountId, jitProvisioning: true } },
      ),
  },
  {
    name: 'verifySsoDomain',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: VerifySsoDomainInput!) { verifySsoDomain(input: $input) { verified } }`,
        { input: { accountId: fx.accountId, domain: await claimedDomain(fx) } },
      ),
  },
  {
    name: 'rotateScimToken',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: (fx, a) =>
      a.gql(`mutation($id: ID!) { rotateScimToken(accountId: $id) { baseUrl } }`, {
        id: fx.accountId,
      }),
  },
  {
    name: 'revokeScimToken',
    level: 'ACCOUNT',
    permission: 'administrate:sso',
    run: (fx, a) =>
      a.gql(`mutation($id: ID!) { revokeScimToken(accountId: $id) { enforced } }`, {
        id: fx.accountId,
      }),
  },
  {
    name: 'Account.identityProviders',
    level: 'ACCOUNT',
    permission: 'read:sso',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { identityProviders { id } } }`, {
        id: fx.accountId,
      }),
  },
  {
    name: 'Account.ssoSettings',
    level: 'ACCOUNT',
    permission: 'read:sso',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { ssoSettings { enforced } } }`, {
        id: fx.accountId,
      }),
  },
  {
    name: 'Account.ssoDomains',
    level: 'ACCOUNT',
    permission: 'read:sso',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { ssoDomains { domain } } }`, {
        id: fx.accountId,
      }),
  },
];
