import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Account } from '../accounts/account.entity.js';
import type { WorkspacesContext } from '../context.js';
import { MembershipService } from '../memberships/membership.service.js';
import { Invitation } from '../invitations/invitation.entity.js';
import { InvitationService } from '../invitations/invitation.service.js';
import { Viewer } from './viewer.types.js';

@Resolver(() => Viewer)
export class ViewerAccountsResolver {
  @FieldResolver(() => [Account], { description: 'Accounts the caller is an active member of.' })
  accounts(@Root() viewer: Viewer, @Ctx() ctx: WorkspacesContext): Promise<Account[]> {
    return new MembershipService(ctx).viewerAccounts(viewer.id);
  }

  @FieldResolver(() => [Invitation], {
    description:
      'Pending invitations sent to your email address (users only; newest first, at most 100). Accept one with the code it was sent with.',
  })
  invitations(@Root() viewer: Viewer, @Ctx() ctx: WorkspacesContext): Promise<Invitation[]> {
    return new InvitationService(ctx).forViewer(viewer.id);
  }
}
