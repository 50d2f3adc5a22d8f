import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { gqlRequest } from '../harness/client.js';
import { flowplane, STACK_LINE } from '../harness/cli.js';
import { spawnService, type ServiceProcess } from '../harness/processes.js';

// The CLI runs on the embedded SQLite storage of a fresh DATA_DIR: nothing from the test
// environment (DATABASE_URL, REDIS_URL) may leak into these processes.
const isolated = (dir: string, extra: Record<string, string | undefined> = {}) => ({
  DATA_DIR: dir,
  DATABASE_URL: undefined,
  REDIS_URL: undefined,
  BLOCK_ENCRYPTION_KEY: undefined,
  INTERNAL_TOKEN_SECRET: undefined,
  NODE_ENV: 'test',
  ...extra,
});
const UNSET = ['DATABASE_URL', 'REDIS_URL', 'BLOCK_ENCRYPTION_KEY', 'INTERNAL_TOKEN_SECRET'];
const tmp = () => mkdtempSync(join(tmpdir(), 'fp-cli-'));
const running: ServiceProcess[] = [];
// `node --import tsx` (nodeArgs): one OS process, so a SIGKILL reaches the server itself.
const serve = async (dir: string, env: Record<string, string> = {}) => {
  const p = await spawnService('all', { DATA_DIR: dir, NODE_ENV: 'test', ...env }, UNSET, 120_000, [
    '--no-warnings',
  ]);
  running.push(p);
  return p;
};

/** The account sign-up provisions (the workspaces subgraph creates it from a domain event). */
async function accountOf(url: string, token: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const me = await gqlRequest(url, `{ me { accounts { id } } }`, undefined, token);
    const id = me.data?.me?.accounts?.[0]?.id;
    if (id) return id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no account after sign-up');
}

afterAll(async () => {
  await Promise.all(
    running.filter((p) => p.child.exitCode === null && !p.child.signalCode).map((p) => p.stop()),
  );
});

describe('flowplane: usage', () => {
  it('--help and no command print the usage and exit 0', async () => {
    for (const args of [['--help'], [], ['help']]) {
      const r = await flowplane(args, isolated(tmp()));
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: flowplane <command>');
      for (const c of ['serve', 'migrate', 'doctor', 'audit verify', 'rotate-block-key', 'backup'])
        expect(r.stdout).toContain(c);
    }
  });

  it('a bad command or service gets the usage and exit 2, without a stack trace', async () => {
    const bad = await flowplane(['bogus'], isolated(tmp()));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown command "bogus"');
    expect(bad.stderr).toContain('Usage: flowplane');
    const service = await flowplane(['serve', 'bogus'], isolated(tmp()));
    expect(service.code).toBe(2);
    expect(service.stderr).toContain('Unknown service "bogus"');
    expect(service.stderr.split('\n')[0]).toBe('flowplane: Unknown service "bogus" for serve');
    for (const r of [bad, service]) expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('serve gateway without subgraph URLs names them, without a stack trace', async () => {
    const r = await flowplane(
      ['serve', 'gateway'],
      isolated(tmp(), { INTERNAL_TOKEN_SECRET: randomBytes(32).toString('hex') }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('USERS_URL, WORKSPACES_URL, ACCESS_URL, OPERATIONS_URL');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a bad setting names the variable', async () => {
    const r = await flowplane(['doctor'], isolated(tmp(), { PORT: 'eighty' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL configuration: .*PORT/);
  });
});

describe('flowplane migrate, doctor', { timeout: 240_000 }, () => {
  it('migrate applies the migrations without serving; doctor then passes; a second migrate finds nothing', async () => {
    const dir = tmp();
    const before = await flowplane(['doctor'], isolated(dir));
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('does not exist yet');
    const m = await flowplane(['migrate'], isolated(dir));
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/operations: applied \d+ migration\(s\)/);
    const again = await flowplane(['migrate', 'users'], isolated(dir));
    expect(again.stdout).toContain('users: SQLite');
    expect(again.stdout).toContain('is up to date');
    const d = await flowplane(['doctor'], isolated(dir));
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/ok {3}database operations: .* migrations up to date/);
    expect(d.stdout).toContain('all checks passed');
    const bad = await flowplane(['migrate', 'billing'], isolated(dir));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown subgraph "billing"');
  });

  it('doctor fails on an unreachable Redis', async () => {
    const dir = tmp();
    const r = await flowplane(['doctor'], isolated(dir, { REDIS_URL: 'redis://127.0.0.1:1' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL redis: redis:\/\/127\.0\.0\.1:1/);
  });
});

/**
 * One DATA_DIR through its life: `serve` (start banner), a second process refused by the lock,
 * a SIGKILL (the operating system drops the lock), a restart that finds the data, then `backup`
 * and `audit verify` beside the running server, and `audit verify` on a tampered chain once it
 * stopped. One chain rather than separate servers: each `serve all` start costs seconds of CPU.
 */
describe('flowplane serve, backup, audit verify on one DATA_DIR', { timeout: 360_000 }, () => {
  const dir = tmp();
  const handle = `audit-${randomBytes(3).toString('hex')}`;
  let token = '';
  let account = { id: '', handle };
  let server: ServiceProcess;

  it('a second process on the same DATA_DIR exits at once saying what to do; the lock goes with the process', async () => {
    const first = await serve(dir);
    expect(first.output.join('')).toContain('No user yet');
    expect(first.output.join('')).toContain('createWorkspace');
    expect(first.output.join('')).toContain('/ui');

    const second = await flowplane(['serve'], isolated(dir, { PORT: '0', HOST: '127.0.0.1' }));
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('Another Flowplane process is using');
    expect(second.stderr).toContain('PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)');
    expect(second.stderr).not.toMatch(STACK_LINE);
    // The first one is untouched.
    const health = await fetch(first.url.replace('/graphql', '/health'));
    expect(health.status).toBe(200);

    const signUp = await gqlRequest(
      first.url,
      `mutation { signUp(input: { email: "${handle}@example.test", password: "Pw-cli-test-Aa1!", handle: "${handle}" }) { token } }`,
    );
    expect(signUp.errors).toBeUndefined();
    token = signUp.data.signUp.token;
    account = { id: await accountOf(first.url, token), handle };
    const ws = await gqlRequest(
      first.url,
      `mutation { createWorkspace(input: { accountId: "${account.id}", handle: "w1-ws", name: "W" }) { id } }`,
      undefined,
      token,
    );
    expect(ws.errors).toBeUndefined();
    // SIGKILL: no clean-up runs, the operating system drops the lock with the process.
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    server = await serve(dir);
    const printed = server.output.join('');
    expect(printed).not.toContain('No user yet');
    expect(printed).toContain('1 user(s) registered');
  });

  it('backup copies the SQLite files of a running server and its block key; audit verify finds a tampered entry', async () => {
    expect(server, 'the server of the test before').toBeDefined();
    // What the killed process committed is there after the restart.
    expect(await accountOf(server.url, token)).toBe(account.id);

    const target = join(tmp(), 'copy');
    const b = await flowplane(['backup', target], isolated(dir));
    expect(b.code, b.stderr).toBe(0);
    for (const f of ['users.sqlite', 'workspaces.sqlite', 'access.sqlite', 'operations.sqlite'])
      expect(existsSync(join(target, f)), f).toBe(true);
    expect(statSync(join(target, 'block-encryption.key')).mode & 0o777).toBe(0o600);
    const copy = new Database(join(target, 'users.sqlite'), { readonly: true });
    expect(copy.prepare('select count(*) as n from "user"').get()).toEqual({ n: 1 });
    copy.close();
    const refused = await flowplane(['backup', target], isolated(dir));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not empty');

    // audit verify reads beside the running server.
    const v = await flowplane(['audit', 'verify', '--account', account.handle], isolated(dir));
    expect(v.stdout).toMatch(/intact, \d+ entries/);
    expect(v.code).toBe(0);
    await server.stop();
    const access = new Database(join(dir, 'access.sqlite'));
    access.prepare(`update audit_event set action = 'tampered' where seq = 1`).run();
    access.close();
    const broken = await flowplane(['audit', 'verify', '--account', account.id], isolated(dir));
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('BROKEN at seq 1 (HASH');
    const missing = await flowplane(['audit', 'verify'], isolated(dir));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--account');
    expect(readFileSync(join(dir, 'block-encryption.key'), 'utf8').length).toBeGreaterThan(40);
  });
});

describe('flowplane rotate-block-key', { timeout: 240_000 }, () => {
  it('re-encrypts the secret block fields under the new key, resumably, never in plaintext', async () => {
    const dir = tmp();
    const oldKey = randomBytes(32).toString('hex');
    const newKey = randomBytes(32).toString('base64');
    const secret = `pw-${randomBytes(8).toString('hex')}`;
    const unset = ['DATABASE_URL', 'REDIS_URL', 'INTERNAL_TOKEN_SECRET'];
    const start = async (key: string) => {
      const p = await spawnService(
        'all',
        { DATA_DIR: dir, NODE_ENV: 'test', BLOCK_ENCRYPTION_KEY: key },
        unset,
        120_000,
        ['--no-warnings'],
      );
      running.push(p);
      return p;
    };
    const server = await start(oldKey);
    const gql = (q: string, v: Record<string, unknown>, t?: string) =>
      gqlRequest(server.url, q, v, t);
    const up = await gql(
      `mutation { signUp(input: { email: "k@example.test", password: "Pw-cli-test-Aa1!", handle: "keys" }) { token } }`,
      {},
    );
    const token = up.data.signUp.token;
    const accountId = await accountOf(server.url, token);
    const ws = await gql(
      `mutation($a: ID!) { createWorkspace(input: { accountId: $a, handle: "keys-ws", name: "K" }) { id } }`,
      { a: accountId },
      token,
    );
    expect(ws.errors, JSON.stringify(ws.errors)).toBeUndefined();
    const type = await gql(
      `mutation($w: ID!) { createBlockType(input: { workspaceId: $w, slug: "db", name: "DB" }) { id } }`,
      { w: ws.data.createWorkspace.id },
      token,
    );
    const schema = await gql(
      `mutation($t: ID!, $f: JSON!) { createBlockSchema(input: { blockTypeId: $t, version: "1", fields: $f }) { id } }`,
      {
        t: type.data.createBlockType.id,
        f: { type: 'object', properties: { password: { type: 'string', secret: true } } },
      },
      token,
    );
    const doc = await gql(
      `mutation($w: ID!, $s: ID!, $d: JSON!) { createBlockDocument(input: { workspaceId: $w, blockSchemaId: $s, name: "prod", data: $d }) { id } }`,
      {
        w: ws.data.createWorkspace.id,
        s: schema.data.createBlockSchema.id,
        d: { password: secret },
      },
      token,
    );
    expect(doc.errors).toBeUndefined();
    const docId = doc.data.createBlockDocument.id;
    await server.stop();

    const env = isolated(dir, { BLOCK_ENCRYPTION_KEY: oldKey, BLOCK_ENCRYPTION_KEY_NEW: newKey });
    const first = await flowplane(['rotate-block-key'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('re-encrypted 1 secret value(s); 0 already under the new key');
    // Running it again (as after an interruption) finds everything done.
    const again = await flowplane(['rotate-block-key'], env);
    expect(again.stdout).toContain('re-encrypted 0 secret value(s); 1 already under the new key');
    for (const r of [first, again]) expect(r.stdout + r.stderr).not.toContain(secret);
    for (const f of ['operations.sqlite', 'operations.sqlite-wal'])
      if (existsSync(join(dir, f)))
        expect(readFileSync(join(dir, f)).includes(Buffer.from(secret)), f).toBe(false);

    // The old key no longer opens it; the new one does.
    const stale = await flowplane(['doctor'], isolated(dir, { BLOCK_ENCRYPTION_KEY: oldKey }));
    expect(stale.stdout).toContain('FAIL block secrets');
    const restarted = await start(newKey);
    const read = await gqlRequest(
      restarted.url,
      `query($id: ID!) { blockDocument(id: $id) { data } }`,
      { id: docId },
      token,
    );
    expect(read.data?.blockDocument.data).toEqual({ password: secret });
    await restarted.stop();
  });
});
