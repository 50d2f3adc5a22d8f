import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Account } from '../accounts/account.entity.js';
import type { WorkspacesContext } from '../context.js';
import { MembershipService } from '../memberships/membership.service.js';
import { Viewer } from './viewer.types.js';

@Resolver(() => Viewer)
export class ViewerAccountsResolver {
  @FieldResolver(() => [Account], { description: 'Accounts the caller is an active member of.' })
  accounts(@Root() viewer: Viewer, @Ctx() ctx: WorkspacesContext): Promise<Account[]> {
    return new MembershipService(ctx).viewerAccounts(viewer.id);
  }
}
