import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { Variable } from './variable.entity.js';

@InputType({ description: 'Sets a variable by name: creates it, or replaces its value and tags.' })
export class SetVariableInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => String, { description: 'Name: 1 to 255 of a-z, 0-9 and _.' })
  name!: string;

  @Field(() => GraphQLJSON, { description: 'The value: any JSON, at most 16 KiB serialized.' })
  value!: unknown;

  @Field(() => [String], {
    nullable: true,
    description: 'Tags (at most 50, each 1 to 100 characters); omitted keeps the current tags.',
  })
  tags?: string[] | null;
}

@InputType({ description: 'Which variables to list; conditions combine with AND.' })
export class VariableFilter {
  @Field(() => String, { nullable: true, description: 'Name starts with this prefix.' })
  namePrefix?: string | null;

  @Field(() => String, { nullable: true, description: 'Variables carrying this tag.' })
  tag?: string | null;
}

export const VariableConnection = connectionType(Variable, 'Variable');
export type VariableConnection = InstanceType<typeof VariableConnection>;
