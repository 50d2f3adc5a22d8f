import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

/** An isolated environment inside one account; everything operational belongs to one. */
@ObjectType({
  description: 'An isolated environment inside an account: flows, deployments, runs and the rest.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'workspace' })
@Unique({ properties: ['accountId', 'handle'] })
export class Workspace {
  @Field(() => ID, { description: 'Workspace id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  accountId!: string;

  @Field(() => String, { description: 'URL-safe handle, unique within the account.' })
  @Property({ type: 'string', length: 40 })
  handle!: string;

  @Field(() => String, { description: 'Display name.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the workspace is for.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  // A plain string column, not @Enum: MikroORM 6.6 misreads SQLite check constraints of enums
  // with more than two values (a migration drift that never settles).
  @Field(() => WorkspaceRole, {
    nullable: true,
    description:
      'Role every account member gets here unless given another; null gives members no access.',
  })
  @Property({ type: 'string', length: 16, nullable: true })
  defaultRole?: WorkspaceRole | null = WorkspaceRole.VIEWER;

  @Field(() => Date, { description: 'When the workspace was created.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change of the workspace.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
