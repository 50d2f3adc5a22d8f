import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { ServiceAccount } from '../service-accounts/service-account.entity.js';
import { User } from '../users/user.entity.js';
import { ActorType, type ActorKind } from '../../../../lib/graphql-enums.js';

/** The caller: a user or a service account. Other subgraphs add accounts and permissions. */
@ObjectType({ description: 'The authenticated caller: a user or a service account.' })
@Directive('@key(fields: "id")')
export class Viewer {
  @Field(() => ID, { description: 'The user or service account id.' })
  id!: string;

  @Field(() => ActorType, { description: 'USER or SERVICE_ACCOUNT.' })
  kind!: ActorKind;

  @Field(() => User, { nullable: true, description: 'The user, when the caller is a person.' })
  user?: User | null;

  @Field(() => ServiceAccount, {
    nullable: true,
    description: 'The service account, when the caller is one.',
  })
  serviceAccount?: ServiceAccount | null;
}

/** Internal: who a credential belongs to. Not part of the public API. */
@ObjectType({ description: 'Internal: the principal behind a credential.' })
@Directive('@inaccessible')
export class ResolvedPrincipal {
  @Field(() => String, { description: 'user or service_account.' })
  type!: string;

  @Field(() => ID, { description: 'User or service account id.' })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'Account of a service account.' })
  accountId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The session used.' })
  sessionId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The API key used.' })
  apiKeyId?: string | null;

  @Field(() => String, { nullable: true, description: "The user's email." })
  email?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the credential stops working.' })
  expiresAt?: Date | null;
}
