import { Field, ID, InputType } from 'type-graphql';
import { PermissionLevel } from '../permissions/permission.types.js';

@InputType({ description: 'A new custom role of an account.' })
export class CreateRoleInput {
  @Field(() => ID, { description: 'The account it belongs to.' })
  accountId!: string;

  @Field(() => String, {
    description: 'Name, 1 to 100 characters, unique in the account and not a built-in role name.',
  })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What it is for, at most 500 characters.' })
  description?: string | null;

  @Field(() => PermissionLevel, {
    description:
      'ACCOUNT (given with setAccountCustomRole) or WORKSPACE (given with setWorkspaceRole).',
  })
  level!: PermissionLevel;

  @Field(() => [String], {
    defaultValue: [],
    description: "Permission names of the catalogue, all of the role's level.",
  })
  permissions!: string[];

  @Field(() => String, {
    nullable: true,
    description:
      'A built-in role of the same level (e.g. VIEWER) whose permissions the role includes, now and as it changes.',
  })
  inheritsFrom?: string | null;
}

@InputType({ description: 'Changes to a custom role; omitted fields stay as they are.' })
export class UpdateRoleInput {
  @Field(() => ID, { description: 'The custom role.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the account.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description; "" removes it.' })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: "The role's own permissions (replaces them; inherited ones stay).",
  })
  permissions?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'New built-in role to inherit from; an explicit null stops inheriting.',
  })
  inheritsFrom?: string | null;
}
