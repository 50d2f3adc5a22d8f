import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { ApiKey } from '../api-keys/api-key.entity.js';
import type { UsersContext } from '../context.js';
import { Account } from './account.type.js';
import { ServiceAccount } from './service-account.entity.js';
import { CreatedServiceAccount, CreateServiceAccountInput } from './service-account.inputs.js';
import { ServiceAccountService } from './service-account.service.js';

@Resolver(() => ServiceAccount)
export class ServiceAccountResolver {
  @FieldResolver(() => [ApiKey], { description: 'Its keys, masked (needs read:service_account).' })
  apiKeys(@Root() sa: ServiceAccount, @Ctx() ctx: UsersContext): Promise<ApiKey[]> {
    return new ServiceAccountService(ctx).keys(sa);
  }

  @Mutation(() => CreatedServiceAccount, {
    description: 'Create a service account with its first API key.',
  })
  createServiceAccount(
    @Arg('input', () => CreateServiceAccountInput) input: CreateServiceAccountInput,
    @Ctx() ctx: UsersContext,
  ): Promise<CreatedServiceAccount> {
    return new ServiceAccountService(ctx).create(input);
  }

  @Mutation(() => ID, { description: 'Delete a service account and revoke all its keys.' })
  deleteServiceAccount(@Arg('id', () => ID) id: string, @Ctx() ctx: UsersContext): Promise<string> {
    return new ServiceAccountService(ctx).delete(id);
  }
}

@Resolver(() => Account)
export class AccountServiceAccountsResolver {
  @FieldResolver(() => [ServiceAccount], {
    description: 'Service accounts of the account (needs read:service_account).',
  })
  serviceAccounts(@Root() account: Account, @Ctx() ctx: UsersContext): Promise<ServiceAccount[]> {
    return new ServiceAccountService(ctx).listForAccount(account.id);
  }
}
