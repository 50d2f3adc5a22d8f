import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

/** A named JSON value of a workspace that flows read at run time (REFERENCE §5). */
@ObjectType({ description: 'A named JSON value of a workspace, read by flows at run time.' })
@Entity({ tableName: 'variable' })
@Unique({ properties: ['workspaceId', 'name'] })
export class Variable {
  @Field(() => ID, { description: 'Variable id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, {
    description: 'Name, unique within the workspace: 1 to 255 of a-z, 0-9 and _.',
  })
  @Property({ type: 'string', length: 255 })
  name!: string;

  @Field(() => GraphQLJSON, { description: 'The value: any JSON, at most 16 KiB serialized.' })
  @Property({ type: 'json' })
  value!: unknown;

  @Field(() => [String], { description: 'Tags for filtering and grouping.' })
  @Property({ type: 'json' })
  tags: string[] = [];

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change of the value or tags.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
