import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/**
 * A configuration document of a block type. Non-secret values are stored as JSON; secret
 * values only encrypted (AES-256-GCM), so no column ever holds them in plaintext.
 */
@ObjectType({
  description: 'A configuration document of a block type (e.g. one set of credentials).',
})
@Entity({ tableName: 'block_document' })
@Unique({ properties: ['workspaceId', 'blockTypeId', 'name'] })
export class BlockDocument {
  @Field(() => ID, { description: 'Block document id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid', index: true })
  blockTypeId!: string;

  @Property({ type: 'uuid' })
  blockSchemaId!: string;

  @Field(() => String, {
    description: 'Name, unique per block type in the workspace: 1 to 100 of a-z, 0-9 and "-".',
  })
  @Property({ type: 'string', length: 100 })
  name!: string;

  /** The document without its secret fields. */
  @Property({ type: 'json' })
  values: Record<string, unknown> = {};

  /** The secret fields, `[[path, value], …]` as JSON, encrypted; null when there are none. */
  @Property({ type: 'text', nullable: true })
  secretValues?: string | null = null;

  /** Which secret fields hold a value (paths are not secret; the masked view needs them). */
  @Property({ type: 'json' })
  secretPaths: string[][] = [];

  @Property({ type: 'string', length: 20 })
  createdByType!: string;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
