import { subject } from '@casl/ability';
import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import type { FilterQuery } from '@mikro-orm/core';
import { accessibleFilter, authorize, type AppAbility } from '../../../../lib/ability.js';
import { byIdIn, conflictOnDuplicate, isUuid, withinWorkspace } from '../../../../lib/db.js';
import { badInput, conflict, forbidden, notFound } from '../../../../lib/errors.js';
import type { Em } from '../../../../lib/orm.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { pageSize, paginate } from '../../../../lib/pagination.js';
import { validateName, validateOptionalText, validateUrl } from '../../../../lib/validation.js';
import { accountOf, jsonBytes } from '../common/caller.js';
import { likeLiteral } from '../common/sql.js';
import type { OperationsContext } from '../context.js';
import { abilitiesWithAcl, authorizeObject } from '../object-access/object-access.ability.js';
import { AccessObjectType, ObjectAccess } from '../object-access/object-access.entity.js';
import { BlockDocument } from './block-document.entity.js';
import {
  blindSecrets,
  compileFields,
  isObject,
  joinSecrets,
  secretPathsOf,
  SECRET_MASK,
  splitSecrets,
  validateData,
} from './block-fields.js';
import { BlockSchema } from './block-schema.entity.js';
import { BlockType } from './block-type.entity.js';
import type {
  BlockDocumentConnection,
  BlockDocumentFilter,
  BlockTypeConnection,
  CreateBlockDocumentInput,
  CreateBlockSchemaInput,
  CreateBlockTypeInput,
  UpdateBlockTypeInput,
  UpdateBlockDocumentInput,
} from './block.inputs.js';

const SLUG = /^[a-z0-9][a-z0-9-]{0,99}$/;
const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_DATA_BYTES = 512 * 1024;
const SUBJECT = 'BlockDocument';

function validateSlug(value: string, field: string, what: string): string {
  if (!SLUG.test(value))
    throw badInput(
      field,
      `${what} is 1 to 100 of a-z, 0-9 and "-", starting with a letter or digit`,
    );
  return value;
}

type Secrets = [string[], unknown][];

/**
 * Block types, schemas and documents. Secret fields never leave this service in plaintext
 * unless the caller may read them (readSecret = see_secret_blocks), and are written only by
 * callers who may write them (writeSecret = manage_secret_blocks).
 */
export class BlockService {
  constructor(private readonly ctx: OperationsContext) {}

  // ---- block types and schemas -------------------------------------------------------------

  async createType(input: CreateBlockTypeInput): Promise<BlockType> {
    requireActor(this.ctx.principal);
    authorize(this.ctx, 'create', SUBJECT, { workspaceId: input.workspaceId }, 'Workspace');
    const slug = validateSlug(input.slug, 'slug', 'A block type slug');
    const name = validateName(input.name, 'name', 200);
    const description = validateOptionalText(input.description, 'description', 10_000);
    const logoUrl = input.logoUrl ? validateUrl(input.logoUrl, 'logoUrl') : null;
    const documentationUrl = input.documentationUrl
      ? validateUrl(input.documentationUrl, 'documentationUrl')
      : null;
    const codeExample = validateOptionalText(input.codeExample, 'codeExample', 10_000);
    const duplicate = 'A block type with this slug exists in the workspace';
    return conflictOnDuplicate('slug', duplicate, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(BlockType, { workspaceId: input.workspaceId, slug }))
          throw conflict('slug', duplicate);
        const t = em.create(BlockType, {
          workspaceId: input.workspaceId,
          slug,
          name,
          description,
          logoUrl,
          documentationUrl,
          codeExample,
        } as BlockType);
        recordEvent(em, 'block-type.created', {
          ...this.eventBase(t.workspaceId),
          blockTypeId: t.id,
          slug,
        });
        return t;
      }),
    );
  }

  /** Changes a block type's descriptive fields (needs manage_blocks). */
  async updateType(input: UpdateBlockTypeInput): Promise<BlockType> {
    requireActor(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const where = byIdIn(input.id, input.workspaceId);
      const t = where ? await em.findOne(BlockType, where) : null;
      if (!t) throw notFound('BlockType');
      authorize(this.ctx, 'update', SUBJECT, { workspaceId: t.workspaceId }, 'BlockType');
      if (input.description !== undefined)
        t.description = validateOptionalText(input.description, 'description', 10_000);
      if (input.logoUrl !== undefined)
        t.logoUrl = input.logoUrl ? validateUrl(input.logoUrl, 'logoUrl') : null;
      if (input.documentationUrl !== undefined)
        t.documentationUrl = input.documentationUrl
          ? validateUrl(input.documentationUrl, 'documentationUrl')
          : null;
      if (input.codeExample !== undefined)
        t.codeExample = validateOptionalText(input.codeExample, 'codeExample', 10_000);
      recordEvent(em, 'block-type.updated', {
        ...this.eventBase(t.workspaceId),
        blockTypeId: t.id,
        slug: t.slug,
      });
      return t;
    });
  }

  async createSchema(input: CreateBlockSchemaInput): Promise<BlockSchema> {
    requireActor(this.ctx.principal);
    const type = isUuid(input.blockTypeId)
      ? withinWorkspace(
          await this.ctx.loaders.blockTypeById.load(input.blockTypeId),
          input.workspaceId,
        )
      : null;
    if (!type) throw notFound('BlockType');
    authorize(this.ctx, 'create', SUBJECT, { workspaceId: type.workspaceId }, 'BlockType');
    const version = validateName(input.version, 'version', 50);
    if (!isObject(input.fields)) throw badInput('fields', 'A block schema is a JSON object');
    if (jsonBytes(input.fields) > MAX_SCHEMA_BYTES)
      throw badInput('fields', `A block schema is at most ${MAX_SCHEMA_BYTES} bytes of JSON`);
    if (input.fields.type !== undefined && input.fields.type !== 'object')
      throw badInput('fields', 'A block schema describes an object ("type": "object")');
    const secretPaths = secretPathsOf(input.fields);
    compileFields(input.fields);
    const capabilities = [...new Set(input.capabilities ?? [])];
    if (capabilities.length > 20 || capabilities.some((c) => !/^[a-z0-9_-]{1,50}$/.test(c)))
      throw badInput('capabilities', 'At most 20 capabilities of 1 to 50 of a-z, 0-9, "_", "-"');
    const duplicate = 'This block type already has a schema of this version';
    return conflictOnDuplicate('version', duplicate, () =>
      this.ctx.transaction(async (em) => {
        if (await em.count(BlockSchema, { blockTypeId: type.id, version }))
          throw conflict('version', duplicate);
        const s = em.create(BlockSchema, {
          workspaceId: type.workspaceId,
          blockTypeId: type.id,
          version,
          fields: input.fields as Record<string, unknown>,
          capabilities,
          secretPaths,
        } as BlockSchema);
        recordEvent(em, 'block-schema.created', {
          ...this.eventBase(type.workspaceId),
          blockTypeId: type.id,
          blockSchemaId: s.id,
          version,
        });
        return s;
      }),
    );
  }

  async listTypes(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
  ): Promise<BlockTypeConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', SUBJECT, { workspaceId }, 'Workspace');
    return paginate(this.ctx.em, BlockType, { workspaceId }, args);
  }

  /** A type or schema seen through a document or a list the caller was allowed to read. */
  async typeOf(doc: { blockTypeId: string }): Promise<BlockType> {
    const t = await this.ctx.loaders.blockTypeById.load(doc.blockTypeId);
    if (!t) throw notFound('BlockType');
    return t;
  }

  async schemaOf(doc: { blockSchemaId: string }): Promise<BlockSchema> {
    const s = await this.ctx.loaders.blockSchemaById.load(doc.blockSchemaId);
    if (!s) throw notFound('BlockSchema');
    return s;
  }

  // ---- documents -----------------------------------------------------------------------------

  async createDocument(input: CreateBlockDocumentInput): Promise<BlockDocument> {
    const by = requireActor(this.ctx.principal);
    authorize(this.ctx, 'create', SUBJECT, { workspaceId: input.workspaceId }, 'Workspace');
    const schema = await this.loadSchema(input.blockSchemaId, input.workspaceId, 'blockSchemaId');
    const name = validateSlug(input.name, 'name', 'A block document name');
    const data = this.checkData(input.data);
    const doc = new BlockDocument();
    const { values, secrets } = splitSecrets(data, schema.secretPaths);
    for (const [p, v] of secrets)
      if (v === SECRET_MASK)
        throw badInput(['data', ...p].join('.'), 'A new document has no stored secret to keep');
    if (secrets.length) await this.authorizeSecretWrite(input.workspaceId, doc.id);
    validateData(compileFields(schema.fields, schema.id), data);
    const duplicate = 'A block document with this name exists for this block type';
    return conflictOnDuplicate('name', duplicate, () =>
      this.ctx.transaction(async (em) => {
        if (
          await em.count(BlockDocument, {
            workspaceId: input.workspaceId,
            blockTypeId: schema.blockTypeId,
            name,
          })
        )
          throw conflict('name', duplicate);
        em.assign(doc, {
          workspaceId: input.workspaceId,
          blockTypeId: schema.blockTypeId,
          blockSchemaId: schema.id,
          name,
          values,
          secretValues: this.seal(secrets, doc.id),
          secretPaths: secrets.map(([p]) => p),
          createdByType: by.type,
          createdById: by.id,
        });
        em.persist(doc);
        recordEvent(em, 'block-document.created', { ...this.documentEvent(doc) });
        return doc;
      }),
    );
  }

  async updateDocument(input: UpdateBlockDocumentInput): Promise<BlockDocument> {
    requireActor(this.ctx.principal);
    const data = this.checkData(input.data);
    return this.ctx.transaction(async (em) => {
      const doc = await this.loadDocument(em, input.id, input.workspaceId);
      await this.authorizeDocument('update', doc, 'BlockDocument', em);
      // Inside the transaction every read goes through its entity manager: SQLite has one
      // connection, and the request's loaders would wait for it forever.
      const schemaId = input.blockSchemaId ?? doc.blockSchemaId;
      const schema = isUuid(schemaId) ? await em.findOne(BlockSchema, { id: schemaId }) : null;
      if (!schema || schema.workspaceId !== doc.workspaceId) throw notFound('BlockSchema');
      if (schema.blockTypeId !== doc.blockTypeId)
        throw badInput('blockSchemaId', 'The schema belongs to another block type');
      const ability = await this.abilityIn(doc.workspaceId, em);
      const reader = ability.can(
        'readSecret',
        subject(SUBJECT, { workspaceId: doc.workspaceId, id: doc.id }),
      );
      const stored = new Map(this.unseal(doc).map(([p, v]) => [JSON.stringify(p), v]));
      const { values, secrets } = splitSecrets(data, schema.secretPaths);
      // The UI sends back what it read: a masked secret means "keep the stored value".
      const kept: Secrets = [];
      let sent = false;
      let keeps = false;
      for (const [p, v] of secrets) {
        const key = JSON.stringify(p);
        if (v !== SECRET_MASK) {
          kept.push([p, v]);
          sent = true;
        } else if (stored.has(key)) {
          kept.push([p, stored.get(key)]);
          keeps = true;
        } else throw badInput(['data', ...p].join('.'), 'There is no stored secret to keep');
      }
      const next = new Map(kept.map(([p, v]) => [JSON.stringify(p), v]));
      const dropped = [...stored.keys()].some((k) => !next.has(k));
      const changed =
        dropped ||
        [...next].some(
          ([k, v]) => !stored.has(k) || JSON.stringify(stored.get(k)) !== JSON.stringify(v),
        );
      // Whoever cannot read the stored values writes a secret by sending any value: whether it
      // equals the stored one must not decide the answer (a guess confirmed by success). And
      // stored secrets are checked against another schema only by whoever may write them.
      const writes = reader ? changed : sent || dropped;
      if (writes || (keeps && schema.id !== doc.blockSchemaId))
        await this.authorizeSecretWrite(doc.workspaceId, doc.id, em);
      if (reader)
        validateData(compileFields(schema.fields, schema.id), joinSecrets(values, kept, false));
      // Not a reader (so sending no secrets): stored ones take part as the mask, rules aside.
      else
        validateData(
          compileFields(blindSecrets(schema.fields), `${schema.id}:blind`),
          joinSecrets(values, kept, true),
        );
      const fields = [
        ...(schema.id !== doc.blockSchemaId ? ['blockSchemaId'] : []),
        ...(JSON.stringify(values) !== JSON.stringify(doc.values) ? ['values'] : []),
        ...(changed ? ['secrets'] : []),
      ];
      doc.blockSchemaId = schema.id;
      doc.values = values;
      if (changed) {
        doc.secretValues = this.seal(kept, doc.id);
        doc.secretPaths = kept.map(([p]) => p);
      }
      doc.updatedAt = new Date();
      recordEvent(em, 'block-document.updated', { ...this.documentEvent(doc), fields });
      return doc;
    });
  }

  async deleteDocument(id: string, workspaceId?: string | null): Promise<string> {
    requireActor(this.ctx.principal);
    return this.ctx.transaction(async (em) => {
      const doc = await this.loadDocument(em, id, workspaceId);
      await this.authorizeDocument('delete', doc, 'BlockDocument', em);
      em.remove(doc);
      await em.nativeDelete(ObjectAccess, {
        objectType: AccessObjectType.BLOCK_DOCUMENT,
        objectId: doc.id,
      });
      recordEvent(em, 'block-document.deleted', this.documentEvent(doc));
      return doc.id;
    });
  }

  /** The document (inside `workspaceId`, when given); NOT_FOUND, or FORBIDDEN without `read`. */
  async getDocument(id: string, workspaceId?: string | null): Promise<BlockDocument> {
    requireAuthenticated(this.ctx.principal);
    const where = byIdIn(id, workspaceId);
    const doc = where ? await this.ctx.em.findOne(BlockDocument, where) : null;
    if (!doc) throw notFound('BlockDocument');
    await this.authorizeDocument('read', doc, 'BlockDocument');
    return doc;
  }

  async listDocuments(
    workspaceId: string,
    args: { first?: number | null; after?: string | null },
    filter?: BlockDocumentFilter | null,
  ): Promise<BlockDocumentConnection> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', SUBJECT, { workspaceId }, 'Workspace');
    pageSize(args);
    const readable = accessibleFilter(await this.abilityIn(workspaceId), 'read', SUBJECT);
    if (!readable) throw forbidden('see_blocks');
    const where: FilterQuery<BlockDocument>[] = [
      readable as FilterQuery<BlockDocument>,
      { workspaceId },
    ];
    if (filter?.blockTypeId)
      where.push({
        blockTypeId: isUuid(filter.blockTypeId) ? filter.blockTypeId : (null as never),
      });
    if (filter?.blockTypeSlug) {
      const qb = this.ctx.em
        .getKnex()('block_type as bt')
        .select('bt.id')
        .where({ 'bt.workspace_id': workspaceId, 'bt.slug': filter.blockTypeSlug });
      where.push({ blockTypeId: { $in: qb as never } });
    }
    if (filter?.nameContains) {
      if (filter.nameContains.length > 100)
        throw badInput('filter.nameContains', 'At most 100 characters');
      const qb = this.ctx.em
        .getKnex()('block_document as bd')
        .select('bd.id')
        .where('bd.workspace_id', workspaceId)
        .whereRaw(`bd.name like ? escape '\\'`, [`%${likeLiteral(filter.nameContains)}%`]);
      where.push({ id: { $in: qb as never } });
    }
    return paginate(this.ctx.em, BlockDocument, { $and: where }, args);
  }

  /** The document's values as this caller may see them: secrets decrypted or masked. */
  async present(doc: BlockDocument): Promise<Record<string, unknown>> {
    const ability = await this.abilityIn(doc.workspaceId);
    const reveal = ability.can(
      'readSecret',
      subject(SUBJECT, { workspaceId: doc.workspaceId, id: doc.id }),
    );
    if (!doc.secretValues) return doc.values;
    const secrets = reveal ? this.unseal(doc) : this.maskedPaths(doc);
    return joinSecrets(doc.values, secrets, !reveal);
  }

  async secretFieldsOf(schema: BlockSchema): Promise<string[]> {
    return schema.secretPaths.map((p) => p.join('.'));
  }

  // ---- helpers -------------------------------------------------------------------------------

  /**
   * The caller's ability for block documents of a workspace. Object ACLs narrow it (see
   * object-access); without any it is the role-based ability of the request.
   */
  protected async abilityIn(workspaceId: string, em?: Em): Promise<AppAbility> {
    // Inside a transaction, reads use its entity manager (SQLite has a single connection).
    if (!em) return this.ctx.loaders.blockAbility.load(workspaceId);
    const [ability] = await abilitiesWithAcl(
      this.ctx,
      em,
      AccessObjectType.BLOCK_DOCUMENT,
      SUBJECT,
      [workspaceId],
    );
    return ability!;
  }

  private async authorizeDocument(
    action: string,
    doc: BlockDocument,
    what: string,
    em?: Em,
  ): Promise<void> {
    const ability = await this.abilityIn(doc.workspaceId, em);
    authorizeObject(
      this.ctx,
      ability,
      action,
      SUBJECT,
      { workspaceId: doc.workspaceId, id: doc.id },
      what,
    );
  }

  private async authorizeSecretWrite(workspaceId: string, id: string, em?: Em): Promise<void> {
    const ability = await this.abilityIn(workspaceId, em);
    authorize(
      { ...this.ctx, ability },
      'writeSecret',
      SUBJECT,
      { workspaceId, id },
      'BlockDocument',
    );
  }

  private checkData(data: unknown): Record<string, unknown> {
    if (!isObject(data)) throw badInput('data', 'Block data is a JSON object');
    if (jsonBytes(data) > MAX_DATA_BYTES)
      throw badInput('data', `Block data is at most ${MAX_DATA_BYTES} bytes of JSON`);
    return data;
  }

  private async loadSchema(id: string, workspaceId: string, field: string): Promise<BlockSchema> {
    const s = isUuid(id) ? await this.ctx.loaders.blockSchemaById.load(id) : null;
    if (!s || s.workspaceId !== workspaceId)
      throw notFound(field === 'blockSchemaId' ? 'BlockSchema' : field);
    return s;
  }

  private async loadDocument(
    em: Em,
    id: string,
    workspaceId?: string | null,
  ): Promise<BlockDocument> {
    const where = byIdIn(id, workspaceId);
    const doc = where ? await em.findOne(BlockDocument, where) : null;
    if (!doc) throw notFound('BlockDocument');
    return doc;
  }

  private seal(secrets: Secrets, id: string): string | null {
    return secrets.length ? this.ctx.blockCrypto.encrypt(JSON.stringify(secrets), id) : null;
  }

  private unseal(doc: BlockDocument): Secrets {
    if (!doc.secretValues) return [];
    return JSON.parse(this.ctx.blockCrypto.decrypt(doc.secretValues, doc.id)) as Secrets;
  }

  /** The mask at every secret path that holds a value; nothing is decrypted for it. */
  private maskedPaths(doc: BlockDocument): Secrets {
    return doc.secretPaths.map((p) => [p, SECRET_MASK]);
  }

  private eventBase(workspaceId: string) {
    return {
      workspaceId,
      accountId: accountOf(this.ctx.grants, workspaceId),
    };
  }

  private documentEvent(doc: BlockDocument) {
    return {
      ...this.eventBase(doc.workspaceId),
      blockDocumentId: doc.id,
      blockTypeId: doc.blockTypeId,
      name: doc.name,
    };
  }
}
