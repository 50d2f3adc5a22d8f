import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { UsersContext } from '../context.js';
import { ApiKey } from './api-key.entity.js';
import { CreateApiKeyInput, CreatedApiKey, RotateKeyInput } from './api-key.inputs.js';
import { ApiKeyService } from './api-key.service.js';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Mutation(() => CreatedApiKey, {
    description: 'Create a personal API key; its plaintext is returned this once.',
  })
  createApiKey(
    @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput,
    @Ctx() ctx: UsersContext,
  ): Promise<CreatedApiKey> {
    return new ApiKeyService(ctx).create(input);
  }

  @Mutation(() => ApiKey, { description: 'Revoke a key: it stops working on the next request.' })
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: UsersContext): Promise<ApiKey> {
    return new ApiKeyService(ctx).revoke(id);
  }

  @Mutation(() => CreatedApiKey, {
    description:
      'Issue a new key for a service account; its other keys stay valid for the grace period.',
  })
  rotateServiceAccountKey(
    @Arg('input', () => RotateKeyInput) input: RotateKeyInput,
    @Ctx() ctx: UsersContext,
  ): Promise<CreatedApiKey> {
    return new ApiKeyService(ctx).rotate(input);
  }
}
