import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

/** One version of a block type's fields, as JSON Schema; secret fields are derived from it. */
@ObjectType({
  description:
    'A version of the fields of a block type, as JSON Schema. A property annotated `"secret": true` or `"format": "password"` is a secret field.',
})
@Entity({ tableName: 'block_schema' })
@Unique({ properties: ['blockTypeId', 'version'] })
export class BlockSchema {
  @Field(() => ID, { description: 'Block schema id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid', index: true })
  blockTypeId!: string;

  @Field(() => String, { description: 'Version label, unique within the block type.' })
  @Property({ type: 'string', length: 50 })
  version!: string;

  @Field(() => GraphQLJSON, { description: 'The JSON Schema (an object schema) of the fields.' })
  @Property({ type: 'json' })
  fields!: Record<string, unknown>;

  @Field(() => [String], { description: 'What documents of this schema can do, e.g. "storage".' })
  @Property({ type: 'json' })
  capabilities: string[] = [];

  /** Paths (property names from the root) of the secret fields, derived from `fields`. */
  @Property({ type: 'json' })
  secretPaths: string[][] = [];

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
