import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

/** What an artifact's data is and how a UI shows it. */
export enum ArtifactType {
  MARKDOWN = 'MARKDOWN',
  TABLE = 'TABLE',
  LINK = 'LINK',
  PROGRESS = 'PROGRESS',
  IMAGE = 'IMAGE',
}
registerEnumType(ArtifactType, {
  name: 'ArtifactType',
  description: 'What an artifact holds.',
  valuesConfig: {
    MARKDOWN: { description: 'A Markdown document (data: a string).' },
    TABLE: {
      description: 'A table (data: a list of row objects, or an object of equally long columns).',
    },
    LINK: { description: 'A link (data: a URL string, or { url, text }).' },
    PROGRESS: { description: 'Progress in percent (data: a number from 0 to 100).' },
    IMAGE: { description: 'An image (data: a URL string, or { url, alt }).' },
  },
});

/** Output of a run that people look at: a report, a table, a link, progress, an image. */
@ObjectType({
  description: 'A result of a run that people look at: report, table, link, progress or image.',
})
@Entity({ tableName: 'artifact' })
@Index({ properties: ['workspaceId', 'key', 'createdAt'] })
export class Artifact {
  @Field(() => ID, { description: 'Artifact id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Key grouping versions of one artifact (a-z, 0-9, "-"); the newest is the latest.',
  })
  @Property({ type: 'string', length: 200, nullable: true })
  key?: string | null = null;

  @Field(() => ArtifactType, { description: 'What it holds.' })
  @Property({ type: 'string', length: 20 })
  type!: ArtifactType;

  @Field(() => GraphQLJSON, { description: 'The content, shaped by the type.' })
  @Property({ type: 'json' })
  data!: unknown;

  @Field(() => String, { nullable: true, description: 'A description (Markdown).' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  @Field(() => ID, { nullable: true, description: 'The flow run that made it.' })
  @Property({ type: 'uuid', nullable: true, index: true })
  flowRunId?: string | null = null;

  @Field(() => ID, { nullable: true, description: 'The task run that made it.' })
  @Property({ type: 'uuid', nullable: true, index: true })
  taskRunId?: string | null = null;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
