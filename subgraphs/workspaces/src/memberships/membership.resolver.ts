import {
  Arg,
  Ctx,
  Directive,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { Account } from '../accounts/account.entity.js';
import { AccountService } from '../accounts/account.service.js';
import type { WorkspacesContext } from '../context.js';
import { AccountMembership } from './membership.entity.js';
import {
  RemoveMemberInput,
  SetAccountRoleInput,
  SetMembershipActiveInput,
} from './membership.inputs.js';
import { MembershipService } from './membership.service.js';
import {
  ServiceAccountRef as ServiceAccount,
  UserRef as User,
} from '../../../../lib/entity-refs.js';
import { InternalMembership } from './internal-membership.types.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

@Resolver(() => AccountMembership)
export class MembershipResolver {
  @FieldResolver(() => Account, { description: 'The account.' })
  account(@Root() m: AccountMembership, @Ctx() ctx: WorkspacesContext): Promise<Account> {
    return new AccountService(ctx).byId(m.accountId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The member, when it is a user.' })
  user(@Root() m: AccountMembership): User | null {
    return m.principalType === ActorType.USER ? { id: m.principalId } : null;
  }

  @FieldResolver(() => ServiceAccount, {
    nullable: true,
    description: 'The member, when it is a service account.',
  })
  serviceAccount(@Root() m: AccountMembership): ServiceAccount | null {
    return m.principalType === ActorType.SERVICE_ACCOUNT ? { id: m.principalId } : null;
  }

  @Mutation(() => AccountMembership, {
    description: 'Activate or deactivate a member (needs manage:member; owners only for owners).',
  })
  setMembershipActive(
    @Arg('input', () => SetMembershipActiveInput) input: SetMembershipActiveInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<AccountMembership> {
    return new MembershipService(ctx).setActive(input);
  }

  @Mutation(() => AccountMembership, {
    description:
      "Change a member's account role (needs manage:member; owners only to grant or take OWNER).",
  })
  setAccountRole(
    @Arg('input', () => SetAccountRoleInput) input: SetAccountRoleInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<AccountMembership> {
    return new MembershipService(ctx).setRole(input);
  }

  @Mutation(() => ID, {
    description:
      'Remove a member from an account (needs manage:member, or be that member); returns the membership id.',
  })
  removeMember(
    @Arg('input', () => RemoveMemberInput) input: RemoveMemberInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<string> {
    return new MembershipService(ctx).remove(input);
  }

  @Directive('@inaccessible')
  @Query(() => [InternalMembership], {
    description:
      "Internal (gateway only): a principal's active memberships and their accounts' workspaces.",
  })
  _principalMemberships(
    @Arg('principalId', () => ID) principalId: string,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<InternalMembership[]> {
    return new MembershipService(ctx).principalMemberships(principalId) as Promise<
      InternalMembership[]
    >;
  }
}
