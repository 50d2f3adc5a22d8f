import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { Flow } from './flow.entity.js';

@InputType({ description: 'A new flow in a workspace.' })
export class CreateFlowInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => String, { description: 'Name, unique within the workspace (1 to 200 characters).' })
  name!: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Tags: at most 50, each 1 to 100 characters.',
  })
  tags?: string[] | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'Labels: a JSON object of at most 50 keys (1 to 100 characters) with string, number or boolean values.',
  })
  labels?: unknown;
}

@InputType({ description: 'Changes to a flow; omitted fields stay as they are.' })
export class UpdateFlowInput {
  @Field(() => ID, { description: 'The flow.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, unique within the workspace.' })
  name?: string | null;

  @Field(() => [String], { nullable: true, description: 'New tags; replace the current ones.' })
  tags?: string[] | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'New labels; replace the current ones.',
  })
  labels?: unknown;
}

@InputType({ description: 'Which flows of a workspace to list; conditions combine with AND.' })
export class FlowFilter {
  @Field(() => String, {
    nullable: true,
    description: 'Name contains this text (case-insensitive).',
  })
  nameContains?: string | null;

  @Field(() => [String], { nullable: true, description: 'Flows that carry all of these tags.' })
  tags?: string[] | null;
}

export const FlowConnection = connectionType(Flow, 'Flow');
export type FlowConnection = InstanceType<typeof FlowConnection>;
