import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { ACTOR_KINDS, type ActorKind } from '../../../../lib/graphql-enums.js';

/** A named workflow of one workspace (REFERENCE §5); deployments and runs hang off it. */
@ObjectType({ description: 'A named workflow of a workspace; deployments and runs belong to it.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'flow' })
@Unique({ properties: ['workspaceId', 'name'] })
export class Flow {
  @Field(() => ID, { description: 'Flow id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, { description: 'Name, unique within the workspace (1 to 200 characters).' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => [String], { description: 'Tags for filtering and grouping (at most 50).' })
  @Property({ type: 'json' })
  tags: string[] = [];

  @Field(() => GraphQLJSON, {
    description: 'Key-value labels; a JSON object whose values are strings, numbers or booleans.',
  })
  @Property({ type: 'json' })
  labels: Record<string, string | number | boolean> = {};

  @Enum({ items: [...ACTOR_KINDS], type: 'string' })
  createdByType!: ActorKind;

  @Property({ type: 'uuid' })
  createdById!: string;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
