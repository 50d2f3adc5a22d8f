import { Arg, Ctx, Directive, Field, ID, InputType, Mutation, Query, Resolver } from 'type-graphql';
import { requireSystem } from '../../../../lib/actor.js';
import { isUuid } from '../../../../lib/db.js';
import { AccountRole, ActorType } from '../../../../lib/graphql-enums.js';
import { Account } from '../accounts/account.entity.js';
import type { WorkspacesContext } from '../context.js';
import { AccountMembership } from '../memberships/membership.entity.js';
import { addMember, lockAccount } from '../memberships/membership.service.js';

@InputType({ description: 'Internal: the membership an SSO login or SCIM provisioning needs.' })
@Directive('@inaccessible')
export class ProvisionMemberInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { description: 'The user.' })
  userId!: string;

  @Field(() => AccountRole, { description: 'Role of a membership created now.' })
  role!: AccountRole;

  @Field(() => Boolean, { description: 'Create the membership when there is none.' })
  create!: boolean;
}

/**
 * Internal operations of the gateway's /auth/sso and /scim/v2 routes: the account a handle
 * names, and the membership of a user that SSO or SCIM provisions. A deactivated membership
 * stays deactivated (a login never undoes a deprovisioning).
 */
@Resolver()
export class SsoMembershipResolver {
  @Directive('@inaccessible')
  @Query(() => ID, {
    nullable: true,
    description: 'Internal (gateway only): the id of the live account with this handle.',
  })
  async _accountIdByHandle(
    @Arg('handle', () => String) handle: string,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<string | null> {
    requireSystem(ctx.principal);
    const a = await ctx.em.findOne(Account, { handle, deletedAt: null }, { fields: ['id'] });
    return a?.id ?? null;
  }

  @Directive('@inaccessible')
  @Mutation(() => String, {
    description:
      "Internal (gateway only): ACTIVE, CREATED, DEACTIVATED or NONE: the user's membership after provisioning.",
  })
  async _provisionMember(
    @Arg('input', () => ProvisionMemberInput) input: ProvisionMemberInput,
    @Ctx() ctx: WorkspacesContext,
  ): Promise<string> {
    requireSystem(ctx.principal);
    if (!isUuid(input.accountId) || !isUuid(input.userId)) return 'NONE';
    if (input.role === AccountRole.OWNER) return 'NONE';
    return ctx.transaction(async (em) => {
      await lockAccount(em, input.accountId);
      const m = await em.findOne(AccountMembership, {
        accountId: input.accountId,
        principalId: input.userId,
      });
      if (m) return m.active ? 'ACTIVE' : 'DEACTIVATED';
      if (!input.create) return 'NONE';
      await addMember(em, {
        accountId: input.accountId,
        principalId: input.userId,
        principalType: ActorType.USER,
        role: input.role,
      });
      return 'CREATED';
    });
  }
}
