import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../lib/bus.js';
import type { Orm } from '../../lib/orm.js';
import { clientInfo } from '../../gateway/src/gateway.js';
import { loadEnv } from '../../lib/env.js';
import { AuditEvent } from '../../subgraphs/access/src/audit/audit-event.entity.js';
import {
  appendEntries,
  canonicalJson,
  entryHash,
  hashedFields,
  type AuditDraft,
} from '../../subgraphs/access/src/audit/audit-chain.js';
import { isSecretKey, mapEvent, redact } from '../../subgraphs/access/src/audit/audit-actions.js';
import { purgeAccount, purgeExpired } from '../../subgraphs/access/src/audit/audit-retention.js';
import type { GqlResult } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { ACCEPT, createWorkspace, eventually, expectError, invite } from '../harness/seed.js';
import { ActorType } from '../../lib/graphql-enums.js';

const EVENTS = `query($accountId: ID!, $first: Int, $after: String, $filter: AuditEventFilter, $order: AuditEventOrder) {
  auditEvents(accountId: $accountId, first: $first, after: $after, filter: $filter, order: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id accountId workspaceId seq occurredAt action resourceType resourceId summary requestId
      prevHash hash
      actor { type id apiKeyId ip userAgent }
    } }
  }
}`;
const VERIFY = `query($accountId: ID!) {
  verifyAuditLog(accountId: $accountId) { ok checked firstBrokenId brokenSeq reason }
}`;
const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id name } }`;

interface Entry {
  id: string;
  accountId: string;
  workspaceId: string | null;
  seq: number;
  occurredAt: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: Record<string, unknown>;
  requestId: string | null;
  prevHash: string;
  hash: string;
  actor: {
    type: string;
    id: string;
    apiKeyId: string | null;
    ip: string | null;
    userAgent: string | null;
  };
}

let stack: Stack;
let orm: Orm;
let alice: Actor;
let bob: Actor;
let ws: { id: string };
/** Every plaintext credential handed out in this file: none may reach the audit log. */
const secrets: string[] = [];

/** A GraphQL call with headers of our choosing (user agent, X-Forwarded-For). */
async function call(
  token: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<GqlResult> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GqlResult;
  return { ...body, status: res.status, headers: res.headers };
}

/** All entries of an account, oldest first (paging through the cap). */
async function allEntries(by: Actor, accountId: string, filter?: object): Promise<Entry[]> {
  const out: Entry[] = [];
  let after: string | null = null;
  for (;;) {
    const res: GqlResult = await by.gql(EVENTS, {
      accountId,
      first: 200,
      after,
      filter,
      order: 'OLDEST_FIRST',
    });
    expect(res.errors).toBeUndefined();
    const conn: {
      edges: { node: Entry }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    } = res.data.auditEvents;
    out.push(...conn.edges.map((e) => e.node));
    if (!conn.pageInfo.hasNextPage) return out;
    after = conn.pageInfo.endCursor;
  }
}

/** Waits until an entry matching `pred` is in the account's log and returns it. */
async function waitFor(
  by: Actor,
  accountId: string,
  pred: (e: Entry) => boolean,
  filter?: object,
): Promise<Entry> {
  let found: Entry | undefined;
  await eventually(async () => {
    found = (await allEntries(by, accountId, filter)).find(pred);
    expect(found).toBeDefined();
  });
  return found!;
}

async function verify(by: Actor, accountId: string) {
  const res = await by.gql(VERIFY, { accountId });
  expect(res.errors).toBeUndefined();
  return res.data.verifyAuditLog as {
    ok: boolean;
    checked: number;
    firstBrokenId: string | null;
    brokenSeq: number | null;
    reason: string | null;
  };
}

beforeAll(async () => {
  stack = await startStack();
  orm = stack.running.subgraphs.access!.orm;
  alice = await stack.signUp();
  secrets.push(alice.token, alice.password);
  ws = await createWorkspace(alice, alice.accountId);
  bob = await stack.signUp();
  secrets.push(bob.token, bob.password);
  const inv = await invite(alice, alice.accountId, bob.email, {
    accountRole: 'MEMBER',
    workspaceId: ws.id,
    workspaceRole: 'VIEWER',
  });
  secrets.push(inv.code);
  expect((await bob.gql(ACCEPT, { code: inv.code })).errors).toBeUndefined();
  // Accepting grants workspace access in a consumer (a second hop through the outbox), and the
  // audit consumer records that grant in a third: publish every round before any test reads.
  await stack.quiesce();
});
afterAll(async () => {
  await stack?.stop();
});

describe('entries for mutations across subgraphs', () => {
  it('sign-up, account provisioning, workspace, invitation and access are recorded', async () => {
    const entries = await waitFor(
      alice,
      alice.accountId,
      (e) => e.action === 'invitation.accepted',
    );
    expect(entries).toBeDefined();
    const actions = (await allEntries(alice, alice.accountId)).map((e) => e.action);
    for (const a of [
      'user.signed-up',
      'user.logged-in',
      'account.created',
      'account-membership.created',
      'workspace.created',
      'invitation.created',
      'invitation.accepted',
      'workspace-access.created',
    ])
      expect(actions).toContain(a);
    const all = await allEntries(alice, alice.accountId);
    const signedUp = all.find((e) => e.action === 'user.signed-up')!;
    expect(signedUp.actor).toMatchObject({ type: 'USER', id: alice.userId, ip: '127.0.0.1' });
    expect(signedUp.resourceId).toBe(alice.userId);
    // Provisioning is done by the workspaces subgraph: a SYSTEM actor, linked to the sign-up.
    const created = all.find((e) => e.action === 'account.created')!;
    expect(created.actor).toMatchObject({ type: 'SYSTEM', id: 'workspaces' });
    expect(created.requestId).toBe(signedUp.requestId);
    const wsCreated = all.find((e) => e.action === 'workspace.created')!;
    expect(wsCreated).toMatchObject({
      accountId: alice.accountId,
      workspaceId: ws.id,
      resourceType: 'workspace',
      resourceId: ws.id,
    });
    expect(wsCreated.actor).toMatchObject({ type: 'USER', id: alice.userId, apiKeyId: null });
    // Seq counts 1, 2, 3, … and each entry links to the previous one.
    all.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? '' : all[i - 1]!.hash);
    });
  });

  it('a flow created with an API key names the key, the IP and the user agent', async () => {
    const keyRes = await alice.gql(
      `mutation { createApiKey(input: { name: "ci" }) { key apiKey { id } } }`,
    );
    expect(keyRes.errors).toBeUndefined();
    const { key, apiKey } = keyRes.data.createApiKey;
    secrets.push(key);
    const ua = `audit-test/${uid(3)}`;
    const res = await call(
      key,
      CREATE_FLOW,
      { input: { workspaceId: ws.id, name: `nightly-${uid(3)}` } },
      // Not trusted without TRUST_PROXY: the socket address is recorded.
      { 'user-agent': ua, 'x-forwarded-for': '198.51.100.23' },
    );
    expect(res.errors).toBeUndefined();
    const flowId = res.data.createFlow.id;
    const entry = await waitFor(alice, alice.accountId, (e) => e.resourceId === flowId);
    expect(entry).toMatchObject({
      action: 'flow.created',
      resourceType: 'flow',
      workspaceId: ws.id,
      accountId: alice.accountId,
      requestId: res.headers.get('x-request-id'),
    });
    expect(entry.actor).toEqual({
      type: 'USER',
      id: alice.userId,
      apiKeyId: apiKey.id,
      ip: '127.0.0.1',
      userAgent: ua,
    });
    // A personal key names no account: its creation goes to every account of its user.
    const created = await waitFor(alice, alice.accountId, (e) => e.resourceId === apiKey.id);
    expect(created.action).toBe('api-key.created');
    expect(created.summary).toMatchObject({ name: 'ci', ownerType: 'USER' });
  });

  it('settings, service accounts and their keys are recorded with before/after', async () => {
    const upd = await alice.gql(
      `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
      { input: { accountId: alice.accountId, aiErrorSummaries: true } },
    );
    expect(upd.errors).toBeUndefined();
    const sa = await alice.gql(
      `mutation($input: CreateServiceAccountInput!) {
        createServiceAccount(input: $input) { key serviceAccount { id } apiKey { id } }
      }`,
      { input: { accountId: alice.accountId, name: `bot-${uid(3)}` } },
    );
    expect(sa.errors).toBeUndefined();
    secrets.push(sa.data.createServiceAccount.key);
    const updated = await waitFor(alice, alice.accountId, (e) => e.action === 'account.updated');
    expect(updated.summary).toMatchObject({
      before: { aiErrorSummaries: false },
      after: { aiErrorSummaries: true },
    });
    const saId = sa.data.createServiceAccount.serviceAccount.id;
    await waitFor(alice, alice.accountId, (e) => e.action === 'service-account.created');
    const keyEntry = await waitFor(
      alice,
      alice.accountId,
      (e) => e.resourceId === sa.data.createServiceAccount.apiKey.id,
    );
    expect(keyEntry.summary).toMatchObject({
      serviceAccountId: saId,
      ownerType: 'SERVICE_ACCOUNT',
    });
    // The service account's membership arrives from the workspaces subgraph as a SYSTEM change.
    const member = await waitFor(
      alice,
      alice.accountId,
      (e) => e.action === 'account-membership.created' && e.resourceId === saId,
    );
    expect(member.actor.type).toBe('SYSTEM');
  });

  it('sign-in and sign-out of a member appear in the accounts they belong to', async () => {
    const ua = `browser/${uid(3)}`;
    const signIn = await call(
      '',
      `mutation($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { email: bob.email, password: bob.password } },
      { 'user-agent': ua },
    );
    expect(signIn.errors).toBeUndefined();
    const token = signIn.data.signIn.token as string;
    secrets.push(token);
    const out = await call(token, `mutation { signOut }`, {}, { 'user-agent': ua });
    expect(out.errors).toBeUndefined();
    const loggedOut = await waitFor(
      alice,
      alice.accountId,
      (e) => e.action === 'user.logged-out' && e.actor.id === bob.userId,
    );
    expect(loggedOut.actor).toMatchObject({ type: 'USER', userAgent: ua, ip: '127.0.0.1' });
    const loggedIn = (await allEntries(alice, alice.accountId)).filter(
      (e) => e.action === 'user.logged-in' && e.actor.id === bob.userId && e.actor.userAgent === ua,
    );
    expect(loggedIn).toHaveLength(1);
    expect(loggedIn[0]!.resourceType).toBe('user');
    // Bob's own account has them too.
    const own = await allEntries(bob, bob.accountId, { actionPrefix: 'user.logged-' });
    expect(own.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.logged-in', 'user.logged-out']),
    );
  });

  it('domain events carry their actor on the bus', async () => {
    const seen: DomainEvent[] = [];
    const stop = stack.running.bus.subscribeBroadcast((e) => {
      seen.push(e);
    });
    const ua = `cli/${uid(3)}`;
    const res = await call(
      alice.token,
      `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`,
      { input: { name: `Alice ${uid(2)}` } },
      { 'user-agent': ua },
    );
    stop();
    expect(res.errors).toBeUndefined();
    const event = seen.find((e) => e.type === 'user.updated');
    expect(event?.actor).toMatchObject({
      type: 'user',
      id: alice.userId,
      apiKeyId: null,
      ip: '127.0.0.1',
      userAgent: ua,
      requestId: res.headers.get('x-request-id'),
    });
    expect(event?.actor?.sessionId).toEqual(expect.any(String));
    // A profile names no account: the entry goes to each account of the user.
    const entry = await waitFor(alice, alice.accountId, (e) => e.action === 'user.updated');
    expect(entry.summary).toMatchObject({ fields: ['name'] });
  });

  it('a page of entries costs the same number of queries whatever its size', async () => {
    const cost = async (first: number) => {
      stack.counters.access.reset();
      const res = await alice.gql(EVENTS, { accountId: alice.accountId, first });
      expect(res.errors).toBeUndefined();
      expect(res.data.auditEvents.edges.length).toBe(
        Math.min(first, res.data.auditEvents.totalCount),
      );
      return stack.counters.access.count;
    };
    expect(await cost(20)).toBeGreaterThan(0);
    expect(await cost(2)).toBe(await cost(20));
  });

  it('an event type nobody mapped yet is recorded with the generic mapping', async () => {
    const event: DomainEvent = {
      id: randomUUID(),
      type: 'widget.frobbed',
      source: 'operations',
      // Malformed parts must not make the bus redeliver it forever.
      occurredAt: 'not a time',
      payload: {
        accountId: alice.accountId,
        widgetId: 'w-1',
        token: 'fpu_never-to-be-seen',
        note: 'a\u0000b',
      },
      actor: null,
    };
    await stack.running.bus.publish([event]);
    const entry = await waitFor(alice, alice.accountId, (e) => e.action === 'widget.frobbed');
    expect(entry).toMatchObject({ resourceType: 'widget', resourceId: 'w-1' });
    expect(entry.actor).toMatchObject({ type: 'SYSTEM', id: 'operations' });
    expect(entry.summary).toEqual({ widgetId: 'w-1', note: 'ab' });
    expect(Date.now() - new Date(entry.occurredAt).getTime()).toBeLessThan(60_000);
  });
});

describe('denied requests', () => {
  it('a VIEWER refused createFlow is audited as flow.denied, without the flow name', async () => {
    const name = `forbidden-${uid(6)}`;
    const res = await bob.gql(CREATE_FLOW, { input: { workspaceId: ws.id, name } });
    expectError(res, 'FORBIDDEN');
    const entry = await waitFor(
      alice,
      alice.accountId,
      (e) => e.action === 'flow.denied' && e.actor.id === bob.userId,
    );
    expect(entry).toMatchObject({
      accountId: alice.accountId,
      workspaceId: ws.id,
      resourceType: 'flow',
      resourceId: null,
      summary: { action: 'create', permission: 'manage_flows' },
    });
    expect(JSON.stringify(entry)).not.toContain(name);
    // The refused mutation changed nothing.
    const flows = await alice.gql(
      `query($id: ID!) { workspace(id: $id) { flows { edges { node { name } } } } }`,
      {
        id: ws.id,
      },
    );
    expect(JSON.stringify(flows.data)).not.toContain(name);
  });

  it('a non-member gets NOT_FOUND; the account records the probe (not what was asked for)', async () => {
    const carol = await stack.signUp();
    secrets.push(carol.token, carol.password);
    expectError(
      await carol.gql(CREATE_FLOW, { input: { workspaceId: ws.id, name: 'probe-name' } }),
      'NOT_FOUND',
    );
    expectError(await carol.gql(EVENTS, { accountId: alice.accountId }), 'NOT_FOUND');
    expectError(await carol.gql(VERIFY, { accountId: alice.accountId }), 'NOT_FOUND');
    expectError(await carol.gql(EVENTS, { accountId: 'not-a-uuid' }), 'NOT_FOUND');
    let mine: Entry[] = [];
    await eventually(async () => {
      mine = (await allEntries(alice, alice.accountId)).filter((e) => e.actor.id === carol.userId);
      expect(mine.map((e) => e.action).sort()).toEqual(['audit-event.denied', 'flow.denied']);
    });
    expect(mine.find((e) => e.action === 'flow.denied')).toMatchObject({
      workspaceId: ws.id,
      summary: { reason: 'NOT_A_MEMBER', action: 'create', permission: 'manage_flows', count: 1 },
    });
    // Reading and verifying the log are one kind of refusal: one entry, counted once so far.
    expect(mine.find((e) => e.action === 'audit-event.denied')).toMatchObject({
      workspaceId: null,
      summary: { reason: 'NOT_A_MEMBER', action: 'read', count: 1 },
    });
    expect(JSON.stringify(mine)).not.toContain('probe-name');
  });

  it('a Member may not read or verify the log (FORBIDDEN, itself audited)', async () => {
    const res = await bob.gql(EVENTS, { accountId: alice.accountId });
    expectError(res, 'FORBIDDEN');
    expect(res.errors?.[0]?.message).toContain('read:audit_event');
    expectError(await bob.gql(VERIFY, { accountId: alice.accountId }), 'FORBIDDEN');
    const denied = await waitFor(
      alice,
      alice.accountId,
      (e) => e.action === 'audit-event.denied' && e.actor.id === bob.userId,
    );
    expect(denied.summary).toEqual({
      reason: 'MISSING_PERMISSION',
      action: 'read',
      permission: 'read:audit_event',
      count: 1,
      windowStart: expect.any(String),
      windowSeconds: 900,
    });
    expect(denied.workspaceId).toBeNull();
  });
});

describe('filters and paging', () => {
  it('filters by action prefix, actor, resource and time', async () => {
    const flows = await allEntries(alice, alice.accountId, { actionPrefix: 'flow.' });
    expect(flows.length).toBeGreaterThanOrEqual(2);
    expect(flows.every((e) => e.action.startsWith('flow.'))).toBe(true);

    const byBob = await allEntries(alice, alice.accountId, { actorId: bob.userId });
    expect(byBob.length).toBeGreaterThan(0);
    expect(byBob.every((e) => e.actor.id === bob.userId)).toBe(true);

    const wsEntries = await allEntries(alice, alice.accountId, {
      resourceType: 'workspace',
      resourceId: ws.id,
    });
    expect(wsEntries.map((e) => e.action)).toEqual(['workspace.created']);

    const since = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const w2 = await createWorkspace(alice, alice.accountId);
    await waitFor(alice, alice.accountId, (e) => e.resourceId === w2.id);
    const recent = await allEntries(alice, alice.accountId, { since: since.toISOString() });
    expect(recent.map((e) => e.resourceId)).toContain(w2.id);
    expect(recent.every((e) => new Date(e.occurredAt) >= since)).toBe(true);
    const older = await allEntries(alice, alice.accountId, { until: since.toISOString() });
    expect(older.map((e) => e.resourceId)).not.toContain(w2.id);
    expect(older.length + recent.length).toBe((await allEntries(alice, alice.accountId)).length);

    expectError(
      await alice.gql(EVENTS, { accountId: alice.accountId, filter: { actionPrefix: 'flow%' } }),
      'BAD_USER_INPUT',
      'filter.actionPrefix',
    );
  });

  it('pages newest first by default, chronologically on request, and caps the page', async () => {
    const all = await allEntries(alice, alice.accountId);
    const seen: number[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res: GqlResult = await alice.gql(EVENTS, {
        accountId: alice.accountId,
        first: 7,
        after,
      });
      expect(res.errors).toBeUndefined();
      const conn = res.data.auditEvents;
      expect(conn.totalCount).toBeGreaterThanOrEqual(all.length);
      seen.push(...conn.edges.map((e: { node: Entry }) => e.node.seq));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    // Newest first, no duplicates, nothing skipped (entries may have been added meanwhile).
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[seen.length - 1]).toBe(1);
    expect(seen.length).toBeGreaterThanOrEqual(all.length);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b));

    expectError(
      await alice.gql(EVENTS, { accountId: alice.accountId, first: 201 }),
      'BAD_USER_INPUT',
      'first',
    );
    expectError(
      await alice.gql(EVENTS, { accountId: alice.accountId, after: 'bm9wZQ' }),
      'BAD_USER_INPUT',
      'after',
    );
  });
});

describe('no secrets', () => {
  it('no plaintext key, session token, password or invitation code is in any entry', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    const logs = [
      ...(await allEntries(alice, alice.accountId)),
      ...(await allEntries(bob, bob.accountId)),
    ];
    expect(logs.length).toBeGreaterThan(20);
    // The stored rows too, every column.
    const rows = await orm.em.fork().getConnection().execute('select * from audit_event');
    const text = JSON.stringify(logs) + JSON.stringify(rows);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toContain('fpu_never-to-be-seen');
  });

  it('secret-looking keys are dropped and credential-looking values masked', () => {
    for (const k of [
      'key',
      'token',
      'code',
      'password',
      'secret',
      'hash',
      'passwordHash',
      'tokenHash',
      'codeHash',
      'client_secret',
    ])
      expect(isSecretKey(k)).toBe(true);
    for (const k of ['apiKeyId', 'keyPrefix', 'name', 'handle', 'sessionId', 'invitationId'])
      expect(isSecretKey(k)).toBe(false);
    expect(
      redact({
        a: { password: 'x', nested: [{ key: 'k', ok: 'fps_abcdefghijklmnopqrstu' }] },
        n: 1,
      }),
    ).toEqual({ a: { nested: [{ ok: '[redacted]' }] }, n: 1 });
    expect(mapEvent('grants.changed', { principalIds: [] })).toBeNull();
  });
});

/**
 * Lets timers that came due while SQLite blocked the event loop fire (the server closing idle
 * keep-alive sockets) before the next request, which would otherwise pick such a socket.
 */
const timersRun = () => new Promise((r) => setTimeout(r, 20));

/** Runs SQL on the access subgraph's database (the tampering an attacker with DB access does). */
const sql = (q: string, params: unknown[] = []) => orm.em.fork().getConnection().execute(q, params);

describe('tamper evidence', () => {
  let entries: Entry[];
  beforeAll(async () => {
    await waitFor(alice, alice.accountId, (e) => e.action === 'invitation.accepted');
    entries = await allEntries(alice, alice.accountId);
    expect(entries.length).toBeGreaterThan(10);
    expect((await verify(alice, alice.accountId)).ok).toBe(true);
  });

  it('an edited entry is named', async () => {
    const target = entries[4]!;
    const [row] = await sql('select action from audit_event where id = ?', [target.id]);
    await sql('update audit_event set action = ? where id = ?', ['workspace.viewed', target.id]);
    expect(await verify(alice, alice.accountId)).toMatchObject({
      ok: false,
      firstBrokenId: target.id,
      brokenSeq: target.seq,
      reason: 'HASH',
    });
    await sql('update audit_event set action = ? where id = ?', [row.action, target.id]);
    expect((await verify(alice, alice.accountId)).ok).toBe(true);
  });

  it('a deleted entry is named by its seq, and the entry after it by id', async () => {
    const target = entries[5]!;
    const [row] = await sql('select * from audit_event where id = ?', [target.id]);
    await sql('delete from audit_event where id = ?', [target.id]);
    expect(await verify(alice, alice.accountId)).toMatchObject({
      ok: false,
      firstBrokenId: entries[6]!.id,
      brokenSeq: target.seq,
      reason: 'SEQUENCE',
    });
    await orm.em.fork().insert(AuditEvent, orm.em.fork().map(AuditEvent, row));
    expect((await verify(alice, alice.accountId)).ok).toBe(true);
  });

  it('two swapped entries are named', async () => {
    const [a, b] = [entries[2]!, entries[3]!];
    const place = async (x: Entry, xSeq: number, y: Entry, ySeq: number) => {
      await sql('update audit_event set seq = ? where id = ?', [-1, x.id]);
      await sql('update audit_event set seq = ? where id = ?', [ySeq, y.id]);
      await sql('update audit_event set seq = ? where id = ?', [xSeq, x.id]);
    };
    await place(a, b.seq, b, a.seq);
    expect(await verify(alice, alice.accountId)).toMatchObject({
      ok: false,
      firstBrokenId: b.id,
      brokenSeq: a.seq,
    });
    await place(a, a.seq, b, b.seq);
    expect((await verify(alice, alice.accountId)).ok).toBe(true);
  });

  it('a deleted latest entry is named', async () => {
    const [head] = await sql('select head_id, head_seq from audit_chain where account_id = ?', [
      alice.accountId,
    ]);
    const [row] = await sql('select * from audit_event where id = ?', [head.head_id]);
    await sql('delete from audit_event where id = ?', [head.head_id]);
    expect(await verify(alice, alice.accountId)).toMatchObject({
      ok: false,
      firstBrokenId: head.head_id,
      brokenSeq: head.head_seq,
      reason: 'MISSING_TAIL',
    });
    await orm.em.fork().insert(AuditEvent, orm.em.fork().map(AuditEvent, row));
    expect((await verify(alice, alice.accountId)).ok).toBe(true);
  });
});

describe('a long chain, concurrent appends and retention', () => {
  let erin: Actor;
  const draft = (i: number, occurredAt: Date): AuditDraft => ({
    workspaceId: null,
    occurredAt,
    eventId: randomUUID(),
    actorType: ActorType.SYSTEM,
    actorId: 'test',
    actorApiKeyId: null,
    actorIp: null,
    actorUserAgent: null,
    requestId: null,
    action: 'test.bulk',
    resourceType: 'test',
    resourceId: String(i),
    summary: { i, nested: { z: 1, a: [i, 'x'] } },
  });

  beforeAll(async () => {
    erin = await stack.signUp();
    await waitFor(erin, erin.accountId, (e) => e.action === 'account-membership.created');
  });

  const start = Date.now();
  const MINUTE = 60_000;

  it('an untouched chain of 10,000 entries verifies', async () => {
    // One a minute from now on (chains run forward in time), so a purge can cut between them.
    await orm.em.fork().transactional((em) =>
      appendEntries(
        em,
        erin.accountId,
        Array.from({ length: 10_000 }, (_, i) => draft(i, new Date(start + i * MINUTE))),
      ),
    );
    await timersRun();
    const v = await verify(erin, erin.accountId);
    expect(v).toMatchObject({ ok: true, firstBrokenId: null });
    expect(v.checked).toBeGreaterThan(10_000);
  });

  it('appends from several writers at once never fork the chain', async () => {
    const before = await verify(erin, erin.accountId);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        orm.em
          .fork()
          .transactional((em) =>
            appendEntries(em, erin.accountId, [draft(i, new Date()), draft(i, new Date())]),
          ),
      ),
    );
    await timersRun();
    const after = await verify(erin, erin.accountId);
    expect(after).toMatchObject({ ok: true, checked: before.checked + 24 });
  });

  it('a purge keeps the chain verifiable and runs once across instances', async () => {
    const upd = await erin.gql(
      `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
      { input: { accountId: erin.accountId, auditRetentionDays: 2 } },
    );
    expect(upd.errors).toBeUndefined();
    await waitFor(erin, erin.accountId, (e) => e.action === 'account.updated');
    const [chain] = await sql('select retention_days from audit_chain where account_id = ?', [
      erin.accountId,
    ]);
    expect(chain.retention_days).toBe(2);
    const total = (await verify(erin, erin.accountId)).checked;
    // Two days after the 5,000th bulk entry, everything before it has expired: the sign-up's
    // entries and 5,000 bulk ones. Two instances at once: one deletes, the other finds nothing.
    const now = new Date(start + 5_000 * MINUTE + 2 * 24 * 60 * MINUTE);
    const [a, b] = await Promise.all([
      purgeAccount(orm, erin.accountId, now),
      purgeAccount(orm, erin.accountId, now),
    ]);
    expect(a + b).toBeGreaterThan(5_000);
    expect(a + b).toBeLessThan(5_000 + 20);
    expect(Math.min(a, b)).toBe(0);
    expect(await purgeExpired(orm, now)).toBe(0);
    const [oldest] = await sql(
      'select resource_id from audit_event where account_id = ? order by seq limit 1',
      [erin.accountId],
    );
    expect(oldest.resource_id).toBe('5000');
    await timersRun();
    const v = await verify(erin, erin.accountId);
    expect(v).toMatchObject({ ok: true, checked: total - a - b });
    // The chain goes on from the anchor; tampering with the first kept entry is still seen.
    const [first] = await sql(
      'select id, seq from audit_event where account_id = ? order by seq limit 1',
      [erin.accountId],
    );
    await sql('update audit_event set prev_hash = ? where id = ?', ['0'.repeat(64), first.id]);
    expect(await verify(erin, erin.accountId)).toMatchObject({
      ok: false,
      firstBrokenId: first.id,
      reason: 'LINK',
    });
  });
});

describe('hash', () => {
  it('is sha256 of prevHash and the canonical JSON of every other field', async () => {
    const [row] = await sql('select id from audit_event where account_id = ? and seq = 2', [
      alice.accountId,
    ]);
    const e = await orm.em.fork().findOneOrFail(AuditEvent, { id: row.id });
    const expected = createHash('sha256')
      .update(e.prevHash + canonicalJson(hashedFields(e)))
      .digest('hex');
    expect(e.hash).toBe(expected);
    expect(entryHash(e)).toBe(expected);
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: new Date(0) })).toBe(
      '{"a":"1970-01-01T00:00:00.000Z","b":[1,{"c":"x","d":null}]}',
    );
    // Every field counts: changing any one changes the hash.
    for (const [k, v] of Object.entries({
      actorIp: '10.9.9.9',
      workspaceId: randomUUID(),
      seq: 99,
    }))
      expect(entryHash({ ...e, [k]: v } as AuditEvent)).not.toBe(e.hash);
  });
});

describe('client address', () => {
  it('is the socket address, or the first X-Forwarded-For hop with TRUST_PROXY=true', () => {
    const req = {
      headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'ua' },
      socket: { remoteAddress: '::ffff:10.0.0.1' },
    } as never;
    expect(clientInfo(req, false)).toEqual({ ip: '10.0.0.1', userAgent: 'ua' });
    expect(clientInfo(req, true)).toEqual({ ip: '203.0.113.7', userAgent: 'ua' });
    const bogus = {
      headers: { 'x-forwarded-for': 'nonsense' },
      socket: { remoteAddress: '10.1.1.1' },
    } as never;
    expect(clientInfo(bogus, true)).toEqual({ ip: '10.1.1.1', userAgent: null });
    expect(loadEnv({}).TRUST_PROXY).toBe(false);
    expect(loadEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(() => loadEnv({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
  });
});
