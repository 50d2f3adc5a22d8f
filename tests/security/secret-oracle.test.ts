/**
 * H4: a role with manage_blocks but not see_secret_blocks recovered a stored secret character
 * by character, by validating the masked (kept) value against schemas of its own making.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GqlResult } from '../harness/client.js';
import { createWorkspace, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';

const CREATE_TYPE = `mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id } }`;
const CREATE_SCHEMA = `mutation($input: CreateBlockSchemaInput!) { createBlockSchema(input: $input) { id } }`;
const CREATE_DOC = `mutation($input: CreateBlockDocumentInput!) { createBlockDocument(input: $input) { id } }`;
const UPDATE_DOC = `mutation($input: UpdateBlockDocumentInput!) {
  updateBlockDocument(input: $input) { id data blockSchema { id } }
}`;
const DOC = `query($id: ID!) { blockDocument(id: $id) { data blockSchema { id } } }`;
const MASK = '********';

/** The secret: hex, so that a guess of its first character is one of 16. */
const SECRET = `a${randomBytes(12).toString('hex')}`;

let stack: Stack;
let owner: Actor;
/** manage_blocks without see_secret_blocks: writes blocks, never sees a secret. */
let editor: Actor;
let developer: Actor;
let ws: { id: string };
let typeId: string;
let schemaV1: string;

async function ok(actor: Actor, query: string, input: Record<string, unknown>) {
  const res = await actor.gql(query, { input });
  expect(res.errors).toBeUndefined();
  return Object.values(res.data as Record<string, { id: string }>)[0]!.id;
}

const schema = (version: string, fields: Record<string, unknown>, by: Actor = editor) =>
  ok(by, CREATE_SCHEMA, { blockTypeId: typeId, version: `${version}-${uid(3)}`, fields });

/** A document holding SECRET, written by someone who may. */
const newDocument = () =>
  ok(developer, CREATE_DOC, {
    workspaceId: ws.id,
    blockSchemaId: schemaV1,
    name: `doc-${uid(4)}`,
    data: { host: 'db', token: SECRET },
  });

/** What a client can tell apart: status, codes, fields, messages (ids aside). */
const answer = (r: GqlResult) =>
  JSON.stringify({
    status: r.status,
    errors: r.errors?.map((e) => [e.extensions?.code, e.extensions?.field, e.message]) ?? null,
    ok: Boolean(r.data?.updateBlockDocument),
  });

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  ws = await createWorkspace(owner, owner.accountId);
  developer = await join(stack, owner, { workspace: { id: ws.id, role: 'DEVELOPER' } });
  editor = await join(stack, owner);
  const role = await ok(
    owner,
    `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
    {
      accountId: owner.accountId,
      name: `blocks-${uid(4)}`,
      level: 'WORKSPACE',
      permissions: ['manage_blocks'],
    },
  );
  const bound = await owner.gql(
    `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
    { input: { workspaceId: ws.id, userId: editor.userId, roleId: role } },
  );
  expect(bound.errors).toBeUndefined();
  typeId = await ok(developer, CREATE_TYPE, { workspaceId: ws.id, slug: 'db', name: 'Database' });
  schemaV1 = await schema(
    'v1',
    {
      type: 'object',
      properties: { host: { type: 'string' }, token: { type: 'string', secret: true } },
    },
    developer,
  );
});
afterAll(async () => {
  await stack?.stop();
});

describe('a stored secret is no oracle for who cannot read it', () => {
  it('the editor sees the secret masked (the premise)', async () => {
    const id = await newDocument();
    const res = await editor.gql(DOC, { id });
    expect(res.data.blockDocument.data).toEqual({ host: 'db', token: MASK });
  });

  it('a schema with a pattern on the secret: right and wrong guesses get one answer, and nothing moves', async () => {
    const id = await newDocument();
    const guess = async (prefix: string) => {
      const probe = await schema('probe', {
        type: 'object',
        properties: {
          host: { type: 'string' },
          token: { type: 'string', secret: true, pattern: `^${prefix}` },
        },
      });
      return editor.gql(UPDATE_DOC, {
        input: { id, blockSchemaId: probe, data: { host: 'db', token: MASK } },
      });
    };
    const right = await guess(SECRET.slice(0, 1));
    const wrong = await guess('z');
    expect(answer(right)).toEqual(answer(wrong));
    expect(right.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      permission: 'manage_secret_blocks',
    });
    const after = await developer.gql(DOC, { id });
    expect(after.data.blockDocument).toEqual({
      data: { host: 'db', token: SECRET },
      blockSchema: { id: schemaV1 },
    });
  });

  it('a condition on the secret in the current schema decides nothing for the editor', async () => {
    const id = await newDocument();
    const answers: string[] = [];
    for (const prefix of [SECRET.slice(0, 1), 'z']) {
      // The document's own schema (moved there by someone who may) asks for `flag` when the
      // secret starts with the guess; the editor then leaves `flag` out.
      const conditional = await schema('cond', {
        type: 'object',
        properties: {
          host: { type: 'string' },
          flag: { type: 'boolean' },
          token: { type: 'string', secret: true },
        },
        if: { properties: { token: { pattern: `^${prefix}` } } },
        then: { required: ['flag'] },
      });
      const moved = await developer.gql(UPDATE_DOC, {
        input: { id, blockSchemaId: conditional, data: { host: 'db', flag: true, token: MASK } },
      });
      expect(moved.errors).toBeUndefined();
      answers.push(
        answer(await editor.gql(UPDATE_DOC, { input: { id, data: { host: 'db2', token: MASK } } })),
      );
    }
    expect(answers[0]).toEqual(answers[1]);
  });

  it('sending a guessed value is writing a secret, right or wrong', async () => {
    const id = await newDocument();
    const right = await editor.gql(UPDATE_DOC, {
      input: { id, data: { host: 'db', token: SECRET } },
    });
    const wrong = await editor.gql(UPDATE_DOC, {
      input: { id, data: { host: 'db', token: 'a-guess' } },
    });
    expect(answer(right)).toEqual(answer(wrong));
    expect(right.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('the editor still edits the public fields with the secret masked, as the UI does', async () => {
    const id = await newDocument();
    const res = await editor.gql(UPDATE_DOC, { input: { id, data: { host: 'db3', token: MASK } } });
    expect(res.errors).toBeUndefined();
    expect(res.data.updateBlockDocument.data).toEqual({ host: 'db3', token: MASK });
    expect((await developer.gql(DOC, { id })).data.blockDocument.data).toEqual({
      host: 'db3',
      token: SECRET,
    });
  });

  it('whoever may read and write secrets moves a document to a new schema, validated for real', async () => {
    const id = await newDocument();
    const strict = await schema(
      'strict',
      {
        type: 'object',
        properties: {
          host: { type: 'string' },
          token: { type: 'string', secret: true, pattern: '^z' },
        },
      },
      developer,
    );
    const refused = await developer.gql(UPDATE_DOC, {
      input: { id, blockSchemaId: strict, data: { host: 'db', token: MASK } },
    });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'data.token',
    });
    expect(JSON.stringify(refused)).not.toContain(SECRET);
    const loose = await schema(
      'loose',
      {
        type: 'object',
        properties: {
          host: { type: 'string' },
          token: { type: 'string', secret: true, minLength: 8 },
        },
      },
      developer,
    );
    const moved = await developer.gql(UPDATE_DOC, {
      input: { id, blockSchemaId: loose, data: { host: 'db', token: MASK } },
    });
    expect(moved.errors).toBeUndefined();
    expect(moved.data.updateBlockDocument).toEqual({
      id,
      data: { host: 'db', token: SECRET },
      blockSchema: { id: loose },
    });
  });
});
