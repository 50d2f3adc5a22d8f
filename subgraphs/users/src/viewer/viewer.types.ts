import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ServiceAccount } from '../service-accounts/service-account.entity.js';
import { User } from '../users/user.entity.js';

export enum PrincipalKind {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
}
registerEnumType(PrincipalKind, {
  name: 'PrincipalKind',
  description: 'What kind of actor a principal is.',
  valuesConfig: {
    USER: { description: 'A person.' },
    SERVICE_ACCOUNT: { description: 'A service account (workers, CI).' },
  },
});

/** The caller: a user or a service account. Other subgraphs add accounts and permissions. */
@ObjectType({ description: 'The authenticated caller: a user or a service account.' })
@Directive('@key(fields: "id")')
export class Viewer {
  @Field(() => ID, { description: 'The user or service account id.' })
  id!: string;

  @Field(() => PrincipalKind, { description: 'User or service account.' })
  kind!: PrincipalKind;

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
