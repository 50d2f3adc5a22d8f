import { Field, ID, InputType } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';

@InputType({
  description:
    'Activate or deactivate a membership (a deactivated member keeps the membership, not the access).',
})
export class SetMembershipActiveInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { description: 'The member: a user or service account id.' })
  principalId!: string;

  @Field(() => Boolean, { description: 'Whether the membership grants access.' })
  active!: boolean;
}

@InputType({ description: 'Remove a member from an account (members may remove themselves).' })
export class RemoveMemberInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { description: 'The member: a user or service account id.' })
  principalId!: string;
}

@InputType({ description: "Change a member's account role." })
export class SetAccountRoleInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { description: 'The member: a user or service account id.' })
  principalId!: string;

  @Field(() => AccountRole, { description: 'The new account role.' })
  role!: AccountRole;
}
