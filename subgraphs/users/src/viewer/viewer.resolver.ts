import { Arg, Ctx, Directive, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { unauthenticated } from '../../../../lib/errors.js';
import { ApiKey } from '../api-keys/api-key.entity.js';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import type { UsersContext } from '../context.js';
import { Session } from '../sessions/session.entity.js';
import { UserService } from '../users/user.service.js';
import { AuthenticationService } from './authentication.service.js';
import { ResolvedPrincipal, Viewer } from './viewer.types.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The caller: a user or a service account.' })
  async me(@Ctx() ctx: UsersContext): Promise<Viewer> {
    const p = ctx.principal;
    if (p.type === 'user') {
      return { id: p.id, kind: ActorType.USER, user: await new UserService(ctx).me() };
    }
    if (p.type === 'service_account') {
      const sa = await ctx.loaders.serviceAccountById.load(p.id);
      if (!sa) throw unauthenticated('The service account no longer exists');
      return { id: p.id, kind: ActorType.SERVICE_ACCOUNT, serviceAccount: sa };
    }
    throw unauthenticated();
  }

  @FieldResolver(() => [ApiKey], {
    description: "The caller's personal API keys (users only), masked.",
  })
  apiKeys(@Root() viewer: Viewer, @Ctx() ctx: UsersContext): Promise<ApiKey[]> | ApiKey[] {
    if (viewer.kind !== ActorType.USER || viewer.id !== ctx.principal.id) return [];
    return new ApiKeyService(ctx).listMine();
  }

  @FieldResolver(() => [Session], { description: "The caller's active sessions (users only)." })
  sessions(@Root() viewer: Viewer, @Ctx() ctx: UsersContext): Promise<Session[]> | Session[] {
    if (viewer.kind !== ActorType.USER || viewer.id !== ctx.principal.id) return [];
    return new UserService(ctx).sessions();
  }

  @Directive('@inaccessible')
  @Query(() => ResolvedPrincipal, {
    nullable: true,
    description: 'Internal (gateway only): the principal behind the SHA-256 of a credential.',
  })
  _principalByCredential(
    @Arg('credentialHash', () => String) credentialHash: string,
    @Ctx() ctx: UsersContext,
  ): Promise<ResolvedPrincipal | null> {
    return new AuthenticationService(ctx).resolve(credentialHash);
  }
}
