import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Account } from '../accounts/account.entity.js';
import { AccountService } from '../accounts/account.service.js';
import type { WorkspacesContext } from '../context.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { Invitation } from './invitation.entity.js';
import { InvitationCodeInput, InviteMemberInput } from './invitation.inputs.js';
import { InvitationService } from './invitation.service.js';

@Resolver(() => Invitation)
export class InvitationResolver {
  @FieldResolver(() => Account, { description: 'The account the invitation is to.' })
  account(@Root() inv: Invitation, @Ctx() ctx: WorkspacesContext): Promise<Account> {
    return new AccountService(ctx).byId(inv.accountId);
  }

  @FieldResolver(() => Workspace, {
    nullable: true,
    description: 'The workspace the invitation is to, if any (null when the caller cannot see it).',
  })
  workspace(@Root() inv: Invitation, @Ctx() ctx: WorkspacesContext): Promise<Workspace | null> {
    return new InvitationService(ctx).workspace(inv);
  }

  @Mutation(() => Invitation, {
    description:
      'Invite an email to the account (needs manage:member). Only this answer carries the code.',
  })
  inviteMember(
    @Arg('input', () => InviteMemberInput) input: InviteMemberInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Invitation> {
    return new InvitationService(ctx).invite(input);
  }

  @Mutation(() => Account, {
    description: 'Accept an invitation sent to your email; returns the account joined.',
  })
  acceptInvitation(
    @Arg('input', () => InvitationCodeInput) input: InvitationCodeInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Account> {
    return new InvitationService(ctx).accept(input);
  }

  @Mutation(() => Invitation, { description: 'Decline an invitation sent to your email.' })
  rejectInvitation(
    @Arg('input', () => InvitationCodeInput) input: InvitationCodeInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Invitation> {
    return new InvitationService(ctx).reject(input);
  }

  @Mutation(() => Invitation, {
    description: 'Withdraw a pending invitation (needs manage:member).',
  })
  revokeInvitation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<Invitation> {
    return new InvitationService(ctx).revoke(id);
  }
}
