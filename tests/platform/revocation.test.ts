import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gqlRequest } from '../harness/client.js';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../harness/processes.js';
import { startRedisProxy, type RedisProxy } from '../harness/redis-proxy.js';
import { DATABASE_URL, requireService, testDatabase } from '../harness/services.js';
import { dropSchemas, uid } from '../harness/stack.js';

/**
 * Two gateway processes over one Redis: access taken away through gateway A applies to the very
 * next request through gateway B, although B has the identity cached and its bus reader is
 * behind (held back by a proxy between B and Redis).
 */
const enabled = requireService('REDIS_URL');
const dir = mkdtempSync(join(tmpdir(), 'flowplane-revoke-'));
const schemaPrefix = `t_${uid(4)}_`;
const procs: ServiceProcess[] = [];
let proxy: RedisProxy | undefined;
let gatewayA = '';
let gatewayB = '';

beforeAll(async () => {
  if (!enabled) return;
  const subgraphs = await spawnSubgraphs({
    dir,
    schemaPrefix,
    postgres: testDatabase() === 'postgres',
    databaseUrl: DATABASE_URL,
    env: { GRANTS_CACHE_TTL_MS: '60000' },
  });
  procs.push(...subgraphs.processes);
  const { env, unset, urls } = subgraphs;
  proxy = await startRedisProxy(process.env.REDIS_URL!);
  const [a, b] = await Promise.all([
    spawnService('gateway', { ...env, ...urls }, unset),
    spawnService('gateway', { ...env, ...urls, REDIS_URL: proxy.url }, unset),
  ]);
  procs.push(a, b);
  gatewayA = a.url;
  gatewayB = b.url;
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
  if (enabled && testDatabase() === 'postgres') await dropSchemas(schemaPrefix);
});

async function signUp(url: string): Promise<{ token: string; userId: string; email: string }> {
  const handle = `r-${uid()}`;
  const email = `${handle}@example.test`;
  const res = await gqlRequest(
    url,
    `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`,
    { input: { handle, email, password: 'Revocation-42' } },
  );
  expect(res.errors).toBeUndefined();
  return { token: res.data.signUp.token, userId: res.data.signUp.user.id, email };
}

async function call(url: string, token: string, query: string, variables = {}) {
  const res = await gqlRequest(url, query, variables, token);
  expect(res.errors, query).toBeUndefined();
  return res.data;
}

describe.skipIf(!enabled)('revocation across gateway instances', () => {
  it("a binding removed through gateway A refuses the member's next request through gateway B", async () => {
    const alice = await signUp(gatewayA);
    let accountId = '';
    for (let i = 0; i < 100 && !accountId; i++) {
      const me = await gqlRequest(gatewayA, `{ me { accounts { id } } }`, undefined, alice.token);
      accountId = me.data?.me?.accounts?.[0]?.id ?? '';
      if (!accountId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(accountId).not.toBe('');
    const { createWorkspace } = await call(
      gatewayA,
      alice.token,
      `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
      { input: { accountId, handle: `w-${uid(3)}`, name: 'Shared', defaultRole: null } },
    );
    const workspaceId = createWorkspace.id as string;

    const bob = await signUp(gatewayA);
    const { inviteMember } = await call(
      gatewayA,
      alice.token,
      `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { code } }`,
      { input: { accountId, email: bob.email } },
    );
    await call(
      gatewayA,
      bob.token,
      `mutation($code: String!) { acceptInvitation(input: { code: $code }) { id } }`,
      { code: inviteMember.code },
    );
    await call(
      gatewayA,
      alice.token,
      `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
      { input: { workspaceId, userId: bob.userId, role: 'VIEWER' } },
    );

    const READ = `query($id: ID!) { workspace(id: $id) { id } }`;
    // Bob's identity and grants are now cached on B.
    expect((await call(gatewayB, bob.token, READ, { id: workspaceId })).workspace.id).toBe(
      workspaceId,
    );

    proxy!.holdReaders();
    await call(
      gatewayA,
      alice.token,
      `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`,
      { input: { workspaceId, userId: bob.userId } },
    );
    // B has not seen the event; its reader catches up only once the proxy lets it through.
    const next = gqlRequest(gatewayB, READ, { id: workspaceId }, bob.token);
    await new Promise((r) => setTimeout(r, 300));
    proxy!.release();
    expect(codes(await next)).toEqual(['NOT_FOUND']);
  });

  it("a mutation's answer waits for the gateway's own reader to pass what it published, without reading the stream's tail", async () => {
    const alice = await signUp(gatewayB);
    const created = await call(
      gatewayB,
      alice.token,
      `mutation { createApiKey(input: { name: "settle" }) { key apiKey { id } } }`,
    );
    const key = created.createApiKey.key as string;
    // The key's identity cached on B.
    expect((await call(gatewayB, key, `{ me { id } }`)).me.id).toBe(alice.userId);
    // A session B has never seen: authenticating it reads no tail (nothing cached to check), so
    // any read of the tail during the revocation would be the mutation's wait.
    const signedIn = await gqlRequest(
      gatewayA,
      `mutation($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { email: alice.email, password: 'Revocation-42' } },
    );
    expect(signedIn.errors).toBeUndefined();
    const session = signedIn.data.signIn.token as string;

    proxy!.holdReaders();
    const before = proxy!.sent('xrevrange');
    let answered = false;
    const revoking = gqlRequest(
      gatewayB,
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: created.createApiKey.apiKey.id },
      session,
    ).then((res) => {
      answered = true;
      return res;
    });
    await new Promise((r) => setTimeout(r, 300));
    // The access subgraph has published the revocation; B's reader is held back, so B holds
    // the answer.
    expect(answered).toBe(false);
    proxy!.release();
    expect((await revoking).errors).toBeUndefined();
    // The wait used the position the subgraph answered with: no read of the tail.
    expect(proxy!.sent('xrevrange') - before).toBe(0);
    // B's cache let go of the key before the answer went out.
    expect(codes(await gqlRequest(gatewayB, `{ me { id } }`, undefined, key))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });
});
