import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { customRolePermissions } from '../../../../lib/permissions.js';
import type { AccessContext } from '../context.js';
import { PrincipalType } from '../common/principals.js';
import { Role } from '../roles/role.types.js';
import { toRole } from '../roles/role.service.js';
import { Team } from '../teams/team.entity.js';
import { Account } from '../tenancy/account.type.js';
import {
  RemoveAccountCustomRoleInput,
  SetAccountCustomRoleInput,
} from './account-access.inputs.js';
import { AccountAccessService } from './account-access.service.js';
import { AccountRoleBinding } from './account-role-binding.entity.js';

@Resolver(() => AccountRoleBinding)
export class AccountAccessResolver {
  @FieldResolver(() => Account, { description: 'The account.' })
  account(@Root() binding: AccountRoleBinding): Account {
    return { id: binding.accountId };
  }

  @FieldResolver(() => Role, { description: 'The custom account role given.' })
  async role(@Root() binding: AccountRoleBinding, @Ctx() ctx: AccessContext): Promise<Role> {
    return toRole(await new AccountAccessService(ctx).role(binding));
  }

  @FieldResolver(() => [String], {
    description: 'The permissions it adds to the built-in account role, sorted.',
  })
  async permissions(
    @Root() binding: AccountRoleBinding,
    @Ctx() ctx: AccessContext,
  ): Promise<string[]> {
    return customRolePermissions(await new AccountAccessService(ctx).role(binding));
  }

  @FieldResolver(() => UserRef, {
    nullable: true,
    description: 'The user, when given to a person.',
  })
  user(@Root() binding: AccountRoleBinding): UserRef | null {
    return binding.principalType === PrincipalType.USER ? { id: binding.principalId } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account, when given to one.',
  })
  serviceAccount(@Root() binding: AccountRoleBinding): ServiceAccountRef | null {
    return binding.principalType === PrincipalType.SERVICE_ACCOUNT
      ? { id: binding.principalId }
      : null;
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team, when given to one.' })
  team(@Root() binding: AccountRoleBinding, @Ctx() ctx: AccessContext): Promise<Team | null> {
    return new AccountAccessService(ctx).team(binding);
  }

  @Mutation(() => AccountRoleBinding, {
    description:
      'Give a member, service account or team a custom account role on top of its built-in one (needs manage:member and every permission of the role).',
  })
  setAccountCustomRole(
    @Arg('input', () => SetAccountCustomRoleInput) input: SetAccountCustomRoleInput,
    @Ctx() ctx: AccessContext,
  ): Promise<AccountRoleBinding> {
    return new AccountAccessService(ctx).set(input);
  }

  @Mutation(() => ID, {
    description:
      'Take away a custom account role (needs manage:member); returns the removed binding id.',
  })
  removeAccountCustomRole(
    @Arg('input', () => RemoveAccountCustomRoleInput) input: RemoveAccountCustomRoleInput,
    @Ctx() ctx: AccessContext,
  ): Promise<string> {
    return new AccountAccessService(ctx).remove(input);
  }
}

@Resolver(() => Account)
export class AccountAccessListResolver {
  @FieldResolver(() => [AccountRoleBinding], {
    description: 'Custom account roles given in this account (needs read:member).',
  })
  access(@Root() account: Account, @Ctx() ctx: AccessContext): Promise<AccountRoleBinding[]> {
    return new AccountAccessService(ctx).list(account.id);
  }
}
