import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { AutomationAuthority, StoredAction } from './actions/stored-action.js';
import type { TriggerSpec } from './triggers/trigger.schema.js';

/**
 * A rule of a workspace: when its trigger fires, its actions run (REFERENCE §6). The trigger
 * and the actions are stored as JSON in their validated shapes; the GraphQL fields `trigger`
 * and `actions…` are typed views of them (automation.resolver.ts). Webhook secrets inside the
 * actions are encrypted and never leave the subgraph.
 */
@ObjectType({
  description: 'A rule of a workspace: when its trigger fires, its actions run.',
})
@Entity({ tableName: 'automation' })
@Index({ properties: ['workspaceId', 'createdAt'] })
@Index({ properties: ['workspaceId', 'ownerResource'] })
export class Automation {
  @Field(() => ID, { description: 'Automation id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Field(() => String, { description: 'Name (1 to 200 characters).' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description (at most 5000 characters).' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  @Field(() => Boolean, { description: 'Whether it evaluates events and acts.' })
  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Field(() => String, {
    nullable: true,
    description:
      'The resource that owns it (e.g. `prefect.deployment.<id>` for a deployment’s trigger): deleteAutomationsOwnedBy deletes it with its owner’s others.',
  })
  @Property({ type: 'string', length: 500, nullable: true })
  ownerResource?: string | null = null;

  @Property({ type: 'json' })
  trigger!: TriggerSpec;

  @Property({ type: 'json' })
  actions: StoredAction[] = [];

  @Property({ type: 'json' })
  actionsOnTrigger: StoredAction[] = [];

  @Property({ type: 'json' })
  actionsOnResolve: StoredAction[] = [];

  /**
   * Whom its actions act for and with what: the grants in this workspace of whoever last saved
   * its trigger or actions (run-actions.ts). Null for automations saved before it was kept:
   * they do not act until saved again.
   */
  @Property({ type: 'json', nullable: true })
  authority?: AutomationAuthority | null = null;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change (of any field, or of `enabled`).' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
