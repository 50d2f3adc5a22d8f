import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadEnv, parseKey, SSO_KEY_FILE, ssoEncryptionKey } from '../../lib/env.js';
import { dumpTables } from '../harness/db.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { CREATE_PROVIDER } from './fixtures.js';

describe('SSO_ENCRYPTION_KEY', () => {
  it('is read like BLOCK_ENCRYPTION_KEY: 32 bytes, a bad value names the variable', () => {
    const key = randomBytes(32);
    expect(loadEnv({ SSO_ENCRYPTION_KEY: key.toString('base64') }).ssoKey).toEqual(key);
    expect(() => loadEnv({ SSO_ENCRYPTION_KEY: 'short' })).toThrow(/SSO_ENCRYPTION_KEY/);
  });

  it('embedded SQLite without it: a private key file, generated once; required elsewhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-sso-key-'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const first = ssoEncryptionKey(loadEnv({ DATA_DIR: dir }), 'embedded');
    const file = join(dir, SSO_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseKey(readFileSync(file, 'utf8'))).toEqual(first);
    expect(ssoEncryptionKey(loadEnv({ DATA_DIR: dir }), 'embedded')).toEqual(first);
    expect(warn.mock.calls.flat().join(' ')).not.toContain(first.toString('base64'));
    warn.mockRestore();
    expect(() => ssoEncryptionKey(loadEnv({ DATA_DIR: dir }), 'alone')).toThrow(
      /SSO_ENCRYPTION_KEY: required/,
    );
    expect(() =>
      ssoEncryptionKey(loadEnv({ DATA_DIR: dir, NODE_ENV: 'production' }), 'embedded'),
    ).toThrow(/SSO_ENCRYPTION_KEY: required/);
  });
});

describe('identity provider secrets', () => {
  let stack: Stack;
  let owner: Actor;
  const secret = `client-secret-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    stack = await startStack();
    owner = await stack.signUp();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('are stored sealed, never returned, and audited without their value', async () => {
    const created = await owner.gql(CREATE_PROVIDER, {
      input: {
        accountId: owner.accountId,
        kind: 'OIDC',
        name: 'Okta',
        oidc: { issuer: 'https://idp.example.test', clientId: 'fp', clientSecret: secret },
      },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createIdentityProvider.oidc.clientSecretSet).toBe(true);
    const read = await owner.gql(
      `query($id: ID!) { account(id: $id) { identityProviders { id name oidc { issuer clientId scopes clientSecretSet redirectUrl } } } }`,
      { id: owner.accountId },
    );
    expect(JSON.stringify(read.data)).not.toContain(secret);
    for (const name of ['access', 'users', 'workspaces', 'operations'] as const) {
      expect(await dumpTables(stack.running.subgraphs[name]!.orm), name).not.toContain(secret);
    }
    // Bad settings are refused, naming the field (http issuer, an HMAC algorithm).
    const bad = await owner.gql(CREATE_PROVIDER, {
      input: {
        accountId: owner.accountId,
        kind: 'OIDC',
        name: 'Bad',
        oidc: { issuer: 'http://idp.example.test', clientId: 'fp' },
      },
    });
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'oidc.issuer',
    });
    const alg = await owner.gql(CREATE_PROVIDER, {
      input: {
        accountId: owner.accountId,
        kind: 'OIDC',
        name: 'Bad',
        oidc: { issuer: 'https://idp.example.test', clientId: 'fp', idTokenSigningAlg: 'HS256' },
      },
    });
    expect(alg.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'oidc.idTokenSigningAlg',
    });
    const count = await owner.gql(
      `query($id: ID!) { account(id: $id) { identityProviders { id } } }`,
      {
        id: owner.accountId,
      },
    );
    expect(count.data.account.identityProviders).toHaveLength(1);
  });
});
