import { Field, ID, InputType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

@InputType({
  description:
    'Give a user, a service account or a team a role in a workspace (replaces its current one).',
})
export class SetWorkspaceRoleInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The user; give exactly one of userId, serviceAccountId and teamId.',
  })
  userId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The service account; give exactly one of userId, serviceAccountId and teamId.',
  })
  serviceAccountId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'A team of the account; give exactly one of userId, serviceAccountId and teamId.',
  })
  teamId?: string | null;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'The built-in role to give; give exactly one of role and roleId.',
  })
  role?: WorkspaceRole | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'A custom workspace role of the account to give; give exactly one of role and roleId.',
  })
  roleId?: string | null;
}

@InputType({
  description: "Take away a user's, a service account's or a team's role in a workspace.",
})
export class RemoveWorkspaceAccessInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The user; give exactly one of userId, serviceAccountId and teamId.',
  })
  userId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The service account; give exactly one of userId, serviceAccountId and teamId.',
  })
  serviceAccountId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The team; give exactly one of userId, serviceAccountId and teamId.',
  })
  teamId?: string | null;
}
