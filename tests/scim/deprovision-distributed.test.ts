import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlRequest } from '../harness/client.js';
import { spawnService, spawnSubgraphs, type ServiceProcess } from '../harness/processes.js';
import { DATABASE_URL, requireService, testDatabase } from '../harness/services.js';
import { dropSchemas, uid } from '../harness/stack.js';
import { connectWs, type Collector, type WsConnection } from '../harness/ws.js';
import { startDnsServer, type DnsServer } from '../sso/dns-server.js';
import { PATCH_SCHEMA, scimClient, USER_SCHEMA } from './scim-client.js';

/**
 * Deprovisioning through SCIM is a domain event: a user set inactive through gateway A loses the
 * account everywhere, and the live subscription the user holds on gateway B (another process,
 * sharing only Redis and the database) closes with 4403.
 */
const enabled = requireService('REDIS_URL');
const dir = mkdtempSync(join(tmpdir(), 'flowplane-scim-'));
const schemaPrefix = `t_${uid(4)}_`;
const procs: ServiceProcess[] = [];
const sockets: WsConnection[] = [];
const START_TIMEOUT_MS = 150_000;
let dns: DnsServer;
let gatewayA = '';
let gatewayB = '';

beforeAll(async () => {
  if (!enabled) return;
  dns = await startDnsServer();
  const subgraphs = await spawnSubgraphs({
    dir,
    schemaPrefix,
    postgres: testDatabase() === 'postgres',
    databaseUrl: DATABASE_URL,
    timeoutMs: START_TIMEOUT_MS,
    env: { SSO_DNS_SERVERS: dns.address },
  });
  procs.push(...subgraphs.processes);
  const env = { ...subgraphs.env, ...subgraphs.urls };
  const [a, b] = await Promise.all([
    spawnService('gateway', env, subgraphs.unset, START_TIMEOUT_MS),
    spawnService('gateway', env, subgraphs.unset, START_TIMEOUT_MS),
  ]);
  procs.push(a, b);
  gatewayA = a.url;
  gatewayB = b.url;
}, START_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose().catch(() => undefined)));
  await Promise.all(procs.map((p) => p.stop()));
  await dns?.stop();
  rmSync(dir, { recursive: true, force: true });
  if (enabled && testDatabase() === 'postgres') await dropSchemas(schemaPrefix);
});

async function ok(token: string, query: string, variables?: Record<string, unknown>) {
  const res = await gqlRequest(gatewayA, query, variables, token);
  expect(res.errors, `${query}: ${JSON.stringify(res.errors)}`).toBeUndefined();
  return res.data;
}

async function signUp(email: string): Promise<string> {
  const res = await gqlRequest(
    gatewayA,
    `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
    { input: { email, handle: `d-${uid(4)}`, password: `Pw-${uid()}-Aa1!` } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.signUp.token;
}

const RUN_EVENTS = `subscription($w: ID!, $f: FlowRunEventFilter) {
  flowRunEvents(workspaceId: $w, filter: $f) { id flowRun { id } }
}`;

describe.skipIf(!enabled)('SCIM deprovisioning across gateway instances', () => {
  it("a SCIM user set inactive through gateway A closes the user's subscription on gateway B with 4403", async () => {
    const domain = `dist-${uid(3)}.test`;
    const owner = await signUp(`owner@${domain}`);
    let accountId = '';
    for (let i = 0; i < 100 && !accountId; i++) {
      accountId = (await gqlRequest(gatewayA, `{ me { accounts { id } } }`, undefined, owner)).data
        ?.me?.accounts?.[0]?.id;
      if (!accountId) await new Promise((r) => setTimeout(r, 100));
    }
    await ok(
      owner,
      `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
      {
        input: { accountId, allowedSsoDomains: [domain] },
      },
    );
    let claim: { txtRecordName: string; txtRecordValue: string } | undefined;
    for (let i = 0; i < 100 && !claim; i++) {
      const d = await ok(
        owner,
        `query($id: ID!) { account(id: $id) { ssoDomains { txtRecordName txtRecordValue } } }`,
        {
          id: accountId,
        },
      );
      claim = d.account.ssoDomains[0];
      if (!claim) await new Promise((r) => setTimeout(r, 100));
    }
    dns.txt.set(claim!.txtRecordName, [claim!.txtRecordValue]);
    const verified = await ok(
      owner,
      `mutation($input: VerifySsoDomainInput!) { verifySsoDomain(input: $input) { verified } }`,
      {
        input: { accountId, domain },
      },
    );
    expect(verified.verifySsoDomain.verified).toBe(true);
    const { rotateScimToken } = await ok(
      owner,
      `mutation($id: ID!) { rotateScimToken(accountId: $id) { token } }`,
      {
        id: accountId,
      },
    );
    const scim = scimClient(gatewayA.replace(/\/graphql$/, ''), rotateScimToken.token);

    const { createWorkspace } = await ok(
      owner,
      `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
      { input: { accountId, handle: `w-${uid(3)}`, name: 'Prod', defaultRole: 'VIEWER' } },
    );
    const workspaceId = createWorkspace.id as string;
    const { createFlow } = await ok(
      owner,
      `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`,
      {
        input: { workspaceId, name: `f-${uid(3)}` },
      },
    );

    // Bob: a password user of the domain whom the IdP then provisions (linked by email).
    const bobEmail = `bob@${domain}`;
    const bob = await signUp(bobEmail);
    const created = await scim('POST', '/Users', {
      schemas: [USER_SCHEMA],
      userName: bobEmail,
      emails: [{ value: bobEmail, primary: true }],
      active: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    let member = false;
    for (let i = 0; i < 100 && !member; i++) {
      const me = await gqlRequest(gatewayB, `{ me { accounts { id } } }`, undefined, bob);
      member = (me.data?.me?.accounts ?? []).some((a: { id: string }) => a.id === accountId);
      if (!member) await new Promise((r) => setTimeout(r, 100));
    }
    expect(member).toBe(true);

    const conn = await connectWs(gatewayB, { authorization: `Bearer ${bob}` });
    sockets.push(conn);
    const sub: Collector = conn.subscribe(RUN_EVENTS, {
      w: workspaceId,
      f: { flowIds: [createFlow.id] },
    });
    // Live once a run created through A reaches the subscriber on B.
    let live = false;
    for (let i = 0; i < 40 && !live; i++) {
      const { createFlowRun } = await ok(
        owner,
        `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`,
        {
          input: { flowId: createFlow.id },
        },
      );
      for (let j = 0; j < 10 && !live; j++) {
        live = sub.results.some((r) => r.data?.flowRunEvents.flowRun.id === createFlowRun.id);
        if (!live) await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(live).toBe(true);

    const off = await scim('PATCH', `/Users/${created.body.id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(off.status).toBe(200);
    expect((await conn.closed).code).toBe(4403);
    const after = await gqlRequest(
      gatewayB,
      `query($id: ID!) { workspace(id: $id) { id } }`,
      { id: workspaceId },
      bob,
    );
    expect(after.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
