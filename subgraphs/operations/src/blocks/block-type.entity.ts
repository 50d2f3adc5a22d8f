import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/** A kind of configuration document (e.g. "aws-credentials"), with versioned schemas. */
@ObjectType({
  description:
    'A kind of block (configuration document), such as AWS credentials or a Slack webhook.',
})
@Entity({ tableName: 'block_type' })
@Unique({ properties: ['workspaceId', 'slug'] })
export class BlockType {
  @Field(() => ID, { description: 'Block type id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, {
    description: 'Slug, unique within the workspace: 1 to 100 of a-z, 0-9 and "-".',
  })
  @Property({ type: 'string', length: 100 })
  slug!: string;

  @Field(() => String, { description: 'Display name.' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the block is for (Markdown).' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  @Field(() => String, { nullable: true, description: 'Logo image URL.' })
  @Property({ type: 'string', length: 2048, nullable: true })
  logoUrl?: string | null = null;

  @Field(() => String, { nullable: true, description: 'Documentation URL.' })
  @Property({ type: 'string', length: 2048, nullable: true })
  documentationUrl?: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'An example of using the block in code (Markdown).',
  })
  @Property({ type: 'text', nullable: true })
  codeExample?: string | null = null;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
