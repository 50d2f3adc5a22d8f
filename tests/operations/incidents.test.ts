import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
