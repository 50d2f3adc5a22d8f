import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { WorkspaceBoundField } from '../../../../lib/workspace-bound.js';
import { BlockDocument } from './block-document.entity.js';
import { BlockType } from './block-type.entity.js';

@InputType({ description: 'A new block type in a workspace.' })
export class CreateBlockTypeInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => String, { description: 'Slug, unique in the workspace: 1 to 100 of a-z, 0-9, "-".' })
  slug!: string;

  @Field(() => String, { description: 'Display name (1 to 200 characters).' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What it is for (at most 10,000 characters).',
  })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Logo image URL (http or https).' })
  logoUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Documentation URL (http or https).' })
  documentationUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'An example of using the block in code (at most 10,000 characters).',
  })
  codeExample?: string | null;
}

@InputType({
  description: 'New descriptive fields of a block type; omitted fields keep their value.',
})
export class UpdateBlockTypeInput {
  @Field(() => ID, { description: 'The block type.' })
  id!: string;

  @WorkspaceBoundField('block type')
  workspaceId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'What it is for (at most 10,000 characters).',
  })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Logo image URL (http or https).' })
  logoUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Documentation URL (http or https).' })
  documentationUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'An example of using the block in code (at most 10,000 characters).',
  })
  codeExample?: string | null;
}

@InputType({ description: 'A new version of the fields of a block type.' })
export class CreateBlockSchemaInput {
  @Field(() => ID, { description: 'The block type.' })
  blockTypeId!: string;

  @WorkspaceBoundField('block type')
  workspaceId?: string | null;

  @Field(() => String, {
    description: 'Version label, unique within the type (1 to 50 characters).',
  })
  version!: string;

  @Field(() => GraphQLJSON, {
    description:
      'JSON Schema of an object (draft-07; local $refs into definitions/$defs). Mark secret properties with `"secret": true` or `"format": "password"`; at most 64 KiB.',
  })
  fields!: unknown;

  @Field(() => [String], {
    nullable: true,
    description: 'Capabilities, e.g. "storage" (at most 20).',
  })
  capabilities?: string[] | null;
}

@InputType({ description: 'A new block document.' })
export class CreateBlockDocumentInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => ID, { description: 'The schema (and so the type) of the document.' })
  blockSchemaId!: string;

  @Field(() => String, { description: 'Name, unique per block type: 1 to 100 of a-z, 0-9, "-".' })
  name!: string;

  @Field(() => GraphQLJSON, {
    description: 'The values, valid against the schema (at most 512 KiB).',
  })
  data!: unknown;
}

@InputType({ description: 'New values for a block document.' })
export class UpdateBlockDocumentInput {
  @Field(() => ID, { description: 'The block document.' })
  id!: string;

  @WorkspaceBoundField('block document')
  workspaceId?: string | null;

  @Field(() => GraphQLJSON, {
    description:
      'The complete new values. A secret field sent as "********" (as masked reads return it) keeps its stored value.',
  })
  data!: unknown;

  @Field(() => ID, {
    nullable: true,
    description: 'Move the document to another schema of the same block type.',
  })
  blockSchemaId?: string | null;
}

@InputType({ description: 'Which block documents to list; conditions combine with AND.' })
export class BlockDocumentFilter {
  @Field(() => ID, { nullable: true, description: 'Documents of this block type.' })
  blockTypeId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Documents of the block type with this slug.',
  })
  blockTypeSlug?: string | null;

  @Field(() => String, { nullable: true, description: 'Name contains this text.' })
  nameContains?: string | null;
}

export const BlockDocumentConnection = connectionType(BlockDocument, 'BlockDocument');
export type BlockDocumentConnection = InstanceType<typeof BlockDocumentConnection>;
export const BlockTypeConnection = connectionType(BlockType, 'BlockType');
export type BlockTypeConnection = InstanceType<typeof BlockTypeConnection>;
