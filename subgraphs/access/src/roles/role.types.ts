import { Field, ID, ObjectType } from 'type-graphql';
import { PermissionLevel } from '../permissions/permission.types.js';

/** A built-in role, or a custom role of an account (`CustomRole`), as clients see it. */
@ObjectType({
  description:
    'A named set of permissions given to members, service accounts and teams: built in, or defined by the account.',
})
export class Role {
  @Field(() => ID, {
    nullable: true,
    description:
      'Id of a custom role (what setWorkspaceRole takes as roleId); null for built-in roles.',
  })
  id!: string | null;

  @Field(() => String, {
    description:
      'Role name: OWNER, DEVELOPER, … for built-in roles, unique in the account for custom ones.',
  })
  name!: string;

  @Field(() => String, { description: 'What the role is for.' })
  description!: string;

  @Field(() => PermissionLevel, { description: 'Account role or workspace role.' })
  level!: PermissionLevel;

  @Field(() => Boolean, { description: 'Built into Flowplane (cannot be changed or deleted).' })
  builtIn!: boolean;

  @Field(() => [String], {
    description:
      'Every permission the role grants (inherited and included ones expanded), sorted by name.',
  })
  permissions!: string[];

  @Field(() => [String], {
    description:
      'The permissions chosen for this role, without inherited ones; for built-in roles, all of them.',
  })
  ownPermissions!: string[];

  @Field(() => String, {
    nullable: true,
    description:
      'The built-in role of the same level this role inherits from: its permissions are included and follow it.',
  })
  inheritsFrom!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the custom role was created.' })
  createdAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the custom role last changed.' })
  updatedAt!: Date | null;
}
