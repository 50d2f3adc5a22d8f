import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../lib/bus.js';
import { startStack, uid, type Stack } from '../harness/stack.js';
import { ACCEPT, createWorkspace, invite } from './helpers.js';

let stack: Stack;
let events: DomainEvent[] = [];
beforeAll(async () => {
  stack = await startStack();
  stack.running.bus.subscribeBroadcast((e) => {
    if (e.source === 'workspaces') events.push(e);
  });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  events = [];
});

const ofType = (type: string) => events.filter((e) => e.type === type).map((e) => e.payload);
const count = async (table: string, where: string, params: unknown[]) => {
  const rows = await stack.running.subgraphs
    .workspaces!.orm.em.getConnection()
    .execute(`select count(*) as n from ${table} where ${where}`, params);
  return Number(rows[0].n);
};

describe('domain events', () => {
  it('announces workspace changes and the account-wide grant change', async () => {
    const alice = await stack.signUp();
    events = [];
    const ws = await createWorkspace(alice, alice.accountId);
    expect(ofType('workspace.created')).toEqual([
      expect.objectContaining({ workspaceId: ws.id, accountId: alice.accountId }),
    ]);
    expect(ofType('grants.changed')).toEqual([{ accountId: alice.accountId }]);
    await alice.gql(`mutation ($id: ID!) { deleteWorkspace(id: $id) }`, { id: ws.id });
    expect(ofType('workspace.deleted')).toEqual([
      expect.objectContaining({ workspaceId: ws.id, accountId: alice.accountId }),
    ]);
  });

  it('announces invitations and the membership they create, never with the code', async () => {
    const alice = await stack.signUp();
    const ws = await createWorkspace(alice, alice.accountId);
    const bob = await stack.signUp();
    events = [];
    const inv = await invite(alice, alice.accountId, bob.email, {
      workspaceId: ws.id,
      workspaceRole: 'RUNNER',
    });
    await bob.gql(ACCEPT, { code: inv.code });
    expect(ofType('invitation.created')).toHaveLength(1);
    expect(ofType('invitation.accepted')).toEqual([
      expect.objectContaining({
        invitationId: inv.id,
        accountId: alice.accountId,
        userId: bob.userId,
        workspaceId: ws.id,
        workspaceRole: 'RUNNER',
      }),
    ]);
    expect(ofType('account-membership.created')).toEqual([
      {
        accountId: alice.accountId,
        principalId: bob.userId,
        principalType: 'USER',
        role: 'MEMBER',
        active: true,
      },
    ]);
    expect(ofType('grants.changed')).toEqual([{ principalIds: [bob.userId] }]);
    expect(JSON.stringify(events)).not.toContain(inv.code);
  });
});

describe('consumers', () => {
  it('provision one account per sign-up event, however often it is delivered', async () => {
    const userId = randomUUID();
    const accountId = randomUUID();
    const event = (id: string): DomainEvent => ({
      id,
      type: 'user.signed-up',
      source: 'users',
      occurredAt: new Date().toISOString(),
      payload: {
        userId,
        accountId,
        handle: `replay-${uid(4)}`,
        name: 'Replay',
        email: 'r@example.test',
      },
    });
    const first = event(randomUUID());
    await stack.running.bus.publish([first]);
    await stack.running.bus.publish([first]);
    await stack.running.bus.publish([event(randomUUID())]);
    expect(await count('account', 'id = ?', [accountId])).toBe(1);
    expect(
      await count('account_membership', 'account_id = ? and principal_id = ?', [accountId, userId]),
    ).toBe(1);
  });

  it('skip malformed events instead of failing the bus', async () => {
    await expect(
      stack.running.bus.publish([
        {
          id: randomUUID(),
          type: 'user.signed-up',
          source: 'users',
          occurredAt: new Date().toISOString(),
          payload: {},
        },
      ]),
    ).resolves.toBeUndefined();
  });
});
