import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../lib/bus.js';
import { InternalTokens } from '../../lib/internal-token.js';
import type { BackgroundService } from '../../lib/background.js';
import { Subgraph } from '../../lib/subgraph.js';
import { operationsSubgraph } from '../../subgraphs/operations/src/index.js';
import { DATABASE_URL, requireService } from '../harness/services.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace } from '../harness/seed.js';
import { createDeployment, createFlow, createPool, createRun, ok, setState } from './fixtures.js';

const RUNS = `query($id: ID!) { workspace(id: $id) { flowRuns(first: 200, filter: { stateTypes: [SCHEDULED] }) {
  totalCount edges { node { id autoScheduled expectedStartTime idempotencyKey stateName deployment { id } } } } } }`;

function suite(db: 'sqlite' | 'postgres') {
  let stack: Stack;
  let alice: Actor;
  let flowId: string;
  const service = (name: string): BackgroundService =>
    stack.running.subgraphs.operations!.services.find((s) => s.name === name)!;
  beforeAll(async () => {
    stack = await startStack({ database: db });
    alice = await stack.signUp();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function scheduledRuns(workspaceId: string) {
    const res = await ok(alice, RUNS, { id: workspaceId });
    return res.workspace.flowRuns.edges.map((e: any) => e.node);
  }

  it('the scheduler keeps 3 to 100 runs ahead, once per (deployment, time), skipping paused deployments', async () => {
    const ws = await createWorkspace(alice, alice.accountId);
    flowId = (await createFlow(alice, ws.id)).id;
    const hourly = await createDeployment(alice, flowId, {
      schedules: [{ intervalSeconds: 3600 }],
    });
    const often = await createDeployment(alice, flowId, { schedules: [{ intervalSeconds: 10 }] });
    const paris = await createDeployment(alice, flowId, {
      schedules: [{ cron: '0 9 * * *', timezone: 'Europe/Paris' }],
    });
    const paused = await createDeployment(alice, flowId, {
      paused: true,
      schedules: [{ intervalSeconds: 60 }],
    });
    const inactive = await createDeployment(alice, flowId, {
      schedules: [{ rrule: 'FREQ=DAILY', active: false }],
    });
    const now = new Date('2030-03-27T12:00:00Z');
    const created = await service('scheduler').runOnce(now);
    const runs = await scheduledRuns(ws.id);
    const of = (d: { id: string }) => runs.filter((r: any) => r.deployment?.id === d.id);
    expect(of(hourly)).toHaveLength(3);
    expect(of(often)).toHaveLength(100);
    expect(
      of(paris)
        .map((r: any) => r.expectedStartTime)
        .sort(),
    ).toEqual(['2030-03-28T08:00:00.000Z', '2030-03-29T08:00:00.000Z', '2030-03-30T08:00:00.000Z']);
    expect(of(paused)).toHaveLength(0);
    expect(of(inactive)).toHaveLength(0);
    expect(created).toBe(106);
    expect(
      runs.every((r: any) => r.autoScheduled && r.idempotencyKey.startsWith('scheduled:')),
    ).toBe(true);
    // A second pass (or a second instance) creates nothing new.
    expect(await service('scheduler').runOnce(now)).toBe(0);
    // Resuming a paused deployment lets the scheduler fill it.
    await ok(alice, `mutation($id: ID!) { resumeDeployment(id: $id) { id } }`, { id: paused.id });
    expect(await service('scheduler').runOnce(now)).toBe(60);
    // Pausing removes the runs it had created ahead.
    await ok(alice, `mutation($id: ID!) { pauseDeployment(id: $id) { id } }`, { id: paused.id });
    expect(
      (await scheduledRuns(ws.id)).filter((r: any) => r.deployment?.id === paused.id),
    ).toHaveLength(0);
  });

  it('the late-run marker marks SCHEDULED runs 15 s overdue as Late, and only those', async () => {
    const ws = await createWorkspace(alice, alice.accountId);
    const f = (await createFlow(alice, ws.id)).id;
    const now = Date.now();
    const at = (ms: number) => ({
      type: 'SCHEDULED',
      details: { scheduledTime: new Date(now + ms).toISOString() },
    });
    const overdue = await createRun(alice, { flowId: f, state: at(-20_000) });
    const recent = await createRun(alice, { flowId: f, state: at(-5_000) });
    const future = await createRun(alice, { flowId: f, state: at(60_000) });
    const running = await createRun(alice, { flowId: f, state: { type: 'RUNNING' } });
    expect(await service('late-runs').runOnce(new Date(now))).toBeGreaterThanOrEqual(1);
    const name = async (id: string) =>
      (
        await ok(
          alice,
          `query($id: ID!) { flowRun(id: $id) { stateType stateName nextScheduledStartTime } }`,
          { id },
        )
      ).flowRun;
    expect(await name(overdue.id)).toMatchObject({ stateType: 'SCHEDULED', stateName: 'Late' });
    expect((await name(recent.id)).stateName).toBe('Scheduled');
    expect((await name(future.id)).stateName).toBe('Scheduled');
    expect((await name(running.id)).stateName).toBe('Running');
    // The Late run keeps its scheduled time and can still be claimed and run.
    expect((await name(overdue.id)).nextScheduledStartTime).toBe(
      new Date(now - 20_000).toISOString(),
    );
    await service('late-runs').runOnce(new Date(now + 10_500));
    expect((await name(recent.id)).stateName).toBe('Late');
    expect((await setState(alice, overdue.id, { type: 'PENDING' })).status).toBe('ACCEPT');
  });

  it('worker liveness: OFFLINE after three missed heartbeats, and the pool becomes NOT_READY', async () => {
    const ws = await createWorkspace(alice, alice.accountId);
    const pool = await createPool(alice, ws.id);
    await ok(
      alice,
      `mutation($input: WorkerHeartbeatInput!) { workerHeartbeat(input: $input) { id } }`,
      {
        input: { workPoolId: pool.id, name: 'w', heartbeatIntervalSeconds: 10 },
      },
    );
    const POOL = `query($id: ID!) { workPool(id: $id) { status workers { status } } }`;
    expect(await service('worker-liveness').runOnce(new Date(Date.now() + 25_000))).toBe(0);
    expect((await ok(alice, POOL, { id: pool.id })).workPool).toEqual({
      status: 'READY',
      workers: [{ status: 'ONLINE' }],
    });
    expect(
      await service('worker-liveness').runOnce(new Date(Date.now() + 31_000)),
    ).toBeGreaterThanOrEqual(1);
    expect((await ok(alice, POOL, { id: pool.id })).workPool).toEqual({
      status: 'NOT_READY',
      workers: [{ status: 'OFFLINE' }],
    });
  });

  it('pause expiry fails PAUSED runs whose pause ran out', async () => {
    const ws = await createWorkspace(alice, alice.accountId);
    const f = (await createFlow(alice, ws.id)).id;
    const run = await createRun(alice, { flowId: f, state: { type: 'RUNNING' } });
    await setState(alice, run.id, { type: 'PAUSED', details: { pauseTimeoutSeconds: 60 } });
    expect(await service('pause-expiry').runOnce(new Date(Date.now() + 30_000))).toBe(0);
    expect(
      await service('pause-expiry').runOnce(new Date(Date.now() + 61_000)),
    ).toBeGreaterThanOrEqual(1);
    const after = (
      await ok(alice, `query($id: ID!) { flowRun(id: $id) { stateType state { message } } }`, {
        id: run.id,
      })
    ).flowRun;
    expect(after).toMatchObject({
      stateType: 'FAILED',
      state: { message: expect.stringContaining('pause expired') },
    });
  });

  it.runIf(db === 'postgres')(
    'two instances scheduling at once create no duplicate run',
    async () => {
      const ws = await createWorkspace(alice, alice.accountId);
      const f = (await createFlow(alice, ws.id)).id;
      const deployments = [];
      for (let i = 0; i < 5; i++) {
        deployments.push(
          await createDeployment(alice, f, { schedules: [{ intervalSeconds: 30 + i }] }),
        );
      }
      const second = await Subgraph.start(operationsSubgraph, {
        database: {
          kind: 'postgresql',
          url: DATABASE_URL!,
          schema: `${stack.schemaPrefix}operations`,
        },
        bus: new InProcessBus(),
        tokens: new InternalTokens('x'.repeat(32), 60),
        runRelay: false,
      });
      try {
        const other = second.services.find((s) => s.name === 'scheduler')!;
        const now = new Date('2031-01-01T00:00:00Z');
        for (let round = 0; round < 3; round++) {
          await Promise.all([service('scheduler').runOnce(now), other.runOnce(now)]);
        }
        const rows = await second.orm.em
          .fork()
          .getConnection()
          .execute(
            `select deployment_id, next_scheduled_start_time, count(*) as n from flow_run where workspace_id = ? group by deployment_id, next_scheduled_start_time`,
            [ws.id],
          );
        expect(rows.every((r: any) => Number(r.n) === 1)).toBe(true);
        expect(rows).toHaveLength(5 * 100);
      } finally {
        await second.stop();
      }
    },
    // 500 runs written twice over by two instances racing: ~35 s alone, more under load.
    180_000,
  );
}

describe('background services on SQLite', () => suite('sqlite'));
describe.runIf(requireService('DATABASE_URL'))('background services on PostgreSQL', () =>
  suite('postgres'),
);
