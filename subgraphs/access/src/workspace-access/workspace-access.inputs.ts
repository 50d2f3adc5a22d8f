import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

@InputType({
  description: 'Give a user or a service account a role in a workspace (replaces its current one).',
})
export class SetWorkspaceRoleInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The user; give exactly one of userId and serviceAccountId.',
  })
  userId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The service account; give exactly one of userId and serviceAccountId.',
  })
  serviceAccountId?: string | null;

  @Field(() => WorkspaceRole, { description: 'The role to give.' })
  role!: WorkspaceRole;
}

@InputType({ description: "Take away a user's or a service account's role in a workspace." })
export class RemoveWorkspaceAccessInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The user; give exactly one of userId and serviceAccountId.',
  })
  userId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The service account; give exactly one of userId and serviceAccountId.',
  })
  serviceAccountId?: string | null;
}

/** Internal: one binding as the gateway merges it into grants (`BindingFact` in lib/grants.ts). */
@ObjectType({ description: 'Internal: a workspace role binding of a principal.' })
@Directive('@inaccessible')
export class InternalBinding {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => ID, { description: 'The account the workspace belongs to.' })
  accountId!: string;

  @Field(() => WorkspaceRole, { description: 'The bound role.' })
  role!: WorkspaceRole;

  @Field(() => [String], {
    description: 'Extra permissions of a custom role; empty for built-in roles.',
  })
  permissions!: string[];
}
