import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { gqlFrom } from '../harness/from-address.js';
import { createWorkspace, eventually, expectError } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { connectWs } from '../harness/ws.js';

/**
 * Issue 10, M1: an account's `ipAllowList` is enforced for everything scoped to the account.
 * The server listens on 127.0.0.1; tests call it from 127.0.0.1 (on the list) and from
 * 127.0.0.2 (loopback too, a different source address: off the list). A service account bound
 * to the account is refused outright from outside the list (HTTP 403, WebSocket 4403); a user
 * keeps every other account but gets a clear FORBIDDEN for this one; saving a list that leaves
 * out the caller's own address is refused; open sockets are re-checked when the list changes;
 * refusals are audited. With TRUST_PROXY the first X-Forwarded-For hop is the address.
 */
const INSIDE = '127.0.0.1';
const OUTSIDE = '127.0.0.2';
const UPDATE = `mutation($input: UpdateAccountSettingsInput!) {
  updateAccountSettings(input: $input) { id settings { ipAllowList } }
}`;
const AUDIT = `query($a: ID!, $f: AuditEventFilter) {
  auditEvents(accountId: $a, first: 50, filter: $f) {
    edges { node { action resourceType summary actor { type id ip } } }
  }
}`;
const SUBSCRIBE = `subscription($w: ID!) { events(workspaceId: $w) { id } }`;

let stack: Stack;
let owner: Actor;
let workspaceId: string;
let sa: { id: string; key: string };
let userKey: string;

const from = (
  address: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
) => gqlFrom(stack.url, { localAddress: address }, query, variables, token);

async function setList(list: string[]) {
  const res = await owner.gql(UPDATE, { input: { accountId: owner.accountId, ipAllowList: list } });
  expect(res.errors).toBeUndefined();
}

async function auditEntries(action: string) {
  const res = await owner.gql(AUDIT, { a: owner.accountId, f: { actionPrefix: action } });
  expect(res.errors).toBeUndefined();
  return res.data.auditEvents.edges.map((e: { node: unknown }) => e.node) as {
    action: string;
    summary: Record<string, unknown>;
    actor: { type: string; id: string; ip: string | null };
  }[];
}

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
  const created = await owner.gql(
    `mutation($input: CreateServiceAccountInput!) {
      createServiceAccount(input: $input) { serviceAccount { id } key }
    }`,
    { input: { accountId: owner.accountId, name: `ci-${uid(3)}`, accountRole: 'ADMIN' } },
  );
  expect(created.errors).toBeUndefined();
  sa = {
    id: created.data.createServiceAccount.serviceAccount.id,
    key: created.data.createServiceAccount.key,
  };
  // The service account's membership arrives through an event.
  await eventually(async () => {
    const me = await stack.as(sa.key).gql(`{ me { accounts { id } } }`);
    expect(me.data?.me.accounts).toHaveLength(1);
  });
  const k = await owner.gql(`mutation { createApiKey(input: { name: "cli" }) { key } }`);
  userKey = k.data.createApiKey.key;
});
afterAll(async () => {
  await stack?.stop();
});

describe('IP allow-list', () => {
  it('refuses to save a list that leaves out the caller’s own address, and changes nothing', async () => {
    const res = await owner.gql(UPDATE, {
      input: { accountId: owner.accountId, ipAllowList: ['203.0.113.0/24'] },
    });
    expectError(res, 'BAD_USER_INPUT', 'ipAllowList');
    expect(res.errors?.[0]?.message).toContain(INSIDE);
    const now = await owner.gql(
      `query($id: ID!) { account(id: $id) { settings { ipAllowList } } }`,
      {
        id: owner.accountId,
      },
    );
    expect(now.data.account.settings.ipAllowList).toEqual([]);
  });

  it('refuses a service account of the account outright from outside the list, over HTTP and WebSocket', async () => {
    // Before a list exists, both addresses work.
    expect((await from(OUTSIDE, `{ me { id } }`, {}, sa.key)).status).toBe(200);
    await setList([`${INSIDE}/32`]);

    const inside = await from(INSIDE, `{ me { id } }`, {}, sa.key);
    expect(inside.errors).toBeUndefined();
    expect(inside.data.me.id).toBe(sa.id);

    const outside = await from(OUTSIDE, `{ me { id } }`, {}, sa.key);
    expect(outside.status).toBe(403);
    expect(outside.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'IP_NOT_ALLOWED',
    });

    const ws = await connectWs(stack.url, { token: sa.key }, { localAddress: OUTSIDE });
    expect(await ws.closedWithin()).toMatchObject({ code: 4403 });
    const wsInside = await connectWs(stack.url, { token: sa.key }, { localAddress: INSIDE });
    const sub = wsInside.subscribe(SUBSCRIBE, { w: workspaceId });
    await eventually(async () => expect(stack.running.gateway!.subscriptions.size).toBe(1));
    expect(sub.errors).toBeNull();
    await wsInside.dispose();

    // Audited in the account's log, with the refused address (bounded: once per window).
    await eventually(async () => {
      const entries = await auditEntries('ip-allow-list.');
      const mine = entries.filter((e) => e.actor.id === sa.id);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine[0]).toMatchObject({
        action: 'ip-allow-list.refused',
        actor: { type: 'SERVICE_ACCOUNT', ip: OUTSIDE },
      });
    });
    await setList([]);
  });

  it('withholds a user’s grants in the account from outside the list, with a clear error, and keeps their other accounts', async () => {
    const other = await owner.gql(
      `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }`,
      { input: { handle: `other-${uid(3)}`, name: 'Other' } },
    );
    expect(other.errors).toBeUndefined();
    const otherAccountId = other.data.createAccount.id as string;
    await setList([INSIDE]);
    for (const credential of [owner.token, userKey]) {
      const me = await from(OUTSIDE, `{ me { id } }`, {}, credential);
      expect(me.errors).toBeUndefined();
      expect(me.data.me.id).toBe(owner.userId);

      const account = await from(
        OUTSIDE,
        `query($id: ID!) { account(id: $id) { name } }`,
        { id: owner.accountId },
        credential,
      );
      expect(codes(account)).toEqual(['FORBIDDEN']);
      expect(account.errors?.[0]?.extensions?.reason).toBe('IP_NOT_ALLOWED');
      expect(account.errors?.[0]?.message).toMatch(/IP allow-list/);

      const ws = await from(
        OUTSIDE,
        `query($id: ID!) { workspace(id: $id) { handle } }`,
        { id: workspaceId },
        credential,
      );
      expect(codes(ws)).toEqual(['FORBIDDEN']);
      const flow = await from(
        OUTSIDE,
        `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`,
        { input: { workspaceId, name: `f-${uid(3)}` } },
        credential,
      );
      expect(codes(flow)).toEqual(['FORBIDDEN']);

      const mine = await from(
        OUTSIDE,
        `query($id: ID!) { account(id: $id) { name } }`,
        { id: otherAccountId },
        credential,
      );
      expect(mine.errors).toBeUndefined();
      expect(mine.data.account.name).toBe('Other');

      const inside = await from(
        INSIDE,
        `query($id: ID!) { workspace(id: $id) { id } }`,
        { id: workspaceId },
        credential,
      );
      expect(inside.data.workspace.id).toBe(workspaceId);
    }
    // A subscription to the account's workspace from outside is refused the same way.
    const conn = await connectWs(stack.url, { token: owner.token }, { localAddress: OUTSIDE });
    const refused = await conn.subscribe(SUBSCRIBE, { w: workspaceId }).refused();
    expect(refused[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'IP_NOT_ALLOWED' });
    await conn.dispose();
    // The refusals are audited as denied requests of the account (the subscription's by the
    // gateway).
    await eventually(async () => {
      const entries = await auditEntries('ip-allow-list.refused');
      expect(entries.some((e) => e.actor.id === owner.userId && e.actor.ip === OUTSIDE)).toBe(true);
    });
    await eventually(async () => {
      const denied = (await auditEntries('workspace.denied')).concat(
        await auditEntries('account.denied'),
      );
      expect(
        denied.some((e) => e.summary.permission === 'ip-allow-list' && e.actor.ip === OUTSIDE),
      ).toBe(true);
    });
    await setList([]);
  });

  it('re-checks open sockets when the list changes: one that is now outside closes with 4403', async () => {
    const conn = await connectWs(stack.url, { token: sa.key }, { localAddress: OUTSIDE });
    const sub = conn.subscribe(SUBSCRIBE, { w: workspaceId });
    await eventually(async () => expect(stack.running.gateway!.subscriptions.size).toBe(1));
    await setList(['127.0.0.0/8']);
    // Still inside: nothing happens; then narrowed to 127.0.0.1 only.
    await setList([INSIDE]);
    expect(await conn.closedWithin()).toMatchObject({ code: 4403 });
    expect(sub.results).toEqual([]);
    await setList([]);
  });

  it('takes the socket’s address without TRUST_PROXY: an X-Forwarded-For header changes nothing', async () => {
    await setList([INSIDE]);
    const spoofed = await gqlFrom(
      stack.url,
      { localAddress: OUTSIDE, headers: { 'x-forwarded-for': INSIDE } },
      `{ me { id } }`,
      {},
      sa.key,
    );
    expect(spoofed.status).toBe(403);
    await setList([]);
  });
});

describe('IP allow-list behind a trusted proxy (TRUST_PROXY=true)', () => {
  let proxied: Stack;
  beforeAll(async () => {
    proxied = await startStack({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  it('uses the first X-Forwarded-For hop, for saving the list and for every request', async () => {
    const boss = await proxied.signUp();
    const via = (
      ip: string | null,
      query: string,
      variables: Record<string, unknown>,
      token: string,
    ) =>
      gqlFrom(
        proxied.url,
        { headers: ip ? { 'x-forwarded-for': `${ip}, 10.0.0.1` } : {} },
        query,
        variables,
        token,
      );
    const input = { accountId: boss.accountId, ipAllowList: ['203.0.113.0/24'] };
    // From the socket's own address the list would lock the caller out; from 203.0.113.9 not.
    expectError(await via(null, UPDATE, { input }, boss.token), 'BAD_USER_INPUT', 'ipAllowList');
    const saved = await via('203.0.113.9', UPDATE, { input }, boss.token);
    expect(saved.errors).toBeUndefined();
    const q = `query($id: ID!) { account(id: $id) { id } }`;
    expect((await via('203.0.113.77', q, { id: boss.accountId }, boss.token)).data.account.id).toBe(
      boss.accountId,
    );
    expect(codes(await via('198.51.100.7', q, { id: boss.accountId }, boss.token))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codes(await via(null, q, { id: boss.accountId }, boss.token))).toEqual(['FORBIDDEN']);
  });
});
