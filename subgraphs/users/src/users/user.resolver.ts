import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { UsersContext } from '../context.js';
import { User } from './user.entity.js';
import { AuthPayload, SignInInput, SignUpInput, UpdateProfileInput } from './user.inputs.js';
import { UserService } from './user.service.js';

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, {
    nullable: true,
    description:
      'A user by id (profile fields): the caller themself, or a user who shares an account with the caller; NOT_FOUND otherwise.',
  })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: UsersContext): Promise<User> {
    return new UserService(ctx).get(id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Email address; visible to the user themself only.',
  })
  email(@Root() user: User, @Ctx() ctx: UsersContext): string | null {
    return ctx.principal.type === 'user' && ctx.principal.id === user.id ? user.email : null;
  }

  @Mutation(() => AuthPayload, {
    description: 'Create a user (and, through a domain event, the account they own) and sign in.',
  })
  signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() ctx: UsersContext,
  ): Promise<AuthPayload> {
    return new UserService(ctx).signUp(input, ctx.client.userAgent ?? undefined);
  }

  @Mutation(() => AuthPayload, {
    description: 'Sign in with email and password; returns a session token.',
  })
  signIn(
    @Arg('input', () => SignInInput) input: SignInInput,
    @Ctx() ctx: UsersContext,
  ): Promise<AuthPayload> {
    return new UserService(ctx).signIn(input, ctx.client.userAgent ?? undefined);
  }

  @Mutation(() => Boolean, { description: 'End the session that made this request.' })
  signOut(@Ctx() ctx: UsersContext): Promise<boolean> {
    return new UserService(ctx).signOut();
  }

  @Mutation(() => User, { description: "Change the caller's profile and preferences." })
  updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: UsersContext,
  ): Promise<User> {
    return new UserService(ctx).updateProfile(input);
  }
}
