import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTwoOperations, type TwoInstances } from '../harness/two-instances.js';
import { emitEvent } from '../../subgraphs/operations/src/event-store/emit.js';
import { createWorkspace, eventually } from '../harness/seed.js';
import { requireService, testDatabase } from '../harness/services.js';
import { dropSchemas, startStack, uid, type Stack } from '../harness/stack.js';
import {
  automationState,
  createAutomation,
  emit,
  operations,
  service,
  settle,
  storedEvents,
} from './automation-fixtures.js';

const TRIGGERED = 'flowplane.automation.triggered';

describe('automations survive a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowplane-automations-'));
  const schemaPrefix = `t_${uid(4)}_`;
  const pg = testDatabase() === 'postgres';
  const opts = pg ? { schemaPrefix, keepData: true } : { sqliteDir: dir };
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (pg) await dropSchemas(schemaPrefix);
  });

  it('a bucket with 2 of 3 events fires on the 3rd after a restart; an open PROACTIVE window is still judged', async () => {
    const first = await startStack(opts);
    stacks.push(first);
    const alice = await first.signUp();
    const ws = (await createWorkspace(alice, alice.accountId)).id;
    const reactive = await createAutomation(alice, {
      workspaceId: ws,
      name: 'three alerts',
      trigger: { event: { expect: ['acme.alert'], threshold: 3, withinSeconds: 3600 } },
      actions: [{ type: 'DO_NOTHING' }],
    });
    await createAutomation(alice, {
      workspaceId: ws,
      name: 'job finishes',
      trigger: {
        event: {
          after: ['acme.job.started'],
          expect: ['acme.job.finished'],
          forEach: ['flowplane.resource.id'],
          posture: 'PROACTIVE',
          withinSeconds: 600,
        },
      },
      actions: [{ type: 'DO_NOTHING' }],
    });
    const alert = { workspaceId: ws, event: 'acme.alert', resource: { id: 'acme.host.1' } };
    await emit(first, alert);
    await emit(first, alert);
    await emit(first, {
      workspaceId: ws,
      event: 'acme.job.started',
      resource: { id: 'acme.job.1' },
    });
    await settle(first);
    expect((await automationState(alice, reactive.id)).buckets[0]!.count).toBe(2);
    await first.stop();
    stacks.pop();

    const second = await startStack(opts);
    stacks.push(second);
    const again = second.as(alice.token);
    expect((await automationState(again, reactive.id)).buckets[0]!.count).toBe(2);
    expect(await storedEvents(second, ws, [TRIGGERED])).toHaveLength(0);
    await emit(second, alert);
    await service(second, 'automation-windows').runOnce(new Date(Date.now() + 700_000));
    await settle(second);
    const fired = await storedEvents(second, ws, [TRIGGERED]);
    expect(fired.map((e) => e.payload.automationId === reactive.id)).toEqual([true, false]);
    expect(fired[1]!.payload.key).toEqual(['acme.job.1']);
  });
});

const distributed = pgAndRedis();
function pgAndRedis(): boolean {
  const redis = requireService('REDIS_URL');
  return redis && testDatabase() === 'postgres';
}

describe.runIf(distributed)('two operations instances on PostgreSQL and Redis fire once', () => {
  let two: TwoInstances | undefined;
  afterAll(() => two?.stop());

  it('counts each event once, fires each expired window once, and calls each webhook once', async () => {
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      received.push(req.url!);
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };
    two = await startTwoOperations(env);
    const { stack, second } = two;
    try {
      const alice = await stack.signUp();
      const ws = (await createWorkspace(alice, alice.accountId)).id;
      const reactive = await createAutomation(alice, {
        workspaceId: ws,
        name: 'every third alert per host',
        trigger: {
          event: {
            expect: ['acme.alert'],
            forEach: ['flowplane.resource.id'],
            threshold: 3,
            withinSeconds: 3600,
          },
        },
        actions: [{ type: 'CALL_WEBHOOK', webhook: { url: `${url}/alert` } }],
      });
      const proactive = await createAutomation(alice, {
        workspaceId: ws,
        name: 'jobs finish',
        trigger: {
          event: {
            after: ['acme.job.started'],
            expect: ['acme.job.finished'],
            forEach: ['flowplane.resource.id'],
            posture: 'PROACTIVE',
            withinSeconds: 600,
          },
        },
        actions: [{ type: 'DO_NOTHING' }],
      });
      // 5 hosts × 6 alerts and 20 job starts, written by both instances in many transactions.
      const specs = [
        ...Array.from({ length: 30 }, (_, i) => ({
          workspaceId: ws,
          event: 'acme.alert',
          resource: { id: `acme.host.${i % 5}` },
        })),
        ...Array.from({ length: 20 }, (_, i) => ({
          workspaceId: ws,
          event: 'acme.job.started',
          resource: { id: `acme.job.${i}` },
        })),
      ];
      const instances = [operations(stack), second];
      // Events stored before the automations existed (the workspace's own audit entries) may
      // have been passed over unmarked: a workspace without automations costs its consumer
      // nothing. Everything from here on must be handled.
      const since = new Date();
      await Promise.all(
        specs.map((spec, i) =>
          instances[i % 2]!.orm.em.fork().transactional(async (em) => void emitEvent(em, spec)),
        ),
      );
      await Promise.all(instances.map((s) => s.relay.flush()));
      // Settled: every event.emitted published (both relays) and handled by the group.
      const conn = second.orm.em.fork().getConnection();
      await eventually(async () => {
        await Promise.all(instances.map((s) => s.relay.flush()));
        const [row] = await conn.execute(
          `select (select count(*) from outbox
                   where type = 'event.emitted' and occurred_at >= ?) as emitted,
                  (select count(*) from outbox where sent_at is null) as unsent,
                  (select count(*) from outbox o
                   where o.type = 'event.emitted' and o.occurred_at >= ?
                     and not exists (select 1 from handled_event h
                       where h.consumer = 'operations.automations' and h.event_id = o.id)) as missed`,
          [since, since],
        );
        expect(Number(row.emitted)).toBeGreaterThanOrEqual(specs.length);
        expect([Number(row.unsent), Number(row.missed)]).toEqual([0, 0]);
      }, 30_000);
      await Promise.all(instances.map((s) => s.relay.flush()));
      const fired = await storedEvents(stack, ws, [TRIGGERED]);
      const of = (id: string) => fired.filter((e) => e.payload.automationId === id);
      expect(of(reactive.id)).toHaveLength(10);
      expect(new Set(of(reactive.id).map((e) => JSON.stringify(e.payload.key))).size).toBe(5);
      expect(of(proactive.id)).toHaveLength(0);

      // Both instances judge the 20 expired windows at once: SKIP LOCKED splits them.
      const later = new Date(Date.now() + 700_000);
      const windows = instances.map((s) =>
        s.services.find((x) => x.name === 'automation-windows')!,
      );
      const judged = await Promise.all(windows.map((w) => w.runOnce(later)));
      expect(judged[0]! + judged[1]!).toBe(20);
      const afterWindows = await storedEvents(stack, ws, [TRIGGERED]);
      expect(afterWindows.filter((e) => e.payload.automationId === proactive.id)).toHaveLength(20);

      // Both instances deliver the 10 webhook calls at once: each is made once.
      const deliveries = instances.map((s) =>
        s.services.find((x) => x.name === 'webhook-delivery')!,
      );
      const attempts = await Promise.all(deliveries.map((d) => d.runOnce()));
      expect(attempts[0]! + attempts[1]!).toBe(10);
      expect(received).toHaveLength(10);
    } finally {
      server.close();
    }
  });
});
