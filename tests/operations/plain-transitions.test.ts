/**
 * Issue 16, goal 1: a set-state request reads its run with one plain statement and writes the
 * transition (state, run, event, its related rows, two outbox rows) with plain statements outside
 * MikroORM's unit of work: one statement on PostgreSQL, one per table on SQLite. What it writes
 * must be what the unit of work wrote: the same rows, read back the same through GraphQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowRun } from '../../subgraphs/operations/src/flow-runs/flow-run.entity.js';
import {
  lockDetached,
  readDetached,
  readDetachedWithRef,
  runWrites,
  updateStatement,
} from '../../lib/plain-sql.js';
import { Deployment } from '../../subgraphs/operations/src/deployments/deployment.entity.js';
import { Flow } from '../../subgraphs/operations/src/flows/flow.entity.js';
import { isPostgres } from '../../lib/db.js';
import { deferredWrites } from '../../lib/pg-pipeline.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { createWorkspace } from '../harness/seed.js';
import {
  CREATE_TASK,
  createDeployment,
  createFlow,
  createPool,
  createRun,
  FLOW_RUN,
  ok,
  SET_TASK_STATE,
  setState,
} from './fixtures.js';

let stack: Stack;
let owner: Actor;
let workspaceId: string;
let deploymentId: string;

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  workspaceId = (await createWorkspace(owner, owner.accountId)).id;
  const pool = await createPool(owner, workspaceId);
  const flow = await createFlow(owner, workspaceId);
  deploymentId = (await createDeployment(owner, flow.id, { workPoolId: pool.id })).id;
});
afterAll(async () => {
  await stack?.stop();
});

const orm = () => stack.running.subgraphs.operations!.orm;
const postgres = () => isPostgres(orm());

/** The operations subgraph's statements of one request, transaction control left out. */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const counter = stack.counters.operations;
  counter.reset(true);
  await fn();
  const seen = [...counter.statements];
  counter.reset();
  return seen;
}

describe('a transition in plain statements', () => {
  it('costs one read and one write on PostgreSQL (one per table on SQLite), whatever the state', async () => {
    const run = await createRun(owner, { deploymentId, tags: ['a', 'b'] });
    // Entering PENDING, a deployment's run without a slot needs the deployment's limit: read
    // along with the run (a limit set, it then locks the deployment and counts its slots).
    for (const type of ['PENDING', 'RUNNING', 'COMPLETED'] as const) {
      const seen = await statementsOf(() => setState(owner, run.id, { type }));
      const reads = seen.filter((s) => /\] select /i.test(s));
      const writes = seen.filter((s) => /\] (with|insert|update) /i.test(s));
      expect(reads.length, seen.join('\n')).toBe(1);
      expect(reads[0]).toMatch(
        /from flow_run as t where t\.id = \S+ (and t\.workspace_id = \S+ )?limit 1/,
      );
      expect(reads[0]).toContain(
        'select concurrency_limit from deployment where id = t.deployment_id',
      );
      // state, event, related resources, outbox, run
      expect(writes.length, seen.join('\n')).toBe(postgres() ? 1 : 5);
      expect(seen.length).toBe(reads.length + writes.length);
    }
  });

  it('creates a run with plain statements too: one write on PostgreSQL, one per table on SQLite', async () => {
    let id = '';
    const seen = await statementsOf(async () => {
      id = (await createRun(owner, { deploymentId, tags: ['new'] })).id;
    });
    const writes = seen.filter((s) => /\] (with|insert|update) /i.test(s));
    // run, state, event, related resources, outbox (state change, event, flow-run.created)
    expect(writes.length, seen.join('\n')).toBe(postgres() ? 1 : 5);
    expect(writes[0]).toMatch(
      postgres() ? /^\S+ with w0 as \(insert into flow_run / : /insert into flow_run /,
    );
    // The created run's outbox rows in the order they publish: its first state, that state's
    // event, then the creation.
    const rows = await orm()
      .em.fork()
      .getConnection()
      .execute<{ type: string; payload: unknown }[]>(
        `select type, payload from outbox order by seq desc limit 50`,
      );
    const mine = rows
      .filter((r) =>
        (typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload)).includes(id),
      )
      .map((r) => r.type)
      .reverse();
    // (Rows the consumers wrote since, e.g. the audit entry's event, come after them.)
    expect(mine.slice(0, 3)).toEqual([
      'flow-run.state-changed',
      'event.emitted',
      'flow-run.created',
    ]);
    const read = (await ok(owner, FLOW_RUN, { id })).flowRun;
    expect(read.stateType).toBe('SCHEDULED');
    expect(read.tags).toEqual(['new']);
    expect(read.states.map((s: { type: string }) => s.type)).toEqual(['SCHEDULED']);
    // And it goes on like any other.
    expect((await setState(owner, id, { type: 'PENDING' })).status).toBe('ACCEPT');
  });

  it('a created run answers its flow and deployment from the rows it read (as Prefect’s REST asks)', async () => {
    const alone = deferredWrites.alone;
    const seen = await statementsOf(async () => {
      const res = await ok(
        owner,
        `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id flow { id } deployment { id } } }`,
        { i: { deploymentId } },
      );
      expect(res.createFlowRun.deployment.id).toBe(deploymentId);
      expect(res.createFlowRun.flow.id).toEqual(expect.any(String));
    });
    const reads = seen.filter((s) => /\] select /i.test(s));
    // The deployment with its flow, in one statement (the field resolvers do not read them
    // again). Plain statements name a table bare; MikroORM's quote it, on PostgreSQL with its
    // schema.
    const from = (table: string) => new RegExp(`from (\\S+\\.)?[\`"]?${table}[\`"]?\\s`);
    expect(reads, seen.join('\n')).toHaveLength(1);
    expect(reads[0]).toMatch(from('deployment'));
    expect(reads[0]).toMatch(/ left join flow as r on r\.id = t\.flow_id /);
    // Its transaction's one write (run, state, event, outbox) ran alone, without BEGIN and
    // COMMIT: one round trip (lib/pg-pipeline).
    if (postgres()) expect(deferredWrites.alone - alone).toBe(1);
  });

  it('reads a row and the row it refers to in one statement as each alone (readDetachedWithRef)', async () => {
    const em = orm().em.fork();
    const read = await readDetachedWithRef(
      em,
      Deployment,
      { id: deploymentId, workspaceId },
      Flow,
      'flowId',
    );
    const deployment = await readDetached(em, Deployment, { id: deploymentId, workspaceId });
    expect(read!.row).toEqual(deployment);
    expect(read!.ref).toEqual(await readDetached(em, Flow, { id: deployment!.flowId }));
    // Inside another workspace, or unknown: nothing.
    const elsewhere = (await createWorkspace(owner, owner.accountId)).id;
    expect(
      await readDetachedWithRef(
        em,
        Deployment,
        { id: deploymentId, workspaceId: elsewhere },
        Flow,
        'flowId',
      ),
    ).toBeNull();
    expect(
      await readDetachedWithRef(em, Deployment, { id: randomUUID() }, Flow, 'flowId'),
    ).toBeNull();
    // A reference to no row: the row, and no referred one (a run's flow by its deployment id).
    const run = await createRun(owner, { deploymentId });
    const noRef = await readDetachedWithRef(em, FlowRun, { id: run.id }, Flow, 'deploymentId');
    expect(noRef!.row.id).toBe(run.id);
    expect(noRef!.ref).toBeNull();
  });

  it('stores what the unit of work stored: states, bookkeeping, events, outbox', async () => {
    const run = await createRun(owner, { deploymentId, tags: ['x'] });
    await setState(owner, run.id, { type: 'PENDING' });
    await setState(owner, run.id, { type: 'RUNNING', message: 'go' });
    await setState(owner, run.id, { type: 'COMPLETED' });
    const read = (await ok(owner, FLOW_RUN, { id: run.id })).flowRun;
    expect(read.stateType).toBe('COMPLETED');
    expect(read.runCount).toBe(1);
    expect(read.startTime).not.toBeNull();
    expect(read.endTime).not.toBeNull();
    expect(read.totalRunTime).toBeGreaterThanOrEqual(0);
    expect(read.states.map((s: { type: string }) => s.type)).toEqual([
      'SCHEDULED',
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ]);
    const em = orm().em.fork();
    const events = await em
      .getConnection()
      .execute(`select name, follows, id from event where resource_id = ? order by occurred, seq`, [
        `flowplane.flow-run.${run.id}`,
      ]);
    expect(events.map((e) => e.name)).toEqual([
      'flowplane.flow-run.Scheduled',
      'flowplane.flow-run.Pending',
      'flowplane.flow-run.Running',
      'flowplane.flow-run.Completed',
    ]);
    // Each event follows the run's previous one (the id the run row keeps).
    for (let i = 1; i < events.length; i++) expect(events[i]!.follows).toBe(events[i - 1]!.id);
    const related = await em
      .getConnection()
      .execute<{ role: string }[]>(
        `select role from event_related where event_id = ? order by role`,
        [events[3]!.id],
      );
    expect(related.map((r) => r.role)).toEqual([
      'deployment',
      'flow',
      'tag',
      'work-pool',
      'work-queue',
    ]);
    const outbox = await em
      .getConnection()
      .execute<{ type: string }[]>(`select type, payload from outbox order by seq desc limit 2`);
    // The state change before the event that carries it, as the unit of work wrote them.
    expect(outbox.map((o) => o.type)).toEqual(['event.emitted', 'flow-run.state-changed']);
    const entity = await em.findOneOrFail(FlowRun, { id: run.id });
    expect(entity.stateType).toBe('COMPLETED');
    expect(entity.stateDetails).toEqual({});
    expect(entity.holdsDeploymentSlot).toBe(false);
  });

  it('task runs go the same way', async () => {
    const run = await createRun(owner, { deploymentId });
    await setState(owner, run.id, { type: 'PENDING' });
    await setState(owner, run.id, { type: 'RUNNING' });
    const task = (await ok(owner, CREATE_TASK, { input: { flowRunId: run.id, taskKey: 't' } }))
      .createTaskRun;
    for (const type of ['RUNNING', 'COMPLETED']) {
      const seen = await statementsOf(async () => {
        const r = await ok(owner, SET_TASK_STATE, {
          input: { taskRunId: task.id, state: { type } },
        });
        expect(r.setTaskRunState.status).toBe('ACCEPT');
      });
      const writes = seen.filter((s) => /\] (with|insert|update) /i.test(s));
      expect(writes.length, seen.join('\n')).toBe(postgres() ? 1 : 5);
    }
  });
});

const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;

describe('client events in plain statements', () => {
  const event = (i: number, related = 2) => ({
    id: randomUUID(),
    event: `acme.order.step${i % 3}`,
    resource: { id: `acme.order.${i}`, labels: { region: 'eu' } },
    related: Array.from({ length: related }, (_, r) => ({
      id: `acme.thing.${r}`,
      role: `role${r}`,
    })),
    payload: { i },
  });

  /** The `event.emitted` announcements of these event ids, oldest first. */
  async function announced(ids: string[]): Promise<string[]> {
    const rows = await orm()
      .em.fork()
      .getConnection()
      .execute<{ payload: unknown }[]>(
        `select payload from outbox where type = 'event.emitted' order by seq desc limit 3000`,
      );
    // (Audit entries become events in the background: only these ids are compared.)
    const mine = new Set<string>(ids);
    return rows
      .reverse()
      .map((o) => (typeof o.payload === 'string' ? JSON.parse(o.payload) : o.payload).event.id)
      .filter((id: string) => mine.has(id));
  }

  /** How many related-resource rows these events have. */
  async function relatedRows(ids: string[]): Promise<number> {
    const [{ n }] = await orm()
      .em.fork()
      .getConnection()
      .execute<{ n: number | string }[]>(
        `select count(*) as n from event_related where workspace_id = ? and event_id in (${ids.map(() => '?').join(', ')})`,
        [workspaceId, ...ids],
      );
    return Number(n);
  }

  it('a batch costs one write and no read on PostgreSQL, one per table on SQLite', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => event(i));
    const seen = await statementsOf(async () => {
      expect((await ok(owner, EMIT, { input: { workspaceId, events: batch } })).emitEvents).toBe(
        100,
      );
    });
    const writes = seen.filter((s) => /\] (with|insert|update) /i.test(s));
    // events (skipping the ids stored already), related resources, outbox
    expect(writes.length, seen.join('\n')).toBe(postgres() ? 1 : 3);
    expect(writes[0]).toMatch(
      // The events' rows bound once, read by the events' INSERT and their outbox rows.
      postgres()
        ? /^\S+ with fp_events as \(select .*\), fp_new as \(insert into event /
        : /insert into event /,
    );
    expect(seen.length).toBe(writes.length);
    // Sent again: all known, nothing stored, nothing announced twice.
    const again = await statementsOf(async () => {
      expect((await ok(owner, EMIT, { input: { workspaceId, events: batch } })).emitEvents).toBe(0);
    });
    expect(again.length, again.join('\n')).toBe(1);
    expect(await announced(batch.map((e) => e.id))).toEqual(batch.map((e) => e.id));
  });

  it('the same ids sent at once by several requests are stored and announced once', async () => {
    const batch = Array.from({ length: 20 }, (_, i) => event(i));
    const counts = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await owner.gql(EMIT, { input: { workspaceId, events: batch } });
        expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
        return res.data.emitEvents as number;
      }),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    const ids = batch.map((e) => e.id);
    expect(await relatedRows(ids)).toBe(20 * 2);
    expect((await announced(ids)).sort()).toEqual([...ids].sort());
  });

  it('a large batch with ids stored before stores the new ones only, whole, in order', async () => {
    const batch = Array.from({ length: 400 }, (_, i) => event(i, 30));
    const known = [batch[0]!, batch[150]!, batch[399]!];
    expect((await ok(owner, EMIT, { input: { workspaceId, events: known } })).emitEvents).toBe(3);
    const seen = await statementsOf(async () => {
      expect((await ok(owner, EMIT, { input: { workspaceId, events: batch } })).emitEvents).toBe(
        397,
      );
    });
    // 12,000 related rows: several statements (in one transaction) on PostgreSQL too.
    expect(seen.filter((s) => /\] (with|insert) /i.test(s)).length).toBeGreaterThan(1);
    const ids = batch.map((e) => e.id);
    expect(await relatedRows(ids)).toBe(400 * 30);
    const fresh = ids.filter((id) => !known.some((k) => k.id === id));
    expect(await announced(ids)).toEqual([...known.map((k) => k.id), ...fresh]);
  });

  it('stores the largest batch (500 events with 50 related each) whole, announced in order', async () => {
    const batch = Array.from({ length: 500 }, (_, i) => event(i, 50));
    const seen = await statementsOf(async () => {
      expect((await ok(owner, EMIT, { input: { workspaceId, events: batch } })).emitEvents).toBe(
        500,
      );
    });
    const writes = seen.filter((s) => /\] (with|insert|update) /i.test(s));
    // 25,000 related rows × 4 values: split under the databases' limits on bound values.
    expect(writes.length).toBeGreaterThan(postgres() ? 1 : 3);
    const ids = batch.map((e) => e.id);
    expect(await relatedRows(ids)).toBe(500 * 50);
    expect(await announced(ids)).toEqual(ids);
    const read = await ok(
      owner,
      `query($w: ID!, $f: EventFilter) { workspace(id: $w) { events(first: 1, filter: $f) {
        totalCount edges { node { id related { id role } payload } } } } }`,
      { w: workspaceId, f: { resourceIds: ['acme.order.499'], namePrefixes: ['acme.order.'] } },
    );
    expect(read.workspace.events.edges[0].node.related).toHaveLength(50);
  });
});

describe('lib/plain-sql', () => {
  it('writes back only what changed, converting JSON, dates and booleans as MikroORM does', async () => {
    const run = await createRun(owner, { deploymentId, tags: ['t1'] });
    const changed = new Date('2030-01-02T03:04:05.678Z');
    await orm()
      .em.fork()
      .transactional(async (em) => {
        const detached = (await lockDetached(em, FlowRun, { id: run.id, workspaceId }))!;
        expect(detached).toBeInstanceOf(FlowRun);
        expect(detached.tags).toEqual(['t1']);
        expect(detached.createdAt).toBeInstanceOf(Date);
        // Nothing changed: nothing to write.
        expect(updateStatement(em, FlowRun, detached)).toBeNull();
        detached.tags = ['t1', 't2'];
        detached.labels = { k: 'v' };
        detached.expectedStartTime = changed;
        detached.holdsDeploymentSlot = true;
        detached.stateMessage = null;
        const write = updateStatement(em, FlowRun, detached)!;
        expect(write.sql).toMatch(/^update flow_run set /);
        expect(write.sql).toMatch(/updated_at = \?/);
        expect(write.sql).not.toMatch(/state_message/); // it was null already
        await runWrites(em, [write]);
        // Written: the snapshot follows, so the same instance has nothing more to write.
        expect(updateStatement(em, FlowRun, detached)).toBeNull();
      });
    const back = await orm().em.fork().findOneOrFail(FlowRun, { id: run.id });
    expect(back.tags).toEqual(['t1', 't2']);
    expect(back.labels).toEqual({ k: 'v' });
    expect(back.expectedStartTime?.toISOString()).toBe(changed.toISOString());
    expect(back.holdsDeploymentSlot).toBe(true);
  });

  it('finds a row only inside the workspace it is asked in', async () => {
    const run = await createRun(owner, { deploymentId });
    const other = (await createWorkspace(owner, owner.accountId)).id;
    const em = orm().em.fork();
    expect(await lockDetached(em, FlowRun, { id: run.id, workspaceId: other })).toBeNull();
    expect(await lockDetached(em, FlowRun, { id: run.id })).not.toBeNull();
  });
});
