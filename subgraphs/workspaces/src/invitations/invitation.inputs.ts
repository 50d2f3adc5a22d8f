import { Field, ID, InputType, Int } from 'type-graphql';
import { AccountRole, WorkspaceRole } from '../../../../lib/graphql-enums.js';

@InputType({ description: 'Invite an email address to an account, optionally to one workspace.' })
export class InviteMemberInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => String, { description: 'Email address of the invitee.' })
  email!: string;

  @Field(() => AccountRole, {
    defaultValue: AccountRole.MEMBER,
    description: 'Account role on accepting.',
  })
  accountRole: AccountRole = AccountRole.MEMBER;

  @Field(() => ID, {
    nullable: true,
    description: 'A workspace of the account to join as well (with workspaceRole).',
  })
  workspaceId?: string | null;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'Role in workspaceId (with workspaceId).',
  })
  workspaceRole?: WorkspaceRole | null;

  @Field(() => Int, { defaultValue: 7, description: 'Days until the invitation expires, 1 to 30.' })
  expiresInDays: number = 7;
}

@InputType({ description: 'The one-time code of an invitation.' })
export class InvitationCodeInput {
  @Field(() => String, { description: 'The code returned by inviteMember (fpinv_…).' })
  code!: string;
}
