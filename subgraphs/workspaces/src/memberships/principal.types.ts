import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { AccountRole, WorkspaceRole } from '../../../../lib/graphql-enums.js';

/** A reference to a user; the users subgraph resolves every other field. */
@ObjectType({ description: 'A person who signs in to Flowplane.' })
@Directive('@key(fields: "id", resolvable: false)')
export class User {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

/** A reference to a service account; the users subgraph resolves every other field. */
@ObjectType({ description: 'A non-person actor that belongs to one account and holds API keys.' })
@Directive('@key(fields: "id", resolvable: false)')
export class ServiceAccount {
  @Field(() => ID, { description: 'Service account id.' })
  id!: string;
}

/** Internal (gateway only): one workspace of an account, for computing grants. */
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

  @Field(() => [InternalWorkspace], { description: 'Every workspace of the account.' })
  workspaces!: InternalWorkspace[];
}
