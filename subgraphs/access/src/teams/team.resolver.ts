import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import type { AccessContext } from '../context.js';
import { PrincipalType } from '../common/principals.js';
import { Account } from '../tenancy/account.type.js';
import { CreateTeamInput, SetTeamMembersInput, UpdateTeamInput } from './team.inputs.js';
import { Team, TeamMember } from './team.entity.js';
import { TeamService } from './team.service.js';

@Resolver(() => Team)
export class TeamResolver {
  @FieldResolver(() => Account, { description: 'The account it belongs to.' })
  account(@Root() team: Team): Account {
    return { id: team.accountId };
  }

  @FieldResolver(() => [TeamMember], {
    description: 'Its users and service accounts, oldest first.',
  })
  members(@Root() team: Team, @Ctx() ctx: AccessContext): Promise<TeamMember[]> {
    return new TeamService(ctx).members(team);
  }

  @Mutation(() => Team, { description: 'Create a team (needs manage:team).' })
  createTeam(
    @Arg('input', () => CreateTeamInput) input: CreateTeamInput,
    @Ctx() ctx: AccessContext,
  ): Promise<Team> {
    return new TeamService(ctx).create(input);
  }

  @Mutation(() => Team, { description: "Change a team's name or description (needs manage:team)." })
  updateTeam(
    @Arg('input', () => UpdateTeamInput) input: UpdateTeamInput,
    @Ctx() ctx: AccessContext,
  ): Promise<Team> {
    return new TeamService(ctx).update(input);
  }

  @Mutation(() => ID, {
    description: 'Delete a team and every role given to it (needs manage:team); returns its id.',
  })
  deleteTeam(@Arg('id', () => ID) id: string, @Ctx() ctx: AccessContext): Promise<string> {
    return new TeamService(ctx).delete(id);
  }

  @Mutation(() => Team, {
    description:
      "Replace a team's members (needs manage:team; adding members needs every permission the team grants).",
  })
  setTeamMembers(
    @Arg('input', () => SetTeamMembersInput) input: SetTeamMembersInput,
    @Ctx() ctx: AccessContext,
  ): Promise<Team> {
    return new TeamService(ctx).setMembers(input);
  }
}

@Resolver(() => TeamMember)
export class TeamMemberResolver {
  @FieldResolver(() => UserRef, { nullable: true, description: 'The member, when it is a user.' })
  user(@Root() m: TeamMember): UserRef | null {
    return m.principalType === PrincipalType.USER ? { id: m.principalId } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The member, when it is a service account.',
  })
  serviceAccount(@Root() m: TeamMember): ServiceAccountRef | null {
    return m.principalType === PrincipalType.SERVICE_ACCOUNT ? { id: m.principalId } : null;
  }
}

@Resolver(() => Account)
export class AccountTeamsResolver {
  @FieldResolver(() => [Team], { description: 'Teams of the account by name (needs read:team).' })
  teams(@Root() account: Account, @Ctx() ctx: AccessContext): Promise<Team[]> {
    return new TeamService(ctx).listForAccount(account.id);
  }
}
