import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlockCrypto } from '../../subgraphs/operations/src/blocks/block-crypto.js';
import { codes } from '../harness/client.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { addMember, createWorkspace } from '../access/fixtures.js';

const KEY = randomBytes(32);
const PASSWORD = `pw-${uid(8)}-Secret`;
const TOKEN = `tok-${uid(8)}`;
const BAD_SECRET = `bad-${uid(8)}`;
const ALL_SECRETS = () => [PASSWORD, TOKEN, BAD_SECRET, ...extraSecrets];
const extraSecrets: string[] = [];

const CREATE_TYPE = `mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id slug name } }`;
const CREATE_SCHEMA = `mutation($input: CreateBlockSchemaInput!) {
  createBlockSchema(input: $input) { id version secretFields capabilities blockType { slug } }
}`;
const CREATE_DOC = `mutation($input: CreateBlockDocumentInput!) {
  createBlockDocument(input: $input) { id name data blockType { slug } blockSchema { version secretFields } }
}`;
const UPDATE_DOC = `mutation($input: UpdateBlockDocumentInput!) { updateBlockDocument(input: $input) { id data } }`;
const DELETE_DOC = `mutation($id: ID!) { deleteBlockDocument(id: $id) }`;
const DOC = `query($id: ID!) { blockDocument(id: $id) { id name data } }`;
const DOCS = `query($id: ID!, $first: Int, $filter: BlockDocumentFilter) {
  workspace(id: $id) {
    blockDocuments(first: $first, filter: $filter) {
      totalCount edges { node { id name data blockType { slug schemas { version } } blockSchema { version } } }
    }
    blockTypes { totalCount edges { node { slug schemas { version secretFields } } } }
  }
}`;

const FIELDS = {
  type: 'object',
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    password: { type: 'string', format: 'password', minLength: 8, pattern: '^pw-' },
    credentials: {
      type: 'object',
      properties: { token: { type: 'string', secret: true }, user: { type: 'string' } },
    },
  },
  required: ['host', 'password'],
  additionalProperties: false,
};

let stack: Stack;
let alice: Actor;
let viewer: Actor;
let developer: Actor;
let ws: { id: string };
let schemaId: string;
let docId: string;
const output: string[] = [];

beforeAll(async () => {
  // Everything the process prints while this file runs is checked for secrets at the end.
  for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const orig = console[m].bind(console);
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      output.push(args.map(String).join(' '));
      orig(...args);
    });
  }
  for (const s of [process.stdout, process.stderr]) {
    const orig = s.write.bind(s);
    vi.spyOn(s, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      output.push(String(chunk));
      return (orig as any)(chunk, ...rest);
    }) as any);
  }
  stack = await startStack({ env: { BLOCK_ENCRYPTION_KEY: KEY.toString('hex') } });
  alice = await stack.signUp();
  ws = await createWorkspace(alice);
  viewer = await addMember(stack, alice, { id: ws.id, role: 'VIEWER' });
  developer = await addMember(stack, alice, { id: ws.id, role: 'DEVELOPER' });
  const type = await alice.gql(CREATE_TYPE, {
    input: {
      workspaceId: ws.id,
      slug: 'database',
      name: 'Database',
      logoUrl: 'https://x.test/l.png',
    },
  });
  expect(type.errors).toBeUndefined();
  const schema = await alice.gql(CREATE_SCHEMA, {
    input: {
      blockTypeId: type.data.createBlockType.id,
      version: '1',
      fields: FIELDS,
      capabilities: ['sql'],
    },
  });
  expect(schema.errors).toBeUndefined();
  expect(schema.data.createBlockSchema.secretFields).toEqual(['password', 'credentials.token']);
  schemaId = schema.data.createBlockSchema.id;
  const doc = await developer.gql(CREATE_DOC, {
    input: {
      workspaceId: ws.id,
      blockSchemaId: schemaId,
      name: 'prod-db',
      data: {
        host: 'db.internal',
        port: 5432,
        password: PASSWORD,
        credentials: { token: TOKEN, user: 'etl' },
      },
    },
  });
  expect(doc.errors).toBeUndefined();
  docId = doc.data.createBlockDocument.id;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
});

const docData = async (actor: Actor) => {
  const res = await actor.gql(DOC, { id: docId });
  expect(res.errors).toBeUndefined();
  return res.data.blockDocument.data;
};

describe('secret fields', () => {
  it('a Developer reads the secret values', async () => {
    expect(await docData(developer)).toEqual({
      host: 'db.internal',
      port: 5432,
      password: PASSWORD,
      credentials: { token: TOKEN, user: 'etl' },
    });
  });

  it('a Viewer gets them masked, in blockDocument and in the list', async () => {
    expect(await docData(viewer)).toEqual({
      host: 'db.internal',
      port: 5432,
      password: '********',
      credentials: { token: '********', user: 'etl' },
    });
    const list = await viewer.gql(DOCS, { id: ws.id });
    expect(list.errors).toBeUndefined();
    expect(list.data.workspace.blockDocuments.edges[0].node.data.password).toBe('********');
    for (const s of ALL_SECRETS()) expect(JSON.stringify(list)).not.toContain(s);
  });

  it('stores secrets encrypted with AES-256-GCM under the configured key, bound to the row', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const [row] = await orm.em
      .getConnection()
      .execute(`select id, secret_values, "values" from block_document where id = ?`, [docId]);
    expect(row.secret_values).toMatch(/^v1\./);
    const plain = JSON.parse(new BlockCrypto(KEY).decrypt(row.secret_values, docId));
    expect(plain).toEqual([
      [['password'], PASSWORD],
      [['credentials', 'token'], TOKEN],
    ]);
    expect(() =>
      new BlockCrypto(KEY).decrypt(row.secret_values, randomBytes(16).toString('hex')),
    ).toThrow();
    expect(() => new BlockCrypto(randomBytes(32)).decrypt(row.secret_values, docId)).toThrow();
  });

  it('a masked value written back keeps the stored secret; a new value replaces it', async () => {
    const masked = await docData(viewer);
    const kept = await developer.gql(UPDATE_DOC, {
      input: { id: docId, data: { ...masked, host: 'db2.internal' } },
    });
    expect(kept.errors).toBeUndefined();
    expect(kept.data.updateBlockDocument.data).toMatchObject({
      host: 'db2.internal',
      password: PASSWORD,
      credentials: { token: TOKEN },
    });
    const rotated = `pw-${uid(8)}-Rotated`;
    extraSecrets.push(rotated);
    const changed = await developer.gql(UPDATE_DOC, {
      input: { id: docId, data: { ...masked, host: 'db2.internal', password: rotated } },
    });
    expect(changed.data.updateBlockDocument.data).toMatchObject({
      password: rotated,
      credentials: { token: TOKEN },
    });
    expect((await docData(viewer)).password).toBe('********');
  });

  it('a Viewer cannot write; the document is unchanged', async () => {
    const before = await docData(developer);
    const res = await viewer.gql(UPDATE_DOC, {
      input: { id: docId, data: { host: 'x', password: 'pw-hijacked' } },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_blocks',
    });
    expect(codes(await viewer.gql(DELETE_DOC, { id: docId }))).toEqual(['FORBIDDEN']);
    expect(await docData(developer)).toEqual(before);
  });

  it('a validation error on a secret field names the field, never the value, and stores nothing', async () => {
    const res = await developer.gql(CREATE_DOC, {
      input: {
        workspaceId: ws.id,
        blockSchemaId: schemaId,
        name: 'bad-one',
        data: { host: 'h', password: BAD_SECRET },
      },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'data.password',
    });
    expect(JSON.stringify(res)).not.toContain(BAD_SECRET);
    const typeErr = await developer.gql(UPDATE_DOC, {
      input: { id: docId, data: { host: 'h', password: PASSWORD, credentials: { token: 42 } } },
    });
    expect(typeErr.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'data.credentials.token',
    });
    const list = await developer.gql(DOCS, { id: ws.id });
    expect(list.data.workspace.blockDocuments.totalCount).toBe(1);
  });

  it('a masked value on a document without a stored secret is refused', async () => {
    const res = await developer.gql(CREATE_DOC, {
      input: {
        workspaceId: ws.id,
        blockSchemaId: schemaId,
        name: 'masked',
        data: { host: 'h', password: '********' },
      },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'data.password',
    });
  });
});

describe('bad input', () => {
  it('block types, schemas and documents reject bad input naming the field, storing nothing', async () => {
    expect((await alice.gql(DOCS, { id: ws.id })).data.workspace.blockTypes.totalCount).toBe(1);
    const t = await alice.gql(CREATE_TYPE, {
      input: { workspaceId: ws.id, slug: 'Bad Slug', name: 'x' },
    });
    expect(t.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'slug' });
    const dupType = await alice.gql(CREATE_TYPE, {
      input: { workspaceId: ws.id, slug: 'database', name: 'x' },
    });
    expect(dupType.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'slug' });
    const other = await alice.gql(CREATE_TYPE, {
      input: { workspaceId: ws.id, slug: 'other', name: 'Other' },
    });
    const otherId = other.data.createBlockType.id;
    const schemaCases: [unknown, string][] = [
      [{ type: 'object', properties: { a: { type: 'nope' } } }, 'fields'],
      [{ type: 'array' }, 'fields'],
      [
        {
          type: 'object',
          properties: { list: { type: 'array', items: { type: 'string', secret: true } } },
        },
        'fields',
      ],
      [
        { type: 'object', properties: { a: { anyOf: [{ type: 'string', format: 'password' }] } } },
        'fields',
      ],
      [{ type: 'object', properties: { a: { $ref: 'https://evil.test/s.json' } } }, 'fields'],
    ];
    for (const [fields, field] of schemaCases) {
      const res = await alice.gql(CREATE_SCHEMA, {
        input: { blockTypeId: otherId, version: '1', fields },
      });
      expect(res.errors?.[0]?.extensions, JSON.stringify(fields)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    const list = await alice.gql(DOCS, { id: ws.id });
    const types = list.data.workspace.blockTypes.edges.map((e: any) => e.node);
    expect(types.find((t: any) => t.slug === 'other').schemas).toEqual([]);
    const dupVersion = await alice.gql(CREATE_SCHEMA, {
      input: { blockTypeId: await typeIdOf('database'), version: '1', fields: FIELDS },
    });
    expect(dupVersion.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'version',
    });
    const docCases: [Record<string, unknown>, string, string][] = [
      [{ name: 'Bad Name' }, 'name', 'BAD_USER_INPUT'],
      [{ name: 'prod-db' }, 'name', 'CONFLICT'],
      [{ data: { host: 'h', password: PASSWORD, extra: 1 } }, 'data', 'BAD_USER_INPUT'],
      [{ data: { password: PASSWORD } }, 'data.host', 'BAD_USER_INPUT'],
      [{ data: { host: 'h', password: PASSWORD, port: 0 } }, 'data.port', 'BAD_USER_INPUT'],
      [{ data: [1, 2] }, 'data', 'BAD_USER_INPUT'],
    ];
    for (const [over, field, code] of docCases) {
      const res = await developer.gql(CREATE_DOC, {
        input: {
          workspaceId: ws.id,
          blockSchemaId: schemaId,
          name: `d-${uid(3)}`,
          data: { host: 'h', password: PASSWORD },
          ...over,
        },
      });
      expect(res.errors?.[0]?.extensions, JSON.stringify(over)).toMatchObject({ code, field });
    }
    expect((await alice.gql(DOCS, { id: ws.id })).data.workspace.blockDocuments.totalCount).toBe(1);
  });

  it('outsiders get NOT_FOUND; ids that are not UUIDs never reach SQL', async () => {
    const mallory = await stack.signUp();
    expect(codes(await mallory.gql(DOC, { id: docId }))).toEqual(['NOT_FOUND']);
    expect(codes(await mallory.gql(DOCS, { id: ws.id }))).toEqual(['NOT_FOUND']);
    expect(codes(await mallory.gql(UPDATE_DOC, { input: { id: docId, data: {} } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await alice.gql(DOC, { id: 'nope' }))).toEqual(['NOT_FOUND']);
    const other = await createWorkspace(alice);
    const cross = await alice.gql(CREATE_DOC, {
      input: {
        workspaceId: other.id,
        blockSchemaId: schemaId,
        name: 'x',
        data: { host: 'h', password: PASSWORD },
      },
    });
    expect(codes(cross)).toEqual(['NOT_FOUND']);
  });
});

async function typeIdOf(slug: string): Promise<string> {
  const res = await alice.gql(
    `query($id: ID!) { workspace(id: $id) { blockTypes(first: 50) { edges { node { id slug } } } } }`,
    { id: ws.id },
  );
  return res.data.workspace.blockTypes.edges.find((e: any) => e.node.slug === slug).node.id;
}

describe('lists', () => {
  it('a page of 1 and a page of 5 documents cost the same number of queries', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await developer.gql(CREATE_DOC, {
        input: {
          workspaceId: ws.id,
          blockSchemaId: schemaId,
          name: `many-${i}`,
          data: { host: 'h', password: PASSWORD },
        },
      });
      expect(res.errors).toBeUndefined();
    }
    // Only the documents list: DataLoader batches of two sibling lists depend on timing.
    const page = `query($id: ID!, $first: Int) {
      workspace(id: $id) {
        blockDocuments(first: $first) {
          edges { node { id data blockType { slug schemas { version } } blockSchema { version } } }
        }
      }
    }`;
    const cost = async (first: number) => {
      await viewer.gql(page, { id: ws.id, first });
      stack.counters.operations.reset();
      const res = await viewer.gql(page, { id: ws.id, first });
      expect(res.errors).toBeUndefined();
      expect(res.data.workspace.blockDocuments.edges).toHaveLength(first);
      return stack.counters.operations.count;
    };
    expect(await cost(5)).toBe(await cost(1));
    const bySlug = await viewer.gql(DOCS, {
      id: ws.id,
      filter: { blockTypeSlug: 'database', nameContains: 'many' },
    });
    expect(bySlug.data.workspace.blockDocuments.totalCount).toBe(5);
  });

  it('deleting a document removes it', async () => {
    const res = await developer.gql(CREATE_DOC, {
      input: {
        workspaceId: ws.id,
        blockSchemaId: schemaId,
        name: 'to-delete',
        data: { host: 'h', password: PASSWORD },
      },
    });
    const id = res.data.createBlockDocument.id;
    expect((await developer.gql(DELETE_DOC, { id })).data.deleteBlockDocument).toBe(id);
    expect(codes(await developer.gql(DOC, { id }))).toEqual(['NOT_FOUND']);
  });
});

describe('nothing leaks', () => {
  it('no table of the operations database holds a secret in plaintext', async () => {
    const orm = stack.running.subgraphs.operations!.orm;
    const conn = orm.em.getConnection();
    const pg = orm.config.get('driver')?.name === 'PostgreSqlDriver';
    const tables: string[] = (
      await conn.execute(
        pg
          ? `select table_name as name from information_schema.tables where table_schema = current_schema()`
          : `select name from sqlite_master where type = 'table'`,
      )
    ).map((r: any) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['block_document', 'outbox']));
    for (const t of tables) {
      const rows = await conn.execute(`select * from "${t}"`);
      const dump = JSON.stringify(rows);
      for (const s of ALL_SECRETS()) expect(dump, `${t} holds a secret`).not.toContain(s);
    }
  });

  it('nothing printed while this file ran contains a secret', () => {
    const all = output.join('\n');
    for (const s of ALL_SECRETS()) expect(all).not.toContain(s);
  });
});
