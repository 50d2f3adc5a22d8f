import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, eventually } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { connectWs } from '../harness/ws.js';
import { ok } from '../operations/fixtures.js';

/**
 * Issue 6 on the socket: subscribe operations are charged to the same rate-limit budgets as
 * HTTP operations (RATE_LIMITED over budget), and stopping the gateway closes every socket with
 * 1001 "Going away".
 */
const BUDGET = 250;
let stack: Stack;
let owner: Actor;
let workspaceId: string;
let stopped = false;

beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_COST_PER_MINUTE: String(BUDGET) } });
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
});
afterAll(async () => {
  if (!stopped) await stack?.stop();
});

/** About 100 cost units: a connection of 50 task runs under each run. */
const COSTLY = `subscription($w: ID!) {
  flowRunEvents(workspaceId: $w) { id flowRun { taskRuns(first: 50) { edges { node { id } } } } }
}`;

describe('subscriptions and the gateway’s limits', () => {
  it('charges each subscribe to the caller’s budget: over it, RATE_LIMITED, also over HTTP', async () => {
    const created = await ok(owner, `mutation { createApiKey(input: { name: "rl" }) { key } }`, {});
    const key = created.createApiKey.key as string;
    // The budget is a window of a minute: when it turns between the refusal and the HTTP check,
    // the check would see a fresh budget, so the whole scenario runs again in the new window.
    for (let attempt = 1; ; attempt++) {
      const conn = await connectWs(stack.url, { token: key });
      const engine = stack.running.gateway!.subscriptions;
      const before = engine.registered;
      let accepted = 0;
      let refusal: { message: string; extensions?: Record<string, unknown> } | undefined;
      // A new rate window may open during the loop: a few more attempts than the budget allows.
      for (let i = 0; i < 8 && !refusal; i++) {
        const sub = conn.subscribe(COSTLY, { w: workspaceId });
        // Either refused, or registered by the engine.
        await eventually(async () => {
          if (!sub.errors) expect(engine.registered).toBe(before + accepted + 1);
        });
        if (sub.errors) refusal = sub.errors[0];
        else accepted++;
      }
      const refusedAt = Date.now();
      expect(accepted).toBeGreaterThanOrEqual(1);
      expect(refusal?.extensions).toMatchObject({
        code: 'RATE_LIMITED',
        retryAfterSeconds: expect.any(Number),
      });
      // HTTP requests draw on the same budget: what is left is less than one more subscribe (a
      // refused operation takes nothing, so a cheap request still fits).
      const http = await stack.as(key).gql(`{ me { id } }`);
      await conn.dispose();
      expect(Number(http.headers.get('x-ratelimit-limit'))).toBe(BUDGET);
      const turned =
        (Date.now() - refusedAt) / 1000 >= Number(refusal!.extensions!.retryAfterSeconds) - 1;
      if (turned && attempt < 3) continue;
      expect(Number(http.headers.get('x-ratelimit-remaining'))).toBeLessThan(100);
      break;
    }
  });

  it('stopping the gateway closes open sockets with 1001 "Going away"', async () => {
    const conn = await connectWs(stack.url, { authorization: `Bearer ${owner.token}` });
    const before = stack.running.gateway!.subscriptions.registered;
    const sub = conn.subscribe(`subscription($w: ID!) { events(workspaceId: $w) { id } }`, {
      w: workspaceId,
    });
    await eventually(async () =>
      expect(stack.running.gateway!.subscriptions.registered).toBe(before + 1),
    );
    stopped = true;
    await stack.stop();
    expect(await conn.closedWithin()).toEqual({ code: 1001, reason: 'Going away' });
    expect(sub.results).toEqual([]);
  });
});
