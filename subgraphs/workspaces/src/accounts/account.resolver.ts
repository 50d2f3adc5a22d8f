import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';
import { ConnectionArgs, connectionType, type Connection } from '../../../../lib/pagination.js';
import type { WorkspacesContext } from '../context.js';
import { Invitation, InvitationStatus } from '../invitations/invitation.entity.js';
import { InvitationService } from '../invitations/invitation.service.js';
import { AccountMembership } from '../memberships/membership.entity.js';
import { MembershipService } from '../memberships/membership.service.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { WorkspaceService } from '../workspaces/workspace.service.js';
import { Account } from './account.entity.js';
import { CreateAccountInput, UpdateAccountSettingsInput } from './account.inputs.js';
import { AccountService } from './account.service.js';

export const AccountMembershipConnection = connectionType(AccountMembership, 'AccountMembership');
export const InvitationConnection = connectionType(Invitation, 'Invitation');

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, {
    nullable: true,
    description: 'An account by id or handle; NOT_FOUND unless the caller is a member.',
  })
  account(
    @Arg('id', () => ID, { nullable: true, description: 'Account id.' }) id: string | null,
    @Arg('handle', () => String, { nullable: true, description: 'Account handle.' })
    handle: string | null,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Account> {
    return new AccountService(ctx).find(id, handle);
  }

  @FieldResolver(() => [Workspace], {
    description: 'Workspaces of the account that the caller can see.',
  })
  workspaces(@Root() account: Account, @Ctx() ctx: WorkspacesContext): Promise<Workspace[]> {
    return new WorkspaceService(ctx).listVisible(account.id);
  }

  @FieldResolver(() => AccountMembershipConnection, {
    description: 'Members of the account (needs read:member).',
  })
  members(
    @Root() account: Account,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Connection<AccountMembership>> {
    return new MembershipService(ctx).list(account.id, args);
  }

  @FieldResolver(() => InvitationConnection, {
    description: 'Invitations of the account (needs read:member).',
  })
  invitations(
    @Root() account: Account,
    @Arg('status', () => InvitationStatus, {
      nullable: true,
      description: 'Only invitations in this status.',
    })
    status: InvitationStatus | null,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Connection<Invitation>> {
    return new InvitationService(ctx).list(account.id, status, args);
  }

  @FieldResolver(() => AccountRole, {
    nullable: true,
    description: "The caller's account role; null when the caller is not an active member.",
  })
  myRole(@Root() account: Account, @Ctx() ctx: WorkspacesContext): Promise<AccountRole | null> {
    return new AccountService(ctx).myRole(account);
  }

  @Mutation(() => Account, {
    description: 'Create an account; the signed-in user becomes its owner.',
  })
  createAccount(
    @Arg('input', () => CreateAccountInput) input: CreateAccountInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Account> {
    return new AccountService(ctx).create(input);
  }

  @Mutation(() => Account, {
    description: "Change an account's handle, name or settings (needs update:account).",
  })
  updateAccountSettings(
    @Arg('input', () => UpdateAccountSettingsInput) input: UpdateAccountSettingsInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Account> {
    return new AccountService(ctx).updateSettings(input);
  }
}
