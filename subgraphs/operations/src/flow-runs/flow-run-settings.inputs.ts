import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'How long a workspace keeps its finished flow runs.' })
export class SetFlowRunRetentionInput {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => Int, { description: 'Days, 1 to 365 (the default is 30).' })
  days!: number;
}
