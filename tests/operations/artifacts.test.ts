import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace } from '../access/fixtures.js';
import { CREATE_TASK, createFlow, createRun, ok as succeed } from './fixtures.js';

const CREATE = `mutation($input: CreateArtifactInput!) {
  createArtifact(input: $input) { id key type data description flowRunId taskRunId createdAt }
}`;
const LIST = `query($id: ID!, $filter: ArtifactFilter, $key: String!) {
  workspace(id: $id) {
    artifacts(filter: $filter) { totalCount edges { node { id key type data } } }
    latestArtifact(key: $key) { id data }
  }
}`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice);
});
afterAll(async () => {
  await stack?.stop();
});

const create = async (input: Record<string, unknown>) => {
  const res = await alice.gql(CREATE, { input: { workspaceId: ws.id, ...input } });
  expect(res.errors).toBeUndefined();
  return res.data.createArtifact;
};

describe('artifacts', () => {
  it('latestArtifact(key) is the newest version of the key, even created in one burst', async () => {
    const run = (await createRun(alice, { flowId: (await createFlow(alice, ws.id)).id })).id;
    const ids: string[] = [];
    for (let i = 0; i <= 5; i++)
      ids.push(
        (await create({ key: 'daily-report', type: 'PROGRESS', data: i * 20, flowRunId: run })).id,
      );
    await create({ key: 'other-report', type: 'MARKDOWN', data: '# other' });
    const res = await alice.gql(LIST, {
      id: ws.id,
      key: 'daily-report',
      filter: { key: 'daily-report' },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.workspace.latestArtifact).toEqual({ id: ids[5], data: 100 });
    expect(res.data.workspace.artifacts.totalCount).toBe(6);
    const none = await alice.gql(LIST, { id: ws.id, key: 'missing', filter: { flowRunId: run } });
    expect(none.data.workspace.latestArtifact).toBeNull();
    expect(none.data.workspace.artifacts.totalCount).toBe(6);
  });

  it('accepts each type in its shapes', async () => {
    const ok: [string, unknown][] = [
      ['MARKDOWN', '# Report\n\n*fine*'],
      ['TABLE', [{ a: 1, b: 'x' }, { a: 2 }]],
      ['TABLE', { a: [1, 2], b: ['x', 'y'] }],
      ['LINK', 'https://example.test/x'],
      ['LINK', { url: 'https://example.test/x', text: 'x' }],
      ['PROGRESS', 42.5],
      ['IMAGE', { url: 'https://example.test/i.png', alt: 'chart' }],
    ];
    for (const [type, data] of ok) expect((await create({ type, data })).data).toEqual(data);
    const parent = (await createRun(alice, { flowId: (await createFlow(alice, ws.id)).id })).id;
    const task = (
      await succeed(alice, CREATE_TASK, {
        input: { flowRunId: parent, taskKey: 't', dynamicKey: '0' },
      })
    ).createTaskRun.id;
    const withTask = await create({
      type: 'MARKDOWN',
      data: 'x',
      taskRunId: task,
      description: 'd',
    });
    expect(withTask).toMatchObject({ taskRunId: task, description: 'd', key: null });
    const byType = await alice.gql(LIST, { id: ws.id, key: 'x', filter: { type: 'TABLE' } });
    expect(byType.data.workspace.artifacts.totalCount).toBe(2);
  });

  it('rejects data that does not fit its type, and bad keys, naming the field; stores nothing', async () => {
    const before = (await alice.gql(LIST, { id: ws.id, key: 'x' })).data.workspace.artifacts
      .totalCount;
    const bad: [Record<string, unknown>, string][] = [
      [{ type: 'MARKDOWN', data: { not: 'text' } }, 'data'],
      [{ type: 'PROGRESS', data: 101 }, 'data'],
      [{ type: 'PROGRESS', data: -1 }, 'data'],
      [{ type: 'TABLE', data: [1, 2] }, 'data'],
      [{ type: 'TABLE', data: { a: [1], b: [1, 2] } }, 'data'],
      [{ type: 'LINK', data: 'javascript:alert(1)' }, 'data'],
      [{ type: 'IMAGE', data: { url: 'https://x.test/i.png', onload: 'x' } }, 'data'],
      [{ type: 'MARKDOWN', data: 'x'.repeat(1024 * 1024 + 1) }, 'data'],
      [{ type: 'MARKDOWN', data: 'x', key: 'Bad_Key' }, 'key'],
      [{ type: 'MARKDOWN', data: 'x', flowRunId: 'run-1' }, 'flowRunId'],
    ];
    for (const [input, field] of bad) {
      const res = await alice.gql(CREATE, { input: { workspaceId: ws.id, ...input } });
      expect(res.errors?.[0]?.extensions, JSON.stringify(input).slice(0, 80)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    const after = (await alice.gql(LIST, { id: ws.id, key: 'x' })).data.workspace.artifacts
      .totalCount;
    expect(after).toBe(before);
  });

  it('a Viewer reads but cannot create; strangers get NOT_FOUND', async () => {
    const viewer = await addMember(stack, alice, { id: ws.id, role: 'VIEWER' });
    const res = await viewer.gql(CREATE, {
      input: { workspaceId: ws.id, type: 'PROGRESS', data: 1 },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_artifacts',
    });
    expect(
      (await viewer.gql(LIST, { id: ws.id, key: 'daily-report' })).data.workspace.latestArtifact
        .data,
    ).toBe(100);
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(LIST, { id: ws.id, key: 'daily-report' }))).toEqual([
      'NOT_FOUND',
    ]);
  });
});
