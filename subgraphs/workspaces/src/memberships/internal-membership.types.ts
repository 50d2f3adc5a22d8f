import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { AccountRole, WorkspaceRole } from '../../../../lib/graphql-enums.js';

@ObjectType({ description: 'Internal: a workspace and its default role, for computing grants.' })
@Directive('@inaccessible')
export class InternalWorkspace {
  @Field(() => ID, { description: 'Workspace id.' })
  id!: string;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'Default workspace role; null gives members no access.',
  })
  defaultRole!: WorkspaceRole | null;
}

/** Internal (gateway only): the `MembershipFact` of lib/grants.ts. */
@ObjectType({ description: 'Internal: an active membership and the workspaces of its account.' })
@Directive('@inaccessible')
export class InternalMembership {
  @Field(() => ID, { description: 'Account id.' })
  accountId!: string;

  @Field(() => AccountRole, { description: 'Account role.' })
  role!: AccountRole;

  @Field(() => [String], {
    description: 'The IP allow-list of the account (empty: every address).',
  })
  ipAllowList!: string[];

  @Field(() => [InternalWorkspace], { description: 'Every workspace of the account.' })
  workspaces!: InternalWorkspace[];
}
