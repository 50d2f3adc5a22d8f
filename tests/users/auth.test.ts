import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateApiKeyDocument,
  MeDocument,
  RevokeApiKeyDocument,
  SignInDocument,
  SignOutDocument,
  SignUpDocument,
  UpdateProfileDocument,
} from '../generated/graphql.js';
import { codes } from '../harness/client.js';
import { startStack, uid, type Stack } from '../harness/stack.js';
import { dumpTables } from '../harness/db.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const input = (over: Record<string, unknown> = {}) => {
  const handle = `h-${uid()}`;
  return { handle, email: `${handle}@example.test`, password: 'Correct-Horse-9', ...over };
};

async function userCount(): Promise<number> {
  const rows = await stack.running.subgraphs
    .users!.orm.em.getConnection()
    .execute('select count(*) as n from "user"');
  return Number(rows[0].n);
}

describe('sign-up and sign-in', () => {
  it('signs up, provisions exactly one account, and answers me', async () => {
    const alice = await stack.signUp();
    const me = await alice.gql(MeDocument);
    expect(me.errors).toBeUndefined();
    expect(me.data?.me.kind).toBe('USER');
    expect(me.data?.me.user?.handle).toBe(alice.handle);
    expect(me.data?.me.user?.email).toBe(alice.email);
    expect(me.data?.me.sessions.filter((s) => s.current)).toHaveLength(1);
    const accounts = await alice.gql(`{ me { accounts { id handle myRole } } }`);
    expect(accounts.data.me.accounts).toHaveLength(1);
    expect(accounts.data.me.accounts[0].myRole).toBe('OWNER');
  });

  it('rejects bad input with the right code and field, and changes nothing', async () => {
    const taken = await stack.signUp();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ handle: 'Not A Handle' }, 'BAD_USER_INPUT', 'handle'],
      [{ handle: '-x' }, 'BAD_USER_INPUT', 'handle'],
      [{ email: 'nope' }, 'BAD_USER_INPUT', 'email'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'BAD_USER_INPUT', 'timezone'],
      [{ password: 'short' }, 'BAD_USER_INPUT', 'password'],
      [{ password: 'alllowercaseletters' }, 'BAD_USER_INPUT', 'password'],
      [{ handle: taken.handle }, 'CONFLICT', 'handle'],
      // A registered email is not disclosed: the answer of a wrong password (tests/security).
      [{ email: taken.email.toUpperCase() }, 'UNAUTHENTICATED', 'password'],
    ];
    const before = await userCount();
    for (const [over, code, field] of cases) {
      const res = await stack.gql(SignUpDocument, { input: input(over) as any });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]?.extensions, JSON.stringify(over)).toMatchObject({ code, field });
    }
    expect(await userCount()).toBe(before);
  });

  it('accepts a valid time zone and rejects an unknown one on profile update', async () => {
    const bob = await stack.signUp();
    const ok = await bob.gql(UpdateProfileDocument, {
      input: { timezone: 'America/New_York', colorMode: 'DARK', name: 'Bob B' },
    });
    expect(ok.data?.updateProfile).toMatchObject({
      timezone: 'America/New_York',
      colorMode: 'DARK',
      name: 'Bob B',
    });
    const bad = await bob.gql(UpdateProfileDocument, {
      input: { timezone: 'Europe/Atlantis', name: 'Changed' },
    });
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'timezone',
    });
    const me = await bob.gql(MeDocument);
    expect(me.data?.me.user).toMatchObject({ timezone: 'America/New_York', name: 'Bob B' });
  });

  it('signs in with the right password only, and sign-out ends that session', async () => {
    const carol = await stack.signUp();
    const wrong = await stack.gql(SignInDocument, {
      input: { email: carol.email, password: 'Wrong-Password-1' },
    });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      field: 'password',
    });
    const unknown = await stack.gql(SignInDocument, {
      input: { email: 'nobody@example.test', password: 'Wrong-Password-1' },
    });
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
    const ok = await stack.gql(SignInDocument, {
      input: { email: carol.email, password: carol.password },
    });
    const token = ok.data!.signIn.token;
    expect((await stack.as(token).gql(MeDocument)).data?.me.id).toBe(carol.userId);
    expect((await stack.as(token).gql(SignOutDocument)).data?.signOut).toBe(true);
    const after = await stack.as(token).gql(MeDocument);
    expect(after.status).toBe(401);
    expect(codes(after)).toEqual(['UNAUTHENTICATED']);
    // The first session is untouched.
    expect((await carol.gql(MeDocument)).data?.me.id).toBe(carol.userId);
  });

  it('answers UNAUTHENTICATED for me without credentials', async () => {
    const res = await stack.gql(MeDocument);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('API keys', () => {
  it('shows a typed key once, then only masked, and it authenticates', async () => {
    const dave = await stack.signUp();
    const created = await dave.gql(CreateApiKeyDocument, { input: { name: 'ci' } });
    const key = created.data!.createApiKey.key;
    expect(key).toMatch(/^fpu_[A-Za-z0-9_-]{43}$/);
    expect(created.data!.createApiKey.apiKey.masked).toBe(`fpu_…${key.slice(-4)}`);
    const me = await stack.as(key).gql(MeDocument);
    expect(me.data?.me.id).toBe(dave.userId);
    const listed = await dave.gql(MeDocument);
    expect(JSON.stringify(listed.data)).not.toContain(key);
    expect(listed.data?.me.apiKeys[0]).toMatchObject({ name: 'ci', active: true });
  });

  it('stops a revoked key on the very next request', async () => {
    const erin = await stack.signUp();
    const { key, apiKey } = (await erin.gql(CreateApiKeyDocument, { input: { name: 'temp' } }))
      .data!.createApiKey;
    expect((await stack.as(key).gql(MeDocument)).data?.me.id).toBe(erin.userId); // now cached
    const revoked = await erin.gql(RevokeApiKeyDocument, { id: apiKey.id });
    expect(revoked.data?.revokeApiKey.active).toBe(false);
    const next = await stack.as(key).gql(MeDocument);
    expect(next.status).toBe(401);
    expect(codes(next)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses malformed and expired keys, and a past expiry at creation', async () => {
    const frank = await stack.signUp();
    for (const bad of ['fpu_nope', 'x'.repeat(600), '']) {
      expect(codes(await stack.as(bad).gql(MeDocument))).toEqual(['UNAUTHENTICATED']);
    }
    const past = await frank.gql(CreateApiKeyDocument, {
      input: { name: 'old', expiresAt: '2020-01-01T00:00:00Z' },
    });
    expect(past.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'expiresAt',
    });
    const soon = new Date(Date.now() + 3600_000).toISOString();
    const { key, apiKey } = (
      await frank.gql(CreateApiKeyDocument, { input: { name: 'soon', expiresAt: soon } })
    ).data!.createApiKey;
    // Time passes: the key's expiry is now behind us.
    await stack.running.subgraphs
      .users!.orm.em.fork()
      .nativeUpdate('ApiKey', { id: apiKey.id }, { expiresAt: new Date(Date.now() - 1000) });
    expect(codes(await stack.as(key).gql(MeDocument))).toEqual(['UNAUTHENTICATED']);
  });

  it('another user cannot revoke my key (NOT_FOUND)', async () => {
    const a = await stack.signUp();
    const b = await stack.signUp();
    const { apiKey } = (await a.gql(CreateApiKeyDocument, { input: { name: 'mine' } })).data!
      .createApiKey;
    expect(codes(await b.gql(RevokeApiKeyDocument, { id: apiKey.id }))).toEqual(['NOT_FOUND']);
  });
});

describe('secrets never stored or echoed', () => {
  it('keeps no plaintext password, session token or key in any table or log line', async () => {
    const lines: string[] = [];
    const orig = { log: console.log, error: console.error, warn: console.warn };
    for (const k of ['log', 'error', 'warn'] as const) {
      console[k] = (...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
        orig[k](...args);
      };
    }
    try {
      const password = `Secret-${uid()}-Zz9`;
      const gina = await stack.signUp({ password });
      const { key } = (await gina.gql(CreateApiKeyDocument, { input: { name: 'k' } })).data!
        .createApiKey;
      await stack.gql(SignInDocument, { input: { email: gina.email, password: `${password}x` } });
      for (const name of ['users', 'workspaces', 'access', 'operations'] as const) {
        const dump = await dumpTables(stack.running.subgraphs[name]!.orm);
        for (const secret of [password, gina.token, key]) expect(dump, name).not.toContain(secret);
      }
      for (const secret of [password, gina.token, key])
        expect(lines.join('\n')).not.toContain(secret);
    } finally {
      Object.assign(console, orig);
    }
  });
});
