/**
 * L1: client-chosen event ids were unique across all tenants (an existence oracle, and a way to
 * have another tenant's event silently dropped). L2: createArtifact accepted a run of another
 * workspace.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GqlResult } from '../harness/client.js';
import { createWorkspace } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { CREATE_TASK, createFlow, createRun, ok } from '../operations/fixtures.js';

const EMIT = `mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`;
const EVENT = `query($id: ID!) { event(id: $id) { id event payload } }`;
const EVENTS = `query($id: ID!, $filter: EventFilter) {
  workspace(id: $id) { events(filter: $filter) { totalCount edges { node { id event } } } }
}`;
const CREATE_ARTIFACT = `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id flowRunId taskRunId } }`;

let stack: Stack;
let alice: Actor;
let mallory: Actor;
let wsA: { id: string };
let wsM: { id: string };
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  mallory = await stack.signUp();
  wsA = await createWorkspace(alice, alice.accountId);
  wsM = await createWorkspace(mallory, mallory.accountId);
});
afterAll(async () => {
  await stack?.stop();
});

const emit = (by: Actor, workspaceId: string, id: string, name: string) =>
  by.gql(EMIT, {
    input: {
      workspaceId,
      events: [
        {
          id,
          event: name,
          resource: { id: 'acme.job.1' },
          related: [{ id: 'acme.team.ops', role: 'team' }],
          payload: { by: name },
        },
      ],
    },
  });
const stored = (r: GqlResult) => {
  expect(r.errors).toBeUndefined();
  return r.data.emitEvents as number;
};

describe('event ids are scoped by workspace', () => {
  it("an id claimed first in another tenant neither drops nor reveals this tenant's event", async () => {
    const id = randomUUID();
    // Mallory claims the id first (she could not know it, but she may guess or replay it).
    expect(stored(await emit(mallory, wsM.id, id, 'mallory.claim'))).toBe(1);
    // Alice's event with that id is stored, not silently skipped.
    expect(stored(await emit(alice, wsA.id, id, 'alice.real'))).toBe(1);
    expect((await alice.gql(EVENT, { id })).data.event).toMatchObject({ id, event: 'alice.real' });
    expect((await mallory.gql(EVENT, { id })).data.event).toMatchObject({ event: 'mallory.claim' });
    const listed = await alice.gql(EVENTS, {
      id: wsA.id,
      filter: { relatedResourceIds: ['acme.team.ops'] },
    });
    expect(listed.data.workspace.events.edges.map((e: any) => e.node.event)).toEqual([
      'alice.real',
    ]);
    // Within a workspace, an id is still stored once.
    expect(stored(await emit(alice, wsA.id, id, 'alice.again'))).toBe(0);
  });

  it('emitting an id another tenant used answers as for a fresh id (no existence oracle)', async () => {
    const used = randomUUID();
    expect(stored(await emit(alice, wsA.id, used, 'alice.private'))).toBe(1);
    const probe = await emit(mallory, wsM.id, used, 'mallory.probe');
    const fresh = await emit(mallory, wsM.id, randomUUID(), 'mallory.probe');
    expect(stored(probe)).toBe(stored(fresh));
    expect((await alice.gql(EVENT, { id: used })).data.event.event).toBe('alice.private');
  });
});

describe('artifacts name runs of their own workspace only', () => {
  it('a flow run or task run of another workspace is refused like one that does not exist', async () => {
    const run = (await createRun(alice, { flowId: (await createFlow(alice, wsA.id)).id })).id;
    const task = (
      await ok(alice, CREATE_TASK, { input: { flowRunId: run, taskKey: 't', dynamicKey: '0' } })
    ).createTaskRun.id;
    const attempt = (input: Record<string, unknown>) =>
      mallory.gql(CREATE_ARTIFACT, {
        input: { workspaceId: wsM.id, type: 'MARKDOWN', data: '# injected', ...input },
      });
    for (const [field, theirs, none] of [
      ['flowRunId', run, randomUUID()],
      ['taskRunId', task, randomUUID()],
    ] as const) {
      const res = await attempt({ [field]: theirs });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(res.errors?.[0]?.message).toBe(
        (await attempt({ [field]: none })).errors?.[0]?.message,
      );
    }
    const list = await mallory.gql(
      `query($id: ID!) { workspace(id: $id) { artifacts { totalCount } } }`,
      { id: wsM.id },
    );
    expect(list.data.workspace.artifacts.totalCount).toBe(0);
    // Alice's own runs work, and a task run must belong to the flow run named with it.
    const mine = await alice.gql(CREATE_ARTIFACT, {
      input: { workspaceId: wsA.id, type: 'MARKDOWN', data: 'x', flowRunId: run, taskRunId: task },
    });
    expect(mine.data.createArtifact).toMatchObject({ flowRunId: run, taskRunId: task });
    const other = (await createRun(alice, { flowId: (await createFlow(alice, wsA.id)).id })).id;
    const mismatch = await alice.gql(CREATE_ARTIFACT, {
      input: {
        workspaceId: wsA.id,
        type: 'MARKDOWN',
        data: 'x',
        flowRunId: other,
        taskRunId: task,
      },
    });
    expect(mismatch.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'taskRunId',
    });
  });
});
