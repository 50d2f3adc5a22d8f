import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateServiceAccountDocument,
  MeDocument,
  RotateServiceAccountKeyDocument,
} from '../generated/graphql.js';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { join } from '../harness/seed.js';

let stack: Stack;
let owner: Actor;
beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

async function createSa(name = `sa-${uid()}`) {
  const res = await owner.gql(CreateServiceAccountDocument, {
    input: { accountId: owner.accountId, name },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.createServiceAccount;
}

describe('service accounts', () => {
  it('creates a service account with a typed key that authenticates as it', async () => {
    const created = await createSa();
    expect(created.key).toMatch(/^fps_/);
    expect(created.apiKey.ownerType).toBe('SERVICE_ACCOUNT');
    const me = await stack.as(created.key).gql(MeDocument);
    expect(me.data?.me).toMatchObject({
      kind: 'SERVICE_ACCOUNT',
      id: created.serviceAccount.id,
      user: null,
    });
    const listed = await owner.gql(
      `query($id: ID!) { account(id: $id) { serviceAccounts { id name apiKeys { masked active } } } }`,
      { id: owner.accountId },
    );
    const sa = listed.data.account.serviceAccounts.find(
      (s: { id: string }) => s.id === created.serviceAccount.id,
    );
    expect(sa.apiKeys).toEqual([{ masked: `fps_…${created.key.slice(-4)}`, active: true }]);
  });

  it('is a member of its account through the provisioning event', async () => {
    const created = await createSa();
    const me = await stack.as(created.key).gql(`{ me { accounts { id } } }`);
    expect(me.data.me.accounts.map((a: { id: string }) => a.id)).toEqual([owner.accountId]);
  });

  it('rotation keeps the old key valid during the grace period, or revokes it at 0 h', async () => {
    const created = await createSa();
    const rotated = await owner.gql(RotateServiceAccountKeyDocument, {
      input: { serviceAccountId: created.serviceAccount.id, gracePeriodHours: 24 },
    });
    const newKey = rotated.data!.rotateServiceAccountKey.key;
    expect((await stack.as(created.key).gql(MeDocument)).data?.me.id).toBe(
      created.serviceAccount.id,
    );
    expect((await stack.as(newKey).gql(MeDocument)).data?.me.id).toBe(created.serviceAccount.id);
    const keys = await owner.gql(
      `query($id: ID!) { account(id: $id) { serviceAccounts { id apiKeys { masked expiresAt } } } }`,
      { id: owner.accountId },
    );
    const old = keys.data.account.serviceAccounts
      .find((s: { id: string }) => s.id === created.serviceAccount.id)
      .apiKeys.find((k: { masked: string }) => k.masked.endsWith(created.key.slice(-4)));
    const hours = (Date.parse(old.expiresAt) - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(23);
    expect(hours).toBeLessThanOrEqual(24);

    const again = await owner.gql(RotateServiceAccountKeyDocument, {
      input: { serviceAccountId: created.serviceAccount.id, gracePeriodHours: 0 },
    });
    expect(again.errors).toBeUndefined();
    expect(codes(await stack.as(created.key).gql(MeDocument))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await stack.as(newKey).gql(MeDocument))).toEqual(['UNAUTHENTICATED']);
    expect(
      (await stack.as(again.data!.rotateServiceAccountKey.key).gql(MeDocument)).data?.me.id,
    ).toBe(created.serviceAccount.id);
  });

  it('refuses a grace period above 48 hours and changes nothing', async () => {
    const created = await createSa();
    const res = await owner.gql(RotateServiceAccountKeyDocument, {
      input: { serviceAccountId: created.serviceAccount.id, gracePeriodHours: 49 },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'gracePeriodHours',
    });
    expect((await stack.as(created.key).gql(MeDocument)).data?.me.id).toBe(
      created.serviceAccount.id,
    );
  });

  it('is invisible to other tenants: creating one in a foreign account is NOT_FOUND', async () => {
    const stranger = await stack.signUp();
    const res = await stranger.gql(CreateServiceAccountDocument, {
      input: { accountId: owner.accountId, name: 'intruder' },
    });
    expect(codes(res)).toEqual(['NOT_FOUND']);
    const rotate = await stranger.gql(RotateServiceAccountKeyDocument, {
      input: { serviceAccountId: (await createSa()).serviceAccount.id },
    });
    expect(codes(rotate)).toEqual(['NOT_FOUND']);
  });

  it('a duplicate name in the account is a CONFLICT', async () => {
    const name = `dup-${uid()}`;
    await createSa(name);
    const res = await owner.gql(CreateServiceAccountDocument, {
      input: { accountId: owner.accountId, name },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'name' });
  });

  it('an Admin cannot create an Owner service account; an Owner can', async () => {
    const admin = await join(stack, owner, 'ADMIN');
    const input = {
      accountId: owner.accountId,
      name: `boss-${uid()}`,
      accountRole: 'OWNER' as const,
    };
    const denied = await admin.gql(CreateServiceAccountDocument, { input });
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    const asMember = await admin.gql(CreateServiceAccountDocument, {
      input: { ...input, accountRole: 'MEMBER' as const },
    });
    expect(asMember.errors).toBeUndefined();
    const byOwner = await owner.gql(CreateServiceAccountDocument, {
      input: { ...input, name: `boss2-${uid()}` },
    });
    expect(byOwner.errors).toBeUndefined();
  });
});
