import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { AccountRole, WorkspaceRole } from '../../../../lib/graphql-enums.js';
import { Role } from '../roles/role.types.js';
import { Team } from '../teams/team.entity.js';

export enum AccessSourceKind {
  ACCOUNT_ROLE = 'ACCOUNT_ROLE',
  ACCOUNT_ROLE_WORKSPACE_OWNER = 'ACCOUNT_ROLE_WORKSPACE_OWNER',
  ACCOUNT_CUSTOM_ROLE = 'ACCOUNT_CUSTOM_ROLE',
  WORKSPACE_BINDING = 'WORKSPACE_BINDING',
  TEAM_WORKSPACE_BINDING = 'TEAM_WORKSPACE_BINDING',
  WORKSPACE_DEFAULT_ROLE = 'WORKSPACE_DEFAULT_ROLE',
}
registerEnumType(AccessSourceKind, {
  name: 'AccessSourceKind',
  description: 'Where a permission comes from.',
  valuesConfig: {
    ACCOUNT_ROLE: { description: 'The built-in account role (accountRole).' },
    ACCOUNT_ROLE_WORKSPACE_OWNER: {
      description: 'An account Owner or Admin role, which owns every workspace of the account.',
    },
    ACCOUNT_CUSTOM_ROLE: {
      description: 'A custom account role (role), given directly or to a team (team).',
    },
    WORKSPACE_BINDING: {
      description: 'A workspace role given directly: built in (workspaceRole) or custom (role).',
    },
    TEAM_WORKSPACE_BINDING: {
      description: 'A workspace role given to a team the caller is in (team).',
    },
    WORKSPACE_DEFAULT_ROLE: {
      description: "The workspace's default role, which members without a role of their own get.",
    },
  },
});

/** One reason the caller holds a permission. */
@ObjectType({ description: 'One reason the caller holds a permission.' })
export class AccessSource {
  @Field(() => AccessSourceKind, { description: 'What kind of source it is.' })
  kind!: AccessSourceKind;

  @Field(() => String, { description: 'The source in words, e.g. "Team Platform has DEVELOPER".' })
  description!: string;

  @Field(() => AccountRole, { nullable: true, description: 'The built-in account role involved.' })
  accountRole?: AccountRole | null;

  @Field(() => WorkspaceRole, {
    nullable: true,
    description: 'The built-in workspace role involved.',
  })
  workspaceRole?: WorkspaceRole | null;

  @Field(() => Role, { nullable: true, description: 'The custom role involved.' })
  role?: Role | null;

  @Field(() => Team, { nullable: true, description: 'The team it was given to.' })
  team?: Team | null;
}

@ObjectType({ description: 'Whether the caller holds a permission, and why.' })
export class AccessExplanation {
  @Field(() => String, { description: 'The permission asked about.' })
  permission!: string;

  @Field(() => ID, { nullable: true, description: 'The workspace asked about.' })
  workspaceId!: string | null;

  @Field(() => ID, { description: "The account asked about (the workspace's account)." })
  accountId!: string;

  @Field(() => Boolean, { description: 'Whether the caller holds it.' })
  granted!: boolean;

  @Field(() => [AccessSource], {
    description: 'Every source that grants it; empty when the caller does not hold it.',
  })
  sources!: AccessSource[];
}
