import { GraphQLJSON } from 'graphql-scalars';
import { requireSystem } from '../../../../lib/actor.js';
import {
  Arg,
  Ctx,
  Directive,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
} from 'type-graphql';
import type { AccessContext } from '../context.js';
import { SsoSettings } from '../sso/sso-settings.entity.js';
import { ScimService } from './scim.service.js';

@InputType({ description: 'Internal: one SCIM request of an account.' })
@Directive('@inaccessible')
export class ScimRequestInput {
  @Field(() => ID, { description: 'The account its token names.' })
  accountId!: string;

  @Field(() => String, { description: 'HTTP method.' })
  method!: string;

  @Field(() => [String], { description: 'Path segments after /scim/v2/.' })
  path!: string[];

  @Field(() => GraphQLJSON, { description: 'Query parameters.' })
  query!: Record<string, string | null>;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The JSON body.' })
  body?: unknown;
}

@ObjectType({ description: 'Internal: the SCIM answer and the provisioning it asks for.' })
@Directive('@inaccessible')
export class ScimAnswerType {
  @Field(() => Int, { description: 'HTTP status.' })
  status!: number;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The JSON body.' })
  body!: unknown;

  @Field(() => GraphQLJSON, { description: 'What to apply in the users and workspaces subgraphs.' })
  effects!: unknown;
}

@InputType({ description: 'Internal: the Flowplane user a SCIM user provisioned.' })
@Directive('@inaccessible')
export class ScimLinkInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { description: 'The SCIM user.' })
  scimUserId!: string;

  @Field(() => ID, { description: 'The Flowplane user.' })
  userId!: string;
}

@Resolver()
export class ScimResolver {
  @Directive('@inaccessible')
  @Query(() => ID, {
    nullable: true,
    description: 'Internal (gateway only): the account whose SCIM token has this SHA-256.',
  })
  async _scimAccount(
    @Arg('tokenHash', () => String) tokenHash: string,
    @Ctx() ctx: AccessContext,
  ): Promise<string | null> {
    requireSystem(ctx.principal);
    const s = await ctx.em.findOne(SsoSettings, { scimTokenHash: tokenHash });
    return s?.accountId ?? null;
  }

  @Directive('@inaccessible')
  @Mutation(() => ScimAnswerType, { description: 'Internal (gateway only): one SCIM request.' })
  _scim(
    @Arg('input', () => ScimRequestInput) input: ScimRequestInput,
    @Ctx() ctx: AccessContext,
  ): Promise<ScimAnswerType> {
    return new ScimService(ctx).handle(input);
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description: 'Internal (gateway only): record the Flowplane user of a SCIM user.',
  })
  _scimLink(
    @Arg('input', () => ScimLinkInput) input: ScimLinkInput,
    @Ctx() ctx: AccessContext,
  ): Promise<boolean> {
    return new ScimService(ctx).link(input.accountId, input.scimUserId, input.userId);
  }
}
