import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { UsersContext } from '../context.js';
import { UserService } from '../users/user.service.js';
import { Session } from './session.entity.js';

@Resolver(() => Session)
export class SessionResolver {
  @Mutation(() => Session, { description: 'Sign out one of your sessions.' })
  revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: UsersContext): Promise<Session> {
    return new UserService(ctx).revokeSession(id);
  }
}
