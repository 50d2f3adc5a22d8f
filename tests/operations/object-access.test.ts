import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace } from '../access/fixtures.js';

const SECRET = `s3cret-${uid(8)}`;
const SET_ACCESS = `mutation($input: SetObjectAccessInput!) {
  setObjectAccess(input: $input) { objectType objectId entries { level user { id } serviceAccount { id } teamId } }
}`;
const REMOVE_ACCESS = `mutation($input: RemoveObjectAccessInput!) { removeObjectAccess(input: $input) }`;
const DOC = `query($id: ID!) { blockDocument(id: $id) { id name data access { entries { level user { id } } } } }`;
const DOCS = `query($id: ID!) { workspace(id: $id) { blockDocuments { totalCount edges { node { name } } } } }`;
const UPDATE = `mutation($input: UpdateBlockDocumentInput!) { updateBlockDocument(input: $input) { id data } }`;
const DELETE = `mutation($id: ID!) { deleteBlockDocument(id: $id) }`;

let stack: Stack;
let alice: Actor;
let ws: { id: string };
let listedViewer: Actor, otherViewer: Actor, manager: Actor, viewingDev: Actor, otherDev: Actor;
let guarded: string;

async function doc(name: string): Promise<string> {
  const res = await alice.gql(
    `mutation($input: CreateBlockDocumentInput!) { createBlockDocument(input: $input) { id } }`,
    { input: { workspaceId: ws.id, blockSchemaId: schemaId, name, data: { token: SECRET } } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.createBlockDocument.id;
}
let schemaId: string;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
  ws = await createWorkspace(alice);
  [listedViewer, otherViewer] = [
    await addMember(stack, alice, { id: ws.id, role: 'VIEWER' }),
    await addMember(stack, alice, { id: ws.id, role: 'VIEWER' }),
  ];
  [manager, viewingDev, otherDev] = [
    await addMember(stack, alice, { id: ws.id, role: 'DEVELOPER' }),
    await addMember(stack, alice, { id: ws.id, role: 'DEVELOPER' }),
    await addMember(stack, alice, { id: ws.id, role: 'DEVELOPER' }),
  ];
  const type = await alice.gql(
    `mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id } }`,
    { input: { workspaceId: ws.id, slug: 'secret', name: 'Secret' } },
  );
  const schema = await alice.gql(
    `mutation($input: CreateBlockSchemaInput!) { createBlockSchema(input: $input) { id } }`,
    {
      input: {
        blockTypeId: type.data.createBlockType.id,
        version: '1',
        fields: { type: 'object', properties: { token: { type: 'string', secret: true } } },
      },
    },
  );
  schemaId = schema.data.createBlockSchema.id;
  guarded = await doc('guarded');
  await doc('open');
  const set = await manager.gql(SET_ACCESS, {
    input: {
      objectType: 'BLOCK_DOCUMENT',
      objectId: guarded,
      entries: [
        { level: 'MANAGE', userId: manager.userId },
        { level: 'VIEW', userId: listedViewer.userId },
        { level: 'RUN', userId: viewingDev.userId },
      ],
    },
  });
  expect(set.errors).toBeUndefined();
  expect(set.data.setObjectAccess.entries).toHaveLength(3);
});
afterAll(async () => {
  await stack?.stop();
});

const names = async (a: Actor) => {
  const res = await a.gql(DOCS, { id: ws.id });
  expect(res.errors).toBeUndefined();
  return {
    total: res.data.workspace.blockDocuments.totalCount,
    names: res.data.workspace.blockDocuments.edges.map((e: any) => e.node.name).sort(),
  };
};

describe('an access list on a block document', () => {
  it('hides it from a Viewer and a Developer who are not listed, in the list (SQL) and by id', async () => {
    for (const a of [otherViewer, otherDev]) {
      stack.counters.operations.reset(true);
      expect(await names(a)).toEqual({ total: 1, names: ['open'] });
      expect(stack.counters.operations.statements.join('\n')).toMatch(/not in/i);
      expect(codes(await a.gql(DOC, { id: guarded }))).toEqual(['NOT_FOUND']);
    }
    const upd = await otherDev.gql(UPDATE, { input: { id: guarded, data: { token: 'x' } } });
    expect(codes(upd)).toEqual(['NOT_FOUND']);
    expect(codes(await otherDev.gql(DELETE, { id: guarded }))).toEqual(['NOT_FOUND']);
  });

  it('a listed Viewer sees it with secrets masked (the role still applies)', async () => {
    expect(await names(listedViewer)).toEqual({ total: 2, names: ['guarded', 'open'] });
    const res = await listedViewer.gql(DOC, { id: guarded });
    expect(res.data.blockDocument.data).toEqual({ token: '********' });
  });

  it('a Developer listed below MANAGE reads secrets but cannot change or delete it', async () => {
    expect((await viewingDev.gql(DOC, { id: guarded })).data.blockDocument.data).toEqual({
      token: SECRET,
    });
    const upd = await viewingDev.gql(UPDATE, {
      input: { id: guarded, data: { token: 'changed' } },
    });
    expect(upd.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_blocks',
    });
    expect(codes(await viewingDev.gql(DELETE, { id: guarded }))).toEqual(['FORBIDDEN']);
    const acl = await viewingDev.gql(SET_ACCESS, {
      input: {
        objectType: 'BLOCK_DOCUMENT',
        objectId: guarded,
        entries: [{ level: 'MANAGE', userId: viewingDev.userId }],
      },
    });
    expect(codes(acl)).toEqual(['FORBIDDEN']);
    expect((await manager.gql(DOC, { id: guarded })).data.blockDocument.data).toEqual({
      token: SECRET,
    });
  });

  it('the listed manager and workspace Owners (listed or not) change it', async () => {
    const byManager = await manager.gql(UPDATE, {
      input: { id: guarded, data: { token: '********' } },
    });
    expect(byManager.errors).toBeUndefined();
    const byOwner = await alice.gql(DOC, { id: guarded });
    expect(byOwner.data.blockDocument).toMatchObject({ data: { token: SECRET } });
    expect(byOwner.data.blockDocument.access.entries.map((e: any) => e.level).sort()).toEqual([
      'MANAGE',
      'RUN',
      'VIEW',
    ]);
  });

  it('refuses lists that would lock out their author, or name no single actor', async () => {
    const lockout = await manager.gql(SET_ACCESS, {
      input: {
        objectType: 'BLOCK_DOCUMENT',
        objectId: guarded,
        entries: [{ level: 'VIEW', userId: manager.userId }],
      },
    });
    expect(lockout.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'entries',
    });
    const two = await alice.gql(SET_ACCESS, {
      input: {
        objectType: 'BLOCK_DOCUMENT',
        objectId: guarded,
        entries: [{ level: 'VIEW', userId: manager.userId, teamId: manager.userId }],
      },
    });
    expect(two.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'entries.0',
    });
    const dup = await alice.gql(SET_ACCESS, {
      input: {
        objectType: 'BLOCK_DOCUMENT',
        objectId: guarded,
        entries: [
          { level: 'VIEW', userId: manager.userId },
          { level: 'MANAGE', userId: manager.userId },
        ],
      },
    });
    expect(dup.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'entries.1',
    });
    expect(
      (await manager.gql(DOC, { id: guarded })).data.blockDocument.access.entries,
    ).toHaveLength(3);
    expect(
      codes(
        await otherDev.gql(SET_ACCESS, {
          input: { objectType: 'BLOCK_DOCUMENT', objectId: guarded, entries: [] },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    const mallory = await stack.signUp();
    expect(
      codes(
        await mallory.gql(REMOVE_ACCESS, {
          input: { objectType: 'BLOCK_DOCUMENT', objectId: guarded },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
  });

  it('an Owner may empty the list (Owners only) and remove it (roles again)', async () => {
    const empty = await alice.gql(SET_ACCESS, {
      input: { objectType: 'BLOCK_DOCUMENT', objectId: guarded, entries: [] },
    });
    expect(empty.errors).toBeUndefined();
    expect(codes(await manager.gql(DOC, { id: guarded }))).toEqual(['NOT_FOUND']);
    expect((await alice.gql(DOC, { id: guarded })).data.blockDocument.id).toBe(guarded);
    const removed = await alice.gql(REMOVE_ACCESS, {
      input: { objectType: 'BLOCK_DOCUMENT', objectId: guarded },
    });
    expect(removed.data.removeObjectAccess).toBe(guarded);
    expect(await names(otherViewer)).toEqual({ total: 2, names: ['guarded', 'open'] });
    expect((await otherDev.gql(DOC, { id: guarded })).data.blockDocument.access).toBeNull();
  });
});
