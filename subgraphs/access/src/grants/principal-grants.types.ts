import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { WorkspaceRole } from '../../../../lib/graphql-enums.js';

/** Internal: one workspace binding as the gateway merges it into grants (`BindingFact`). */
@ObjectType({ description: 'Internal: a workspace role binding of a principal or of its team.' })
@Directive('@inaccessible')
export class InternalBinding {
  @Field(() => ID, { description: 'The workspace.' })
  workspaceId!: string;

  @Field(() => ID, { description: 'The account the workspace belongs to.' })
  accountId!: string;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'The built-in role bound, or the one a bound custom role inherits from.',
  })
  role!: WorkspaceRole | null;

  @Field(() => [String], {
    description:
      'Permissions of a bound custom role (inherited ones included); empty for built-in roles.',
  })
  permissions!: string[];

  @Field(() => ID, { nullable: true, description: 'The team it was given to, if any.' })
  teamId!: string | null;
}

/** Internal: what custom account roles add in one account (`AccountPermissionFact`). */
@ObjectType({ description: 'Internal: permissions custom account roles add in an account.' })
@Directive('@inaccessible')
export class InternalAccountPermissions {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => [String], { description: 'Permissions added to the built-in account role.' })
  permissions!: string[];
}

/** Internal: a team the principal is in (`TeamFact`). */
@ObjectType({ description: 'Internal: a team a principal is a member of.' })
@Directive('@inaccessible')
export class InternalTeam {
  @Field(() => ID, { description: 'The team.' })
  teamId!: string;

  @Field(() => ID, { description: 'The account of the team.' })
  accountId!: string;
}

/** Internal (gateway only): `PrincipalGrantsFact` of lib/grants.ts. */
@ObjectType({ description: "Internal: a principal's bindings, for computing its grants." })
@Directive('@inaccessible')
export class InternalGrants {
  @Field(() => [InternalBinding], { description: 'Workspace bindings, direct and through teams.' })
  workspaceBindings!: InternalBinding[];

  @Field(() => [InternalAccountPermissions], {
    description: 'Permissions of custom account roles, per account.',
  })
  accountPermissions!: InternalAccountPermissions[];

  @Field(() => [InternalTeam], {
    description: 'Teams the principal is in (object access lists name teams).',
  })
  teams!: InternalTeam[];
}
