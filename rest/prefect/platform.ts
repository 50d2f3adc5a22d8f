import type {
  PrefectArtifactFragment,
  PrefectBlockDocumentFragment,
  PrefectBlockSchemaFragment,
  PrefectBlockTypeFragment,
  PrefectConcurrencyLimitFragment,
  PrefectVariableFragment,
} from '../generated/graphql.js';
import { blockSchemaChecksum } from './checksum.js';

export function toPrefectBlockType(t: PrefectBlockTypeFragment) {
  return {
    id: t.id,
    created: t.createdAt,
    updated: t.createdAt,
    name: t.name,
    slug: t.slug,
    logo_url: t.logoUrl ?? null,
    documentation_url: t.documentationUrl ?? null,
    description: t.description ?? null,
    code_example: t.codeExample ?? null,
    is_protected: false,
  };
}

export function toPrefectBlockSchema(s: PrefectBlockSchemaFragment) {
  return {
    id: s.id,
    created: s.createdAt,
    updated: s.createdAt,
    checksum: blockSchemaChecksum(s.fields),
    fields: s.fields,
    block_type_id: s.blockType.id,
    block_type: toPrefectBlockType(s.blockType),
    capabilities: s.capabilities,
    version: s.version,
  };
}

export function toPrefectBlockDocument(d: PrefectBlockDocumentFragment) {
  const schema = d.blockSchema;
  return {
    id: d.id,
    created: d.createdAt,
    updated: d.updatedAt,
    name: d.name,
    data: d.data,
    block_schema_id: schema.id,
    block_schema: toPrefectBlockSchema(schema),
    block_type_id: schema.blockType.id,
    block_type_name: schema.blockType.name,
    block_type: toPrefectBlockType(schema.blockType),
    block_document_references: {},
    is_anonymous: false,
  };
}

export function toPrefectVariable(v: PrefectVariableFragment) {
  return {
    id: v.id,
    created: v.createdAt,
    updated: v.updatedAt,
    name: v.name,
    value: v.value,
    tags: v.tags,
  };
}

export function toPrefectArtifact(a: PrefectArtifactFragment) {
  return {
    id: a.id,
    created: a.createdAt,
    updated: a.createdAt,
    key: a.key ?? null,
    type: a.type.toLowerCase(),
    description: a.description ?? null,
    data: a.data,
    metadata_: null,
    flow_run_id: a.flowRunId ?? null,
    task_run_id: a.taskRunId ?? null,
  };
}

export function toPrefectGlobalLimit(l: PrefectConcurrencyLimitFragment) {
  return {
    id: l.id,
    created: l.createdAt,
    updated: l.updatedAt,
    name: l.name,
    limit: l.limit,
    active: l.active,
    active_slots: l.activeSlots,
    slot_decay_per_second: 0,
    avg_slot_occupancy_seconds: 2,
  };
}
