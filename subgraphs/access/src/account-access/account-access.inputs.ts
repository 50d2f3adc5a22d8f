import { Field, ID, InputType } from 'type-graphql';

@InputType({
  description:
    'Give a user, a service account or a team a custom account role (replaces the custom role it has in the account).',
})
export class SetAccountCustomRoleInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

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

  @Field(() => ID, { description: 'A custom role of level ACCOUNT of this account.' })
  roleId!: string;
}

@InputType({
  description: 'Take away the custom account role of a user, a service account or a team.',
})
export class RemoveAccountCustomRoleInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

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
