import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A new team in an account.' })
export class CreateTeamInput {
  @Field(() => ID, { description: 'The account it belongs to.' })
  accountId!: string;

  @Field(() => String, { description: 'Name, 1 to 100 characters, unique in the account.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What it is for, at most 500 characters.' })
  description?: string | null;
}

@InputType({ description: 'Changes to a team; omitted fields stay as they are.' })
export class UpdateTeamInput {
  @Field(() => ID, { description: 'The team.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the account.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description; "" removes it.' })
  description?: string | null;
}

@InputType({ description: 'The complete list of members of a team (replaces the current one).' })
export class SetTeamMembersInput {
  @Field(() => ID, { description: 'The team.' })
  teamId!: string;

  @Field(() => [ID], { defaultValue: [], description: 'Users in the team.' })
  userIds!: string[];

  @Field(() => [ID], { defaultValue: [], description: 'Service accounts in the team.' })
  serviceAccountIds!: string[];
}
