import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActionTargetSource,
  ActionType,
} from '../../subgraphs/operations/src/automations/actions/action-type.js';
import type {
  AutomationData,
  StoredAction,
} from '../../subgraphs/operations/src/automations/actions/action.types.js';
import {
  automationContext,
  runActions,
} from '../../subgraphs/operations/src/automations/actions/run-actions.js';
import { WORKSPACE_ROLE_PERMISSIONS } from '../../lib/permissions.js';
import { pauseWorkspaceActivity } from '../../subgraphs/operations/src/incidents/activity.js';
import { toEventJson, type EventJson } from '../../subgraphs/operations/src/event-store/emit.js';
import { Event } from '../../subgraphs/operations/src/event-store/event.entity.js';
import { createWorkspace, eventually, expectError, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { createDeployment, createFlow, createPool, createRun, ok } from './fixtures.js';

const INCIDENT = `id name summary severity status startTime endTime tags createdAt updatedAt
  declaredBy { type id user { id handle } serviceAccount { id } }`;
const DECLARE = `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { ${INCIDENT} } }`;
const UPDATE = `mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { ${INCIDENT} } }`;
const COMMENT = `mutation($input: IncidentCommentInput!) { commentOnIncident(input: $input) { id updatedAt } }`;
const RESOLVE = `mutation($id: ID!) { resolveIncident(id: $id) { id status endTime } }`;
const REOPEN = `mutation($id: ID!) { reopenIncident(id: $id) { id status endTime } }`;
const STEP = `id kind field from to occurred comment { id body author { type id user { id } } } actor { type id user { id } }`;
const TIMELINE = `query($id: ID!, $first: Int, $after: String) { incident(id: $id) {
  ${INCIDENT}
  timeline(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${STEP} } } }
} }`;
const CHANGE = `query($id: ID!) { incidentChange(id: $id) { ${STEP} incident { id name status } event { id event } } }`;
const EVENT = `query($id: ID!) { event(id: $id) { id event follows payload resource { id name labels } related { id role } } }`;
const LIST = `query($id: ID!, $filter: IncidentFilter, $first: Int, $after: String) { workspace(id: $id) {
  incidents(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } }
} }`;
const RELATED = `query($id: ID!) { incident(id: $id) { relatedResources {
  kind id eventResourceId
  flowRun { id } deployment { id name } workPool { id name } workQueue { id name } flow { id name } blockDocument { id name }
} } }`;

let stack: Stack;
let owner: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  ws = await createWorkspace(owner, owner.accountId);
});
afterAll(async () => {
  await stack?.stop();
});

type Gql = Pick<Actor, 'gql'>;

async function declare(by: Gql, input: Record<string, unknown> = {}) {
  return (
    await ok(by, DECLARE, {
      input: { workspaceId: ws.id, name: `incident ${uid(3)}`, severity: 'HIGH', ...input },
    })
  ).declareIncident;
}

async function timeline(id: string, by: Gql = owner) {
  const d = await ok(by, TIMELINE, { id, first: 200 });
  return d.incident.timeline.edges.map((e: any) => e.node);
}

async function listed(filter: Record<string, unknown>, workspaceId = ws.id) {
  const d = await ok(owner, LIST, { id: workspaceId, filter, first: 200 });
  return d.workspace.incidents.edges.map((e: any) => e.node.id as string);
}

async function blockDocument(workspaceId: string): Promise<{ id: string; name: string }> {
  const type = await ok(
    owner,
    `mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id } }`,
    { input: { workspaceId, slug: `t-${uid(4)}`, name: 'Creds' } },
  );
  const schema = await ok(
    owner,
    `mutation($input: CreateBlockSchemaInput!) { createBlockSchema(input: $input) { id } }`,
    {
      input: {
        blockTypeId: type.createBlockType.id,
        version: '1',
        fields: { type: 'object', properties: { n: { type: 'integer' } } },
      },
    },
  );
  const doc = await ok(
    owner,
    `mutation($input: CreateBlockDocumentInput!) { createBlockDocument(input: $input) { id name } }`,
    {
      input: {
        workspaceId,
        blockSchemaId: schema.createBlockSchema.id,
        name: `b-${uid(4)}`,
        data: { n: 1 },
      },
    },
  );
  return doc.createBlockDocument;
}

describe('an incident’s life, read back from its timeline', () => {
  it('outlives event retention: an incident’s events are its record', async () => {
    const i = await declare(owner);
    const before = await timeline(i.id);
    expect(before.length).toBeGreaterThan(0);
    // An ordinary event of the same workspace and time, which the same purge does remove.
    const other = randomUUID();
    await ok(owner, `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
      input: {
        workspaceId: ws.id,
        events: [{ id: other, event: 'acme.x', resource: { id: 'r' } }],
      },
    });
    const purge = stack.running.subgraphs.operations!.services.find(
      (s) => s.name === 'event-retention',
    )!;
    await purge.runOnce(new Date(Date.now() + 400 * 24 * 3600 * 1000));
    expect(await timeline(i.id)).toEqual(before);
    expectError(
      await owner.gql(`query($id: ID!) { event(id: $id) { id } }`, { id: other }),
      'NOT_FOUND',
    );
  });

  it('declare, update, comment, resolve, reopen: each step in order, with its actor', async () => {
    const start = new Date(Date.now() - 3_600_000).toISOString();
    const i = await declare(owner, {
      name: 'Scheduler lagging',
      summary: 'Runs start late',
      severity: 'MODERATE',
      startTime: start,
      tags: ['infra'],
    });
    expect(i).toMatchObject({
      name: 'Scheduler lagging',
      summary: 'Runs start late',
      severity: 'MODERATE',
      status: 'ACTIVE',
      startTime: start,
      endTime: null,
      tags: ['infra'],
      declaredBy: {
        type: 'USER',
        id: owner.userId,
        user: { id: owner.userId, handle: owner.handle },
        serviceAccount: null,
      },
    });

    // Two fields change, the name stays: two timeline entries, one per field.
    const u = await ok(owner, UPDATE, {
      input: { id: i.id, name: 'Scheduler lagging', severity: 'CRITICAL', tags: ['infra', 'db'] },
    });
    expect(u.updateIncident).toMatchObject({ severity: 'CRITICAL', tags: ['infra', 'db'] });
    const c = await ok(owner, COMMENT, { input: { incidentId: i.id, body: 'Looking into it' } });
    expect(Date.parse(c.commentOnIncident.updatedAt)).toBeGreaterThanOrEqual(
      Date.parse(i.updatedAt),
    );
    const r = (await ok(owner, RESOLVE, { id: i.id })).resolveIncident;
    expect(r.status).toBe('RESOLVED');
    expect(Date.parse(r.endTime)).toBeGreaterThanOrEqual(Date.parse(i.createdAt));
    const o = (await ok(owner, REOPEN, { id: i.id })).reopenIncident;
    expect(o).toMatchObject({ status: 'ACTIVE', endTime: null });

    const steps = await timeline(i.id);
    expect(steps.map((s: any) => [s.kind, s.field])).toEqual([
      ['DECLARED', null],
      ['UPDATED', 'severity'],
      ['UPDATED', 'tags'],
      ['COMMENT_ADDED', null],
      ['RESOLVED', null],
      ['REOPENED', null],
    ]);
    expect(steps[1]).toMatchObject({ from: 'MODERATE', to: 'CRITICAL', comment: null });
    expect(steps[2]).toMatchObject({ from: ['infra'], to: ['infra', 'db'] });
    expect(steps[3].comment).toMatchObject({
      body: 'Looking into it',
      author: { type: 'USER', id: owner.userId, user: { id: owner.userId } },
    });
    for (const s of steps)
      expect(s.actor).toEqual({ type: 'USER', id: owner.userId, user: { id: owner.userId } });
    const times = steps.map((s: any) => Date.parse(s.occurred));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('an update that changes nothing adds nothing; summary null clears it', async () => {
    const i = await declare(owner, { summary: 'x', severity: 'LOW' });
    await ok(owner, UPDATE, { input: { id: i.id, severity: 'LOW', name: i.name } });
    expect(await timeline(i.id)).toHaveLength(1);
    const cleared = await ok(owner, UPDATE, { input: { id: i.id, summary: null } });
    expect(cleared.updateIncident.summary).toBeNull();
    const steps = await timeline(i.id);
    expect(steps.map((s: any) => [s.field, s.from, s.to])).toEqual([
      [null, null, null],
      ['summary', 'x', null],
    ]);
  });

  it('pages the timeline with first/after, oldest first', async () => {
    const i = await declare(owner);
    for (let n = 1; n <= 4; n++)
      await ok(owner, COMMENT, { input: { incidentId: i.id, body: `note ${n}` } });
    const bodies: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const d: any = await ok(owner, TIMELINE, { id: i.id, first: 2, after });
      const t = d.incident.timeline;
      expect(t.totalCount).toBe(5);
      bodies.push(...t.edges.map((e: any) => e.node.comment?.body ?? e.node.kind));
      if (!t.pageInfo.hasNextPage) break;
      after = t.pageInfo.endCursor;
    }
    expect(bodies).toEqual(['DECLARED', 'note 1', 'note 2', 'note 3', 'note 4']);
    expectError(await owner.gql(TIMELINE, { id: i.id, after: 'nope' }), 'BAD_USER_INPUT', 'after');
  });

  it('resolving a resolved incident and reopening an active one are CONFLICTs', async () => {
    const i = await declare(owner);
    expectError(await owner.gql(REOPEN, { id: i.id }), 'CONFLICT');
    await ok(owner, RESOLVE, { id: i.id });
    expectError(await owner.gql(RESOLVE, { id: i.id }), 'CONFLICT');
    expect(await timeline(i.id)).toHaveLength(2);
    expectError(await owner.gql(RESOLVE, { id: crypto.randomUUID() }), 'NOT_FOUND');
  });
});

describe('validation', () => {
  const bad = async (input: Record<string, unknown>, field: string) =>
    expectError(
      await owner.gql(DECLARE, {
        input: { workspaceId: ws.id, name: 'n', severity: 'LOW', ...input },
      }),
      'BAD_USER_INPUT',
      field,
    );

  it('rejects bad declarations and stores nothing', async () => {
    const before = (await ok(owner, LIST, { id: ws.id, first: 0 })).workspace.incidents.totalCount;
    await bad({ name: '   ' }, 'name');
    await bad({ name: 'x'.repeat(201) }, 'name');
    await bad({ summary: 'x'.repeat(10_001) }, 'summary');
    await bad({ startTime: new Date(Date.now() + 3_600_000).toISOString() }, 'startTime');
    await bad({ tags: Array.from({ length: 51 }, (_, n) => `t${n}`) }, 'tags');
    await bad(
      { relatedResources: [{ kind: 'DEPLOYMENT', id: crypto.randomUUID() }] },
      'relatedResources',
    );
    await bad({ relatedResources: [{ kind: 'FLOW', id: 'not-a-uuid' }] }, 'relatedResources');
    // An object of another workspace is no object of this one.
    const other = await createWorkspace(owner, owner.accountId);
    const foreign = await createFlow(owner, other.id);
    await bad({ relatedResources: [{ kind: 'FLOW', id: foreign.id }] }, 'relatedResources');
    // The right id under the wrong kind is no object either.
    const flow = await createFlow(owner, ws.id);
    await bad({ relatedResources: [{ kind: 'DEPLOYMENT', id: flow.id }] }, 'relatedResources');
    const after = (await ok(owner, LIST, { id: ws.id, first: 0 })).workspace.incidents.totalCount;
    expect(after).toBe(before);
    expectError(await owner.gql(LIST, { id: ws.id, first: 201 }), 'BAD_USER_INPUT', 'first');
  });

  it('a comment is 1 to 10,000 characters', async () => {
    const i = await declare(owner);
    const comment = (body: string) => owner.gql(COMMENT, { input: { incidentId: i.id, body } });
    expectError(await comment(''), 'BAD_USER_INPUT', 'body');
    expectError(await comment('  \n '), 'BAD_USER_INPUT', 'body');
    expectError(await comment('x'.repeat(10_001)), 'BAD_USER_INPUT', 'body');
    // Characters, not UTF-16 units: 10,000 emoji fit.
    expect((await comment('🔥'.repeat(10_000))).errors).toBeUndefined();
    expect((await comment('x')).errors).toBeUndefined();
    const steps = await timeline(i.id);
    expect(steps.map((s: any) => s.comment?.body.length ?? 0)).toEqual([0, 20_000, 1]);
  });

  it('updates are validated too, and a bad field changes none of the others', async () => {
    const resolved = await declare(owner, {
      startTime: new Date(Date.now() - 60_000).toISOString(),
    });
    await ok(owner, RESOLVE, { id: resolved.id });
    expectError(
      await owner.gql(UPDATE, {
        input: { id: resolved.id, severity: 'MINOR', startTime: new Date().toISOString() },
      }),
      'BAD_USER_INPUT',
      'startTime',
    );
    expectError(
      await owner.gql(UPDATE, {
        input: {
          id: resolved.id,
          name: 'ok',
          relatedResources: [{ kind: 'FLOW', id: crypto.randomUUID() }],
        },
      }),
      'BAD_USER_INPUT',
      'relatedResources',
    );
    const d = await ok(owner, TIMELINE, { id: resolved.id });
    expect(d.incident).toMatchObject({ severity: 'HIGH', name: resolved.name });
    expect(d.incident.timeline.totalCount).toBe(2);
  });
});

describe('related resources', () => {
  it('resolves each kind to its object, and filters incidents by it', async () => {
    const flow = await createFlow(owner, ws.id);
    const pool = await createPool(owner, ws.id);
    const dep = await createDeployment(owner, flow.id, { workPoolId: pool.id });
    const run = await createRun(owner, { deploymentId: dep.id });
    const doc = await blockDocument(ws.id);
    const refs = [
      { kind: 'FLOW_RUN', id: run.id },
      { kind: 'DEPLOYMENT', id: dep.id },
      { kind: 'WORK_POOL', id: pool.id },
      { kind: 'WORK_QUEUE', id: dep.workQueue.id },
      { kind: 'FLOW', id: flow.id },
      { kind: 'BLOCK_DOCUMENT', id: doc.id },
    ];
    // Declared "from a resource": duplicates collapse, the order stays.
    const i = await declare(owner, { relatedResources: [...refs, refs[1]] });
    const got = (await ok(owner, RELATED, { id: i.id })).incident.relatedResources;
    expect(got.map((r: any) => [r.kind, r.id])).toEqual(refs.map((r) => [r.kind, r.id]));
    expect(got[0]).toMatchObject({
      eventResourceId: `flowplane.flow-run.${run.id}`,
      flowRun: { id: run.id },
      deployment: null,
    });
    expect(got[1]).toMatchObject({ deployment: { id: dep.id, name: dep.name }, flowRun: null });
    expect(got[2]).toMatchObject({ workPool: { id: pool.id, name: pool.name } });
    expect(got[3]).toMatchObject({ workQueue: { id: dep.workQueue.id, name: 'default' } });
    expect(got[4]).toMatchObject({ flow: { id: flow.id, name: flow.name } });
    expect(got[5]).toMatchObject({
      eventResourceId: `flowplane.block-document.${doc.id}`,
      blockDocument: { id: doc.id, name: doc.name },
    });

    const other = await declare(owner, { relatedResources: [{ kind: 'FLOW', id: flow.id }] });
    expect(await listed({ relatedResourceId: dep.id })).toEqual([i.id]);
    expect(await listed({ relatedResourceId: flow.id })).toEqual([i.id, other.id]);
    // Replacing the related resources replaces what the filter finds.
    await ok(owner, UPDATE, {
      input: { id: i.id, relatedResources: [{ kind: 'WORK_POOL', id: pool.id }] },
    });
    expect(await listed({ relatedResourceId: dep.id })).toEqual([]);
    expect(await listed({ relatedResourceId: flow.id })).toEqual([other.id]);
    const steps = await timeline(i.id);
    expect(steps[1]).toMatchObject({
      kind: 'UPDATED',
      field: 'relatedResources',
      from: refs,
      to: [{ kind: 'WORK_POOL', id: pool.id }],
    });
  });
});

describe('filters', () => {
  it('by status, severities and tags, combined with AND', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const mk = (severity: string, tags: string[]) =>
      ok(owner, DECLARE, {
        input: { workspaceId: space.id, name: `f ${uid(2)}`, severity, tags },
      }).then((d) => d.declareIncident.id as string);
    const a = await mk('CRITICAL', ['db', 'eu']);
    const b = await mk('HIGH', ['db']);
    const c = await mk('LOW', ['eu']);
    await ok(owner, RESOLVE, { id: b });
    expect(await listed({}, space.id)).toEqual([a, b, c]);
    expect(await listed({ status: 'ACTIVE' }, space.id)).toEqual([a, c]);
    expect(await listed({ status: 'RESOLVED' }, space.id)).toEqual([b]);
    expect(await listed({ severities: ['CRITICAL', 'HIGH'] }, space.id)).toEqual([a, b]);
    expect(await listed({ tags: ['db'] }, space.id)).toEqual([a, b]);
    expect(await listed({ tags: ['db', 'eu'] }, space.id)).toEqual([a]);
    expect(await listed({ tags: ['eu'], status: 'ACTIVE', severities: ['LOW'] }, space.id)).toEqual(
      [c],
    );
    expect(await listed({ relatedResourceId: crypto.randomUUID() }, space.id)).toEqual([]);
    const page = await ok(owner, LIST, { id: space.id, first: 2 });
    expect(page.workspace.incidents).toMatchObject({
      totalCount: 3,
      pageInfo: { hasNextPage: true },
    });
    const rest = await ok(owner, LIST, {
      id: space.id,
      first: 2,
      after: page.workspace.incidents.pageInfo.endCursor,
    });
    expect(rest.workspace.incidents.edges.map((e: any) => e.node.id)).toEqual([c]);
  });
});

describe('batching', () => {
  it('a page of incidents with their related objects costs the same for 1 and for 6', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, space.id);
    const pool = await createPool(owner, space.id);
    const PAGE = `query($id: ID!) { workspace(id: $id) { incidents(first: 50) { edges { node {
      id declaredBy { type } relatedResources { kind deployment { id } workPool { id } flowRun { id } flow { id } }
    } } } } }`;
    const declareWithObjects = async () => {
      const dep = await createDeployment(owner, flow.id, { workPoolId: pool.id });
      const run = await createRun(owner, { deploymentId: dep.id });
      await ok(owner, DECLARE, {
        input: {
          workspaceId: space.id,
          name: `b ${uid(2)}`,
          severity: 'LOW',
          relatedResources: [
            { kind: 'DEPLOYMENT', id: dep.id },
            { kind: 'FLOW_RUN', id: run.id },
            { kind: 'WORK_POOL', id: pool.id },
            { kind: 'FLOW', id: flow.id },
          ],
        },
      });
    };
    const cost = async (n: number) => {
      stack.counters.operations.reset();
      const d = await ok(owner, PAGE, { id: space.id });
      expect(d.workspace.incidents.edges).toHaveLength(n);
      for (const e of d.workspace.incidents.edges)
        expect(
          e.node.relatedResources.map(
            (r: any) => r.deployment ?? r.flowRun ?? r.workPool ?? r.flow,
          ),
        ).not.toContain(null);
      return stack.counters.operations.count;
    };
    await declareWithObjects();
    const one = await cost(1);
    for (let i = 0; i < 5; i++) await declareWithObjects();
    expect(await cost(6)).toBe(one);
  });
});

/** An automation of a workspace of the owner's account, as saved by the owner. */
const ownersAutomation = (workspaceId: string, name = 'pause on incident'): AutomationData => ({
  id: randomUUID(),
  workspaceId,
  name,
  actions: [],
  actionsOnTrigger: [],
  actionsOnResolve: [],
  authority: {
    accountId: owner.accountId,
    role: 'OWNER',
    permissions: WORKSPACE_ROLE_PERMISSIONS.OWNER,
    actsFor: { type: 'user', id: owner.userId, teamIds: [] },
  },
});

describe('workspace deletion', () => {
  it('removes the workspace’s incidents, their related objects and the activity held for them', async () => {
    const gone = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, gone.id);
    await createDeployment(owner, flow.id);
    const i = (
      await ok(owner, DECLARE, {
        input: {
          workspaceId: gone.id,
          name: 'doomed',
          severity: 'LOW',
          relatedResources: [{ kind: 'FLOW', id: flow.id }],
        },
      })
    ).declareIncident;
    const sub = stack.running.subgraphs.operations!;
    // Held as the pause automation would hold it.
    await sub.orm.em.fork().transactional(async (tx) =>
      pauseWorkspaceActivity(automationContext(sub, tx, ownersAutomation(gone.id)), gone.id, {
        automationId: randomUUID(),
        incidentId: i.id,
      }),
    );
    const conn = sub.orm.em.getConnection();
    const count = async () => {
      const n: number[] = [];
      for (const t of ['incident', 'incident_resource', 'activity_pause'])
        n.push(
          Number(
            (
              await conn.execute(`select count(*) as n from ${t} where workspace_id = ?`, [gone.id])
            )[0].n,
          ),
        );
      return n;
    };
    expect(await count()).toEqual([1, 1, 1]);
    await ok(owner, `mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: gone.id });
    await eventually(async () => expect(await count()).toEqual([0, 0, 0]));
  });
});

describe('events in the store', () => {
  it('every change is a flowplane.incident.* event of the incident, chained by follows', async () => {
    const flow = await createFlow(owner, ws.id);
    const i = await declare(owner, {
      severity: 'LOW',
      tags: ['ops'],
      relatedResources: [{ kind: 'FLOW', id: flow.id }],
    });
    await ok(owner, UPDATE, { input: { id: i.id, name: 'Renamed', severity: 'HIGH' } });
    await ok(owner, COMMENT, { input: { incidentId: i.id, body: 'hello' } });
    await ok(owner, RESOLVE, { id: i.id });
    await ok(owner, REOPEN, { id: i.id });
    const steps = await timeline(i.id);
    const events = [];
    for (const s of steps) events.push((await ok(owner, EVENT, { id: s.id })).event);
    expect(events.map((e) => e.event)).toEqual([
      'flowplane.incident.declared',
      'flowplane.incident.updated.name',
      'flowplane.incident.updated.severity',
      'flowplane.incident.comment.added',
      'flowplane.incident.resolved',
      'flowplane.incident.reopened',
    ]);
    expect(events.map((e) => e.follows)).toEqual([null, ...events.slice(0, -1).map((e) => e.id)]);
    for (const e of events) {
      expect(e.resource.id).toBe(`flowplane.incident.${i.id}`);
      expect(e.related).toEqual(
        expect.arrayContaining([
          { id: `flowplane.flow.${flow.id}`, role: 'flow' },
          { id: 'flowplane.tag.ops', role: 'tag' },
        ]),
      );
      expect(e.payload.actor).toEqual({ type: 'USER', id: owner.userId });
    }
    expect(events[0].payload.incident).toMatchObject({
      name: i.name,
      severity: 'LOW',
      status: 'ACTIVE',
      relatedResources: [{ kind: 'FLOW', id: flow.id }],
    });
    expect(events[1].payload).toMatchObject({ field: 'name', from: i.name, to: 'Renamed' });
    expect(events[3].payload.comment).toMatchObject({
      body: 'hello',
      author: { type: 'USER', id: owner.userId },
    });
    // Labels describe the incident as it was after the change.
    expect(events[1].resource).toMatchObject({
      name: 'Renamed',
      labels: { 'flowplane.incident.severity': 'HIGH', 'flowplane.incident.status': 'ACTIVE' },
    });
    expect(events[4].resource.labels['flowplane.incident.status']).toBe('RESOLVED');

    // incidentChange: the same steps, with the incident as it is now and the raw event.
    const change = (await ok(owner, CHANGE, { id: events[3].id })).incidentChange;
    expect(change).toMatchObject({
      id: events[3].id,
      kind: 'COMMENT_ADDED',
      comment: { body: 'hello' },
      incident: { id: i.id, name: 'Renamed', status: 'ACTIVE' },
      event: { id: events[3].id, event: 'flowplane.incident.comment.added' },
    });
    expect((await ok(owner, CHANGE, { id: crypto.randomUUID() })).incidentChange).toBeNull();
    expect((await ok(owner, CHANGE, { id: 'nope' })).incidentChange).toBeNull();
  });

  it('each mutation leaves an audit entry', async () => {
    const i = await declare(owner);
    await ok(owner, UPDATE, { input: { id: i.id, severity: 'LOW' } });
    await ok(owner, COMMENT, { input: { incidentId: i.id, body: 'secret plans' } });
    await ok(owner, RESOLVE, { id: i.id });
    await ok(owner, REOPEN, { id: i.id });
    await eventually(async () => {
      const d = await ok(
        owner,
        `query($a: ID!, $f: AuditEventFilter) { auditEvents(accountId: $a, first: 50, filter: $f) {
          edges { node { action resourceType resourceId workspaceId summary actor { type id } } } } }`,
        { a: owner.accountId, f: { resourceId: i.id } },
      );
      const nodes = d.auditEvents.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.action).sort()).toEqual(
        [
          'incident.commented',
          'incident.declared',
          'incident.reopened',
          'incident.resolved',
          'incident.updated',
        ].sort(),
      );
      for (const n of nodes)
        expect(n).toMatchObject({
          resourceType: 'incident',
          workspaceId: ws.id,
          actor: { type: 'USER', id: owner.userId },
        });
      expect(JSON.stringify(nodes)).not.toContain('secret plans');
      expect(nodes.find((n: any) => n.action === 'incident.updated').summary.fields).toEqual([
        'severity',
      ]);
    }, 10_000);
  });
});

describe('permissions', () => {
  let viewer: Actor;
  let developer: Actor;
  let stranger: Actor;
  let incident: { id: string };
  let eventId: string;
  beforeAll(async () => {
    viewer = await join(stack, owner, { workspace: { id: ws.id, role: 'VIEWER' } });
    developer = await join(stack, owner, { workspace: { id: ws.id, role: 'DEVELOPER' } });
    stranger = await stack.signUp();
    incident = await declare(owner);
    eventId = (await timeline(incident.id))[0].id;
  });

  it('a Viewer reads incidents, timelines and changes but cannot declare or change them', async () => {
    const read = await ok(viewer, TIMELINE, { id: incident.id });
    expect(read.incident.timeline.totalCount).toBe(1);
    expect((await ok(viewer, LIST, { id: ws.id })).workspace.incidents.totalCount).toBeGreaterThan(
      0,
    );
    expect((await ok(viewer, CHANGE, { id: eventId })).incidentChange.kind).toBe('DECLARED');
    const refused = [
      await viewer.gql(DECLARE, { input: { workspaceId: ws.id, name: 'x', severity: 'LOW' } }),
      await viewer.gql(UPDATE, { input: { id: incident.id, name: 'x' } }),
      await viewer.gql(COMMENT, { input: { incidentId: incident.id, body: 'x' } }),
      await viewer.gql(RESOLVE, { id: incident.id }),
    ];
    for (const r of refused) {
      expectError(r, 'FORBIDDEN');
      expect(r.errors![0]!.extensions?.permission).toBe('manage_incidents');
    }
    expect((await timeline(incident.id)).length).toBe(1);
  });

  it('a Developer declares and comments; the declaration names them', async () => {
    const i = await declare(developer);
    expect(i.declaredBy).toMatchObject({ type: 'USER', id: developer.userId });
    await ok(developer, COMMENT, { input: { incidentId: incident.id, body: 'dev here' } });
    const steps = await timeline(incident.id);
    expect(steps.at(-1).actor.id).toBe(developer.userId);
  });

  it('a non-member gets NOT_FOUND, and no change', async () => {
    expectError(await stranger.gql(TIMELINE, { id: incident.id }), 'NOT_FOUND');
    expectError(await stranger.gql(RESOLVE, { id: incident.id }), 'NOT_FOUND');
    expectError(
      await stranger.gql(DECLARE, { input: { workspaceId: ws.id, name: 'x', severity: 'LOW' } }),
      'NOT_FOUND',
    );
    expect((await ok(stranger, CHANGE, { id: eventId })).incidentChange).toBeNull();
  });

  it('related objects an access list hides from the caller cannot be named', async () => {
    const flow = await createFlow(owner, ws.id);
    const hidden = await createDeployment(owner, flow.id);
    await ok(
      owner,
      `mutation($input: SetObjectAccessInput!) { setObjectAccess(input: $input) { objectId } }`,
      {
        input: {
          objectType: 'DEPLOYMENT',
          objectId: hidden.id,
          entries: [{ userId: owner.userId, level: 'MANAGE' }],
        },
      },
    );
    expectError(
      await developer.gql(DECLARE, {
        input: {
          workspaceId: ws.id,
          name: 'x',
          severity: 'LOW',
          relatedResources: [{ kind: 'DEPLOYMENT', id: hidden.id }],
        },
      }),
      'BAD_USER_INPUT',
      'relatedResources',
    );
    // Declared by someone who may see it, it stays hidden from the developer.
    const i = await declare(owner, { relatedResources: [{ kind: 'DEPLOYMENT', id: hidden.id }] });
    const got = (await ok(developer, RELATED, { id: i.id })).incident.relatedResources;
    expect(got).toEqual([expect.objectContaining({ kind: 'DEPLOYMENT', deployment: null })]);
  });
});

describe('pause activity while an incident is open (an automation)', () => {
  const CREATE_AUTOMATION = `mutation($input: CreateAutomationInput!) {
    createAutomation(input: $input) { id actions { type } actionsOnResolve { type } }
  }`;
  const pausedOf = async (deployments: { id: string }[], pools: { id: string }[]) => {
    const out: boolean[] = [];
    for (const d of deployments)
      out.push(
        (await ok(owner, `query($id: ID!) { deployment(id: $id) { paused } }`, { id: d.id }))
          .deployment.paused,
      );
    for (const p of pools)
      out.push(
        (await ok(owner, `query($id: ID!) { workPool(id: $id) { paused } }`, { id: p.id })).workPool
          .paused,
      );
    return out;
  };

  it('declaring pauses the workspace’s deployments and pools; resolving resumes them, not what was paused by hand', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, space.id);
    const pool = await createPool(owner, space.id);
    const active = await createDeployment(owner, flow.id, {
      workPoolId: pool.id,
      schedules: [{ intervalSeconds: 3600 }],
    });
    const other = await createDeployment(owner, flow.id);
    const byHand = await createDeployment(owner, flow.id);
    await ok(owner, `mutation($id: ID!) { pauseDeployment(id: $id) { id } }`, { id: byHand.id });
    const automation = (
      await ok(owner, CREATE_AUTOMATION, {
        input: {
          workspaceId: space.id,
          name: 'Pause while an incident is open',
          trigger: {
            event: {
              expect: ['flowplane.incident.declared'],
              forEach: ['flowplane.resource.id'],
              resolveOn: ['flowplane.incident.resolved'],
            },
          },
          actions: [{ type: 'PAUSE_WORKSPACE_ACTIVITY' }],
          actionsOnResolve: [{ type: 'RESUME_WORKSPACE_ACTIVITY' }],
        },
      })
    ).createAutomation;
    expect(automation).toMatchObject({
      actions: [{ type: 'PAUSE_WORKSPACE_ACTIVITY' }],
      actionsOnResolve: [{ type: 'RESUME_WORKSPACE_ACTIVITY' }],
    });
    const deployments = [active, other, byHand];
    expect(await pausedOf(deployments, [pool])).toEqual([false, false, true, false]);

    const incident = (
      await ok(owner, DECLARE, {
        input: { workspaceId: space.id, name: 'Database down', severity: 'CRITICAL' },
      })
    ).declareIncident;
    await eventually(async () => {
      expect(await pausedOf(deployments, [pool])).toEqual([true, true, true, true]);
    }, 15_000);

    // The pauses are those of the API: each object announces its status change as an event.
    const statusEvents = async (names: string[]) => {
      const em = stack.running.subgraphs.operations!.orm.em.fork();
      const rows = await em.find(
        Event,
        { workspaceId: space.id, name: { $in: names } },
        { orderBy: { seq: 'asc' } },
      );
      return rows.map((e) => `${e.name} ${e.resourceId.split('.').pop()}`).sort();
    };
    expect(
      await statusEvents(['flowplane.deployment.paused', 'flowplane.work-pool.paused']),
    ).toEqual(
      [
        `flowplane.deployment.paused ${active.id}`,
        `flowplane.deployment.paused ${byHand.id}`,
        `flowplane.deployment.paused ${other.id}`,
        `flowplane.work-pool.paused ${pool.id}`,
      ].sort(),
    );

    await ok(owner, RESOLVE, { id: incident.id });
    await eventually(async () => {
      expect(await pausedOf(deployments, [pool])).toEqual([false, false, true, false]);
    }, 15_000);
    // Resumed objects announce their status again; the one paused by hand stays silent.
    const resumed = await statusEvents([
      'flowplane.deployment.ready',
      'flowplane.deployment.not-ready',
      'flowplane.work-pool.ready',
      'flowplane.work-pool.not-ready',
    ]);
    expect(resumed.filter((e) => e.endsWith(byHand.id))).toEqual([]);
    for (const id of [active.id, other.id, pool.id])
      expect(resumed.filter((e) => e.endsWith(id)).length).toBeGreaterThanOrEqual(1);

    // The actions' outcomes are events of the automation, naming the incident.
    const em = stack.running.subgraphs.operations!.orm.em.fork();
    const outcomes = await em.find(
      Event,
      {
        workspaceId: space.id,
        resourceId: `flowplane.automation.${automation.id}`,
        name: { $like: 'flowplane.automation.action.%' },
      },
      { orderBy: { seq: 'asc' } },
    );
    expect(outcomes.map((e) => [e.name, e.payload.incidentId, e.payload.deployments])).toEqual([
      ['flowplane.automation.action.executed', incident.id, 2],
      ['flowplane.automation.action.executed', incident.id, 2],
    ]);
  });
});

/**
 * "Pause activity while an incident is open", through the automation engine's action runner
 * (runActions: the savepoint, the system context and the outcome events of a real firing) with
 * the declared and resolved events as the firings' triggering events.
 */
describe('pause activity while an incident is open (automation actions)', () => {
  const state = async (deployments: { id: string }[], pools: { id: string }[]) => {
    const out: Record<string, boolean> = {};
    for (const d of deployments)
      out[d.id] = (
        await ok(owner, `query($id: ID!) { deployment(id: $id) { paused } }`, { id: d.id })
      ).deployment.paused;
    for (const p of pools)
      out[p.id] = (
        await ok(owner, `query($id: ID!) { workPool(id: $id) { paused } }`, { id: p.id })
      ).workPool.paused;
    return out;
  };

  async function eventJson(id: string): Promise<EventJson> {
    const em = stack.running.subgraphs.operations!.orm.em.fork();
    return toEventJson(await em.findOneOrFail(Event, { id }));
  }

  /** Runs one action of `automation` for a firing caused by `event`; returns its outcome event. */
  async function fire(
    automation: AutomationData,
    type: ActionType,
    kind: 'triggered' | 'resolved',
    event: EventJson | null,
    options: Record<string, unknown> | null = null,
  ) {
    const sub = stack.running.subgraphs.operations!;
    const action: StoredAction = {
      id: randomUUID(),
      type,
      source: ActionTargetSource.SELECTED,
      targetId: null,
      options,
    };
    const firing = { kind, eventId: randomUUID(), event, depth: 0 };
    await sub.orm.em
      .fork()
      .transactional((tx) => runActions(sub, tx, automation, [action], firing, new Date()));
    const em = sub.orm.em.fork();
    const outcome = await em.findOneOrFail(Event, {
      workspaceId: automation.workspaceId,
      resourceId: `flowplane.automation.${automation.id}`,
      follows: firing.eventId,
    });
    return { name: outcome.name, payload: outcome.payload, related: outcome.related };
  }

  const automationIn = (workspaceId: string, name = 'pause on incident'): AutomationData =>
    ownersAutomation(workspaceId, name);

  it('declaring pauses deployments and work pools; resolving resumes exactly those', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, space.id);
    const pool = await createPool(owner, space.id);
    const pausedPool = await createPool(owner, space.id, { paused: true });
    const scheduled = await createDeployment(owner, flow.id, {
      workPoolId: pool.id,
      schedules: [{ intervalSeconds: 3600 }],
    });
    const plain = await createDeployment(owner, flow.id);
    const byHand = await createDeployment(owner, flow.id, { paused: true });
    const scheduler = stack.running.subgraphs.operations!.services.find(
      (s) => s.name === 'scheduler',
    )!;
    const now = new Date(Date.now() + 60_000);
    // The scheduler serves every workspace: count this one's runs.
    const runsAhead = async () => {
      await scheduler.runOnce(now);
      return (
        await ok(
          owner,
          `query($id: ID!) { workspace(id: $id) { flowRuns(first: 200) { totalCount } } }`,
          { id: space.id },
        )
      ).workspace.flowRuns.totalCount;
    };
    expect(await runsAhead()).toBe(3);

    const incident = (
      await ok(owner, DECLARE, {
        input: { workspaceId: space.id, name: 'Outage', severity: 'CRITICAL' },
      })
    ).declareIncident;
    const declared = (await timeline(incident.id))[0].id;
    const automation = automationIn(space.id);
    const paused = await fire(
      automation,
      ActionType.PAUSE_WORKSPACE_ACTIVITY,
      'triggered',
      await eventJson(declared),
    );
    expect(paused.name).toBe('flowplane.automation.action.executed');
    expect(paused.payload).toMatchObject({
      incidentId: incident.id,
      deployments: 2,
      workPools: 1,
    });
    expect((paused.payload.deploymentIds as string[]).sort()).toEqual(
      [scheduled.id, plain.id].sort(),
    );
    expect(paused.related).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: `flowplane.incident.${incident.id}`, role: 'incident' }),
      ]),
    );
    const all = [scheduled, plain, byHand];
    const pools = [pool, pausedPool];
    expect(await state(all, pools)).toEqual({
      [scheduled.id]: true,
      [plain.id]: true,
      [byHand.id]: true,
      [pool.id]: true,
      [pausedPool.id]: true,
    });
    // Paused deployments' schedules stop: the runs created ahead are gone, none are made.
    expect(await runsAhead()).toBe(0);
    // Pausing again for the same incident changes nothing.
    const again = await fire(
      automation,
      ActionType.PAUSE_WORKSPACE_ACTIVITY,
      'triggered',
      await eventJson(declared),
    );
    expect(again.payload).toMatchObject({ deployments: 0, workPools: 0 });

    // A deployment made during the incident is nobody's to resume.
    const during = await createDeployment(owner, flow.id);
    await ok(owner, RESOLVE, { id: incident.id });
    const resolvedEvent = (await timeline(incident.id)).at(-1);
    expect(resolvedEvent.kind).toBe('RESOLVED');
    const resumed = await fire(
      automation,
      ActionType.RESUME_WORKSPACE_ACTIVITY,
      'resolved',
      await eventJson(resolvedEvent.id),
    );
    expect(resumed.payload).toMatchObject({ deployments: 2, workPools: 1 });
    expect(await state([...all, during], pools)).toEqual({
      [scheduled.id]: false,
      [plain.id]: false,
      [byHand.id]: true,
      [during.id]: false,
      [pool.id]: false,
      [pausedPool.id]: true,
    });
    expect(await runsAhead()).toBe(3);
    // Nothing is held any more: a second resume resumes nothing.
    const twice = await fire(
      automation,
      ActionType.RESUME_WORKSPACE_ACTIVITY,
      'resolved',
      await eventJson(resolvedEvent.id),
    );
    expect(twice.payload).toMatchObject({ deployments: 0, workPools: 0 });
  });

  it('an object two incidents hold resumes when the last one resolves; one resumed by hand stays', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, space.id);
    const a = await createDeployment(owner, flow.id);
    const b = await createDeployment(owner, flow.id);
    const declareIn = async () => {
      const i = (
        await ok(owner, DECLARE, {
          input: { workspaceId: space.id, name: `i ${uid(2)}`, severity: 'HIGH' },
        })
      ).declareIncident;
      return { id: i.id as string, declared: (await timeline(i.id))[0].id as string };
    };
    const automation = automationIn(space.id);
    const first = await declareIn();
    const second = await declareIn();
    await fire(
      automation,
      ActionType.PAUSE_WORKSPACE_ACTIVITY,
      'triggered',
      await eventJson(first.declared),
    );
    const held = await fire(
      automation,
      ActionType.PAUSE_WORKSPACE_ACTIVITY,
      'triggered',
      await eventJson(second.declared),
    );
    expect(held.payload).toMatchObject({ deployments: 0 });
    // Resumed by hand during the incidents: left as it is.
    await ok(owner, `mutation($id: ID!) { resumeDeployment(id: $id) { id } }`, { id: b.id });

    const resolve = async (i: { id: string }) => {
      await ok(owner, RESOLVE, { id: i.id });
      const last = (await timeline(i.id)).at(-1);
      return fire(
        automation,
        ActionType.RESUME_WORKSPACE_ACTIVITY,
        'resolved',
        await eventJson(last.id),
      );
    };
    expect((await resolve(first)).payload).toMatchObject({ deployments: 0 });
    expect(await state([a, b], [])).toEqual({ [a.id]: true, [b.id]: false });
    expect((await resolve(second)).payload).toMatchObject({ deployments: 1 });
    expect(await state([a, b], [])).toEqual({ [a.id]: false, [b.id]: false });
  });

  it('without an incident in the triggering event the action fails, and nothing pauses', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, space.id);
    const d = await createDeployment(owner, flow.id);
    const out = await fire(
      automationIn(space.id),
      ActionType.PAUSE_WORKSPACE_ACTIVITY,
      'triggered',
      {
        id: randomUUID(),
        workspaceId: space.id,
        occurred: new Date().toISOString(),
        received: new Date().toISOString(),
        event: 'custom.thing',
        resource: { id: `flowplane.deployment.${d.id}`, labels: {} },
        related: [],
        payload: {},
        follows: null,
      },
    );
    expect(out.name).toBe('flowplane.automation.action.failed');
    expect(out.payload.reason).toMatch(/no incident/);
    expect(await state([d], [])).toEqual({ [d.id]: false });
  });

  it('DECLARE_INCIDENT declares from the triggering event: templated name, inferred resources', async () => {
    const space = await createWorkspace(owner, owner.accountId);
    const flow = await createFlow(owner, space.id);
    const dep = await createDeployment(owner, flow.id);
    const spec = {
      name: '{{ event.resource.name }} is not ready',
      summary: 'Raised by {{ automation.name }} on {{ event.event }}',
      severity: 'HIGH',
      tags: ['auto'],
    };
    const CREATE = `mutation($input: CreateAutomationInput!) {
      createAutomation(input: $input) { id actions { type incident { name summary severity tags } } }
    }`;
    const input = (actions: unknown[]) => ({
      workspaceId: space.id,
      name: 'declare on failure',
      trigger: { event: { expect: ['flowplane.deployment.not-ready'] } },
      actions,
    });
    // The action's own fields are validated at the edge.
    expectError(
      await owner.gql(CREATE, { input: input([{ type: 'DECLARE_INCIDENT' }]) }),
      'BAD_USER_INPUT',
      'actions.0.incident',
    );
    expectError(
      await owner.gql(CREATE, {
        input: input([{ type: 'DECLARE_INCIDENT', incident: { ...spec, name: '{{ oops' } }]),
      }),
      'BAD_USER_INPUT',
      'actions.0.incident.name',
    );
    expectError(
      await owner.gql(CREATE, { input: input([{ type: 'DO_NOTHING', incident: spec }]) }),
      'BAD_USER_INPUT',
      'actions.0.incident',
    );
    const created = (
      await ok(owner, CREATE, { input: input([{ type: 'DECLARE_INCIDENT', incident: spec }]) })
    ).createAutomation;
    expect(created.actions).toEqual([{ type: 'DECLARE_INCIDENT', incident: spec }]);
    const automation = { ...automationIn(space.id, 'declare on failure'), id: created.id };
    const out = await fire(
      automation,
      ActionType.DECLARE_INCIDENT,
      'triggered',
      {
        id: randomUUID(),
        workspaceId: space.id,
        occurred: new Date().toISOString(),
        received: new Date().toISOString(),
        event: 'flowplane.deployment.not-ready',
        resource: {
          id: `flowplane.deployment.${dep.id}`,
          labels: { 'flowplane.resource.name': dep.name },
        },
        related: [
          { id: `flowplane.flow.${flow.id}`, role: 'flow', labels: {} },
          // Gone since: not related.
          { id: `flowplane.work-pool.${randomUUID()}`, role: 'work-pool', labels: {} },
          { id: 'flowplane.tag.prod', role: 'tag', labels: {} },
        ],
        payload: {},
        follows: null,
      },
      { incident: spec },
    );
    expect(out.name).toBe('flowplane.automation.action.executed');
    const id = out.payload.incidentId as string;
    const got = await ok(owner, TIMELINE, { id });
    expect(got.incident).toMatchObject({
      name: `${dep.name} is not ready`,
      summary: 'Raised by declare on failure on flowplane.deployment.not-ready',
      severity: 'HIGH',
      status: 'ACTIVE',
      tags: ['auto'],
      declaredBy: { type: 'AUTOMATION', id: automation.id, user: null, serviceAccount: null },
    });
    const by = await ok(
      owner,
      `query($id: ID!) { incident(id: $id) { declaredBy { automation { id name } } } }`,
      { id },
    );
    expect(by.incident.declaredBy.automation).toEqual({
      id: automation.id,
      name: 'declare on failure',
    });
    expect(got.incident.timeline.edges[0].node.actor).toEqual({
      type: 'AUTOMATION',
      id: automation.id,
      user: null,
    });
    const related = (await ok(owner, RELATED, { id })).incident.relatedResources;
    expect(related.map((r: any) => [r.kind, r.id])).toEqual([
      ['DEPLOYMENT', dep.id],
      ['FLOW', flow.id],
    ]);
    const declared = await eventJson(got.incident.timeline.edges[0].node.id);
    expect(declared.related).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: `flowplane.automation.${automation.id}`,
          role: 'automation',
        }),
      ]),
    );
  });
});
