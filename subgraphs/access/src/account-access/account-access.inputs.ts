import { Field, ID, InputType } from 'type-graphql';
import { PrincipalSelector } from '../common/principal-selector.input.js';

@InputType({
  description:
    'Give a user, a service account or a team a custom account role (replaces the custom role it has in the account).',
})
export class SetAccountCustomRoleInput extends PrincipalSelector {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { description: 'A custom role of level ACCOUNT of this account.' })
  roleId!: string;
}

@InputType({
  description: 'Take away the custom account role of a user, a service account or a team.',
})
export class RemoveAccountCustomRoleInput extends PrincipalSelector {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;
}
