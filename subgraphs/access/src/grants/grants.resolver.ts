import { Arg, Ctx, Directive, ID, Query, Resolver } from 'type-graphql';
import type { AccessContext } from '../context.js';
import { AccessExplanation } from './access-explanation.types.js';
import { GrantsService } from './grants.service.js';
import { InternalGrants } from './principal-grants.types.js';

@Resolver()
export class GrantsResolver {
  @Query(() => AccessExplanation, {
    description:
      'Why the caller holds a permission in a workspace or an account, or that nothing grants it (give workspaceId or accountId).',
  })
  accessExplanation(
    @Arg('permission', () => String, { description: 'A permission name of the catalogue.' })
    permission: string,
    @Arg('workspaceId', () => ID, {
      nullable: true,
      description: 'For a workspace permission: the workspace.',
    })
    workspaceId: string | null,
    @Arg('accountId', () => ID, {
      nullable: true,
      description: 'For an account permission: the account.',
    })
    accountId: string | null,
    @Ctx() ctx: AccessContext,
  ): Promise<AccessExplanation> {
    return new GrantsService(ctx).explain(permission, workspaceId, accountId);
  }

  @Directive('@inaccessible')
  @Query(() => InternalGrants, {
    description:
      "Internal (gateway only): a principal's workspace bindings (direct and through teams) and custom account roles.",
  })
  _principalGrants(
    @Arg('principalId', () => ID) principalId: string,
    @Ctx() ctx: AccessContext,
  ): Promise<InternalGrants> {
    return new GrantsService(ctx).forGateway(principalId);
  }
}
