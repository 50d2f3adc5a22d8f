import {
  Arg,
  Ctx,
  Directive,
  Field,
  ID,
  InputType,
  Mutation,
  ObjectType,
  Resolver,
} from 'type-graphql';
import type { UsersContext } from '../context.js';
import { AuthPayload } from '../users/user.inputs.js';
import { SsoSignInService } from './sso.service.js';

@InputType({ description: 'Internal: the user an SSO login is for.' })
@Directive('@inaccessible')
export class SsoUserInput {
  @Field(() => String, { description: 'The verified email address.' })
  email!: string;

  @Field(() => String, { nullable: true, description: 'The name the IdP sent.' })
  name?: string | null;

  @Field(() => Boolean, { description: 'Create the user when unknown (JIT provisioning).' })
  create!: boolean;

  @Field(() => ID, { description: 'The account whose IdP signed the user in.' })
  accountId!: string;
}

@ObjectType({ description: 'Internal: the user found or created.' })
@Directive('@inaccessible')
export class SsoUserResult {
  @Field(() => ID, { description: 'User id.' })
  userId!: string;

  @Field(() => Boolean, { description: 'Whether it was created now.' })
  created!: boolean;
}

@InputType({ description: 'Internal: a completed SSO login.' })
@Directive('@inaccessible')
export class SsoIssueCodeInput {
  @Field(() => ID, { description: 'The user.' })
  userId!: string;

  @Field(() => ID, { description: 'The account whose IdP signed the user in.' })
  accountId!: string;

  @Field(() => ID, { description: 'The identity provider.' })
  identityProviderId!: string;
}

@InputType({ description: 'The one-time code an SSO login returned to the browser.' })
export class ExchangeSsoCodeInput {
  @Field(() => String, { description: 'The `code` parameter of the SSO return URL.' })
  code!: string;
}

@Resolver()
export class SsoSignInResolver {
  @Mutation(() => AuthPayload, {
    description:
      'Trade the one-time code of a completed single sign-on (valid once, for a minute) for a session token.',
  })
  exchangeSsoCode(
    @Arg('input', () => ExchangeSsoCodeInput) input: ExchangeSsoCodeInput,
    @Ctx() ctx: UsersContext,
  ): Promise<AuthPayload> {
    return new SsoSignInService(ctx).exchange(input.code, ctx.client.userAgent ?? undefined);
  }

  @Directive('@inaccessible')
  @Mutation(() => SsoUserResult, {
    nullable: true,
    description: 'Internal (gateway only): the user of an SSO login, created when allowed.',
  })
  _ssoUser(
    @Arg('input', () => SsoUserInput) input: SsoUserInput,
    @Ctx() ctx: UsersContext,
  ): Promise<SsoUserResult | null> {
    return new SsoSignInService(ctx).user(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => String, {
    description: 'Internal (gateway only): the one-time code of a completed SSO login.',
  })
  _ssoIssueCode(
    @Arg('input', () => SsoIssueCodeInput) input: SsoIssueCodeInput,
    @Ctx() ctx: UsersContext,
  ): Promise<string> {
    return new SsoSignInService(ctx).issueCode(input);
  }
}
