import { Field, ID, InputType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

@InputType({ description: 'A new workspace in an account.' })
export class CreateWorkspaceInput {
  @Field(() => ID, { description: 'The account it belongs to.' })
  accountId!: string;

  @Field(() => String, {
    description: 'Handle, lower-case [a-z0-9-]{2,40}, unique within the account.',
  })
  handle!: string;

  @Field(() => String, { description: 'Display name, 1 to 100 characters.' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What the workspace is for, at most 2000 characters.',
  })
  description?: string | null;

  @Field(() => WorkspaceRole, {
    nullable: true,
    defaultValue: WorkspaceRole.VIEWER,
    description:
      'Role every account member gets unless given another; null gives members no access.',
  })
  defaultRole?: WorkspaceRole | null;
}

@InputType({ description: 'Workspace fields to change; omitted fields stay as they are.' })
export class UpdateWorkspaceInput {
  @Field(() => ID, { description: 'The workspace.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New handle, unique within the account.' })
  handle?: string | null;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description; null or "" removes it.' })
  description?: string | null;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'New default role; an explicit null gives members without a role no access.',
  })
  defaultRole?: WorkspaceRole | null;
}
