import { Field, ID, InputType } from 'type-graphql';
import { PrincipalSelector } from '../common/principal-selector.input.js';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

@InputType({
  description:
    'Give a user, a service account or a team a role in a workspace (replaces its current one).',
})
export class SetWorkspaceRoleInput extends PrincipalSelector {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

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
export class RemoveWorkspaceAccessInput extends PrincipalSelector {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;
}
