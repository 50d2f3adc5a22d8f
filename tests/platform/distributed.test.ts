import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlRequest, codes } from '../harness/client.js';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../harness/processes.js';
import { DATABASE_URL, requireService, testDatabase } from '../harness/services.js';
import { dropSchemas, uid } from '../harness/stack.js';

/**
 * The gateway and the four subgraphs as five OS processes talking HTTP, with domain events
 * between them on Redis Streams.
 */
const enabled = requireService('REDIS_URL');
const dir = mkdtempSync(join(tmpdir(), 'flowplane-dist-'));
const schemaPrefix = `t_${uid(4)}_`;
const procs: ServiceProcess[] = [];
let gatewayUrl = '';

beforeAll(async () => {
  if (!enabled) return;
  const subgraphs = await spawnSubgraphs({
    dir,
    schemaPrefix,
    postgres: testDatabase() === 'postgres',
    databaseUrl: DATABASE_URL,
  });
  procs.push(...subgraphs.processes);
  const gateway = await spawnService(
    'gateway',
    { ...subgraphs.env, ...subgraphs.urls },
    subgraphs.unset,
  );
  procs.push(gateway);
  gatewayUrl = gateway.url;
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
  if (enabled && testDatabase() === 'postgres') await dropSchemas(schemaPrefix);
});

describe.skipIf(!enabled)('distributed mode: five processes over HTTP and Redis', () => {
  it('signs up, provisions the account across processes, and joins four subgraphs in one query', async () => {
    const handle = `d-${uid()}`;
    const signUp = await gqlRequest(
      gatewayUrl,
      `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }`,
      { input: { handle, email: `${handle}@example.test`, password: 'Distributed-42' } },
    );
    expect(signUp.errors).toBeUndefined();
    const token = signUp.data.signUp.token as string;

    let accountId = '';
    for (let i = 0; i < 100 && !accountId; i++) {
      const me = await gqlRequest(gatewayUrl, `{ me { accounts { id } } }`, undefined, token);
      accountId = me.data?.me?.accounts?.[0]?.id ?? '';
      if (!accountId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(accountId).not.toBe('');

    const ws = await gqlRequest(
      gatewayUrl,
      `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id handle } }`,
      { input: { accountId, handle: 'prod', name: 'Production' } },
      token,
    );
    expect(ws.errors).toBeUndefined();
    const workspaceId = ws.data.createWorkspace.id as string;
    const flow = await gqlRequest(
      gatewayUrl,
      `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`,
      { input: { workspaceId, name: 'etl', tags: ['nightly'] } },
      token,
    );
    expect(flow.errors).toBeUndefined();

    const all = await gqlRequest(
      gatewayUrl,
      `query($id: ID!) {
        workspace(id: $id) {
          handle
          account { handle }
          myPermissions
          flows(first: 10) { totalCount edges { node { name createdBy { handle } } } }
        }
      }`,
      { id: workspaceId },
      token,
    );
    expect(all.errors).toBeUndefined();
    expect(all.data.workspace.account.handle).toBe(handle);
    expect(all.data.workspace.myPermissions).toContain('manage_flows');
    expect(all.data.workspace.flows.edges[0].node).toEqual({ name: 'etl', createdBy: { handle } });
  });

  it('a revoked key stops working across processes', async () => {
    const handle = `k-${uid()}`;
    const signUp = await gqlRequest(
      gatewayUrl,
      `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
      { input: { handle, email: `${handle}@example.test`, password: 'Distributed-42' } },
    );
    const token = signUp.data.signUp.token as string;
    const created = await gqlRequest(
      gatewayUrl,
      `mutation { createApiKey(input: { name: "d" }) { key apiKey { id } } }`,
      undefined,
      token,
    );
    const key = created.data.createApiKey.key as string;
    expect((await gqlRequest(gatewayUrl, `{ me { id } }`, undefined, key)).data.me.id).toBeTruthy();
    await gqlRequest(
      gatewayUrl,
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: created.data.createApiKey.apiKey.id },
      token,
    );
    expect(codes(await gqlRequest(gatewayUrl, `{ me { id } }`, undefined, key))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('a subgraph answers UNAUTHENTICATED to a direct call', async () => {
    const users = procs.find((p) => p.name === 'users')!;
    const res = await gqlRequest(users.url, `{ me { id } }`);
    expect(res.status).toBe(401);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  });
});
