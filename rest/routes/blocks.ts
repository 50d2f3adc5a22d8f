import { z } from 'zod';
import {
  BlockDocumentsByTypeDocument,
  BlockSchemasOfWorkspaceDocument,
  BlockTypesOfWorkspaceDocument,
  CreateBlockDocumentDocument,
  CreateBlockSchemaDocument,
  CreateBlockTypeDocument,
  DeleteBlockDocumentDocument,
  ReadBlockDocumentDocument,
  UpdateBlockTypeDocument,
  UpdateBlockDocumentDocument,
  type PrefectBlockDocumentFragment,
} from '../generated/graphql.js';
import { blockSchemaChecksum } from '../prefect/checksum.js';
import {
  toPrefectBlockDocument,
  toPrefectBlockSchema,
  toPrefectBlockType,
} from '../prefect/platform.js';
import { notFound, route } from '../route.js';

const MASK = '********';

/** Secret fields read as Prefect shows them without `include_secrets=true`. */
function masked(d: PrefectBlockDocumentFragment, query: URLSearchParams) {
  const doc = toPrefectBlockDocument(d);
  if (query.get('include_secrets') === 'true') return doc;
  const data = structuredClone(doc.data) as Record<string, unknown>;
  for (const path of d.blockSchema.secretFields) {
    const parts = path.split('.');
    let at: Record<string, unknown> | undefined = data;
    for (const p of parts.slice(0, -1))
      at = at && typeof at[p] === 'object' ? (at[p] as Record<string, unknown>) : undefined;
    const last = parts[parts.length - 1];
    if (at && at[last] !== undefined) at[last] = MASK;
  }
  return { ...doc, data };
}

const blockTypeCreate = z.object({
  name: z.string(),
  slug: z.string(),
  logo_url: z.string().nullish(),
  documentation_url: z.string().nullish(),
  description: z.string().nullish(),
  code_example: z.string().nullish(),
});

const blockTypeUpdate = z.object({
  logo_url: z.string().nullish(),
  documentation_url: z.string().nullish(),
  description: z.string().nullish(),
  code_example: z.string().nullish(),
});

const BLOCK_TYPE_FIELDS = {
  logoUrl: 'logo_url',
  documentationUrl: 'documentation_url',
  codeExample: 'code_example',
};

const blockSchemaCreate = z.object({
  fields: z.record(z.string(), z.unknown()),
  block_type_id: z.uuid(),
  capabilities: z.array(z.string()).nullish(),
  version: z.string().nullish(),
});

const blockDocumentCreate = z.object({
  name: z.string().nullish(),
  data: z.record(z.string(), z.unknown()),
  block_schema_id: z.uuid(),
  block_type_id: z.uuid().nullish(),
  is_anonymous: z.boolean().nullish(),
});

const blockDocumentUpdate = z.object({
  block_schema_id: z.uuid().nullish(),
  data: z.record(z.string(), z.unknown()),
  merge_existing_data: z.boolean().nullish(),
});

/** A schema's version when the client names none. */
const DEFAULT_VERSION = 'non-versioned';

export const blockRoutes = [
  route('GET', '/block_types/slug/{slug}', {
    summary: 'Read a block type by its slug',
    tags: ['Block types'],
    operation: BlockTypesOfWorkspaceDocument,
    variables: ({ workspaceId }) => ({ workspaceId }),
    result: (d, { params }) => {
      const t = d.workspace?.blockTypes.edges.find((e) => e.node.slug === params.slug)?.node;
      return toPrefectBlockType(t ?? notFound('Block type'));
    },
  }),
  route('POST', '/block_types/', {
    summary: 'Create a block type',
    tags: ['Block types'],
    operation: CreateBlockTypeDocument,
    body: blockTypeCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        slug: body.slug,
        name: body.name,
        description: body.description ?? undefined,
        logoUrl: body.logo_url ?? undefined,
        documentationUrl: body.documentation_url ?? undefined,
        codeExample: body.code_example ?? undefined,
      },
    }),
    fields: BLOCK_TYPE_FIELDS,
    result: (d) => toPrefectBlockType(d.createBlockType),
    status: 201,
  }),
  route('PATCH', '/block_types/{id}', {
    summary: 'Change a block type’s description, URLs or code example',
    tags: ['Block types'],
    operation: UpdateBlockTypeDocument,
    body: blockTypeUpdate,
    variables: ({ body, params, workspaceId }) => ({
      input: {
        id: params.id,
        workspaceId,
        description: body.description,
        logoUrl: body.logo_url,
        documentationUrl: body.documentation_url,
        codeExample: body.code_example,
      },
    }),
    fields: BLOCK_TYPE_FIELDS,
    result: () => null,
    status: 204,
  }),
  route('GET', '/block_schemas/checksum/{checksum}', {
    summary: 'Read a block schema by its checksum (and version)',
    tags: ['Block schemas'],
    operation: BlockSchemasOfWorkspaceDocument,
    queryParams: ['version'],
    variables: ({ workspaceId }) => ({ workspaceId }),
    result: (d, { params, query }) => {
      const version = query.get('version');
      const schema = d.workspace?.blockTypes.edges
        .flatMap(({ node: { schemas, ...blockType } }) => schemas.map((s) => ({ ...s, blockType })))
        .find(
          (s) =>
            blockSchemaChecksum(s.fields) === params.checksum &&
            (!version || s.version === version),
        );
      return toPrefectBlockSchema(schema ?? notFound('Block schema'));
    },
  }),
  route('POST', '/block_schemas/', {
    summary: 'Create a block schema',
    tags: ['Block schemas'],
    operation: CreateBlockSchemaDocument,
    body: blockSchemaCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        blockTypeId: body.block_type_id,
        workspaceId,
        version: body.version ?? DEFAULT_VERSION,
        fields: body.fields,
        capabilities: body.capabilities ?? [],
      },
    }),
    fields: { blockTypeId: 'block_type_id' },
    result: (d) => toPrefectBlockSchema(d.createBlockSchema),
    status: 201,
  }),
  route('POST', '/block_documents/', {
    summary: 'Create a block document',
    tags: ['Block documents'],
    operation: CreateBlockDocumentDocument,
    body: blockDocumentCreate,
    variables: ({ body, workspaceId }) => ({
      input: {
        workspaceId,
        blockSchemaId: body.block_schema_id,
        name: body.name ?? '',
        data: body.data,
      },
    }),
    fields: { blockSchemaId: 'block_schema_id' },
    result: (d, { query }) => masked(d.createBlockDocument, query),
    status: 201,
  }),
  route('GET', '/block_documents/{id}', {
    summary: 'Read a block document',
    tags: ['Block documents'],
    operation: ReadBlockDocumentDocument,
    queryParams: ['include_secrets'],
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: (d, { query }) => masked(d.blockDocument ?? notFound('Block document'), query),
  }),
  route('GET', '/block_types/slug/{slug}/block_documents/name/{name}', {
    summary: 'Read a block document by block type slug and name',
    tags: ['Block documents'],
    operation: BlockDocumentsByTypeDocument,
    queryParams: ['include_secrets'],
    variables: ({ params, workspaceId }) => ({ workspaceId, slug: params.slug }),
    result: (d, { params, query }) => {
      const doc = d.workspace?.blockDocuments.edges.find((e) => e.node.name === params.name)?.node;
      return masked(doc ?? notFound('Block document'), query);
    },
  }),
  route('PATCH', '/block_documents/{id}', {
    summary: 'Replace a block document’s values',
    tags: ['Block documents'],
    operation: UpdateBlockDocumentDocument,
    body: blockDocumentUpdate,
    variables: ({ params, body, workspaceId }) => ({
      input: {
        id: params.id,
        workspaceId,
        data: body.data,
        blockSchemaId: body.block_schema_id ?? undefined,
      },
    }),
    fields: { blockSchemaId: 'block_schema_id' },
    result: () => null,
    status: 204,
  }),
  route('DELETE', '/block_documents/{id}', {
    summary: 'Delete a block document',
    tags: ['Block documents'],
    operation: DeleteBlockDocumentDocument,
    variables: ({ params, workspaceId }) => ({ id: params.id, workspaceId }),
    result: () => null,
    status: 204,
  }),
];
