import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';
import { ApiKey } from '../api-keys/api-key.entity.js';
import { ServiceAccount } from './service-account.entity.js';

@InputType({ description: 'A new service account, created with its first API key.' })
export class CreateServiceAccountInput {
  @Field(() => ID, { description: 'The account it belongs to.' })
  accountId!: string;

  @Field(() => String, { description: 'Name, unique within the account.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What it is for.' })
  description?: string | null;

  @Field(() => AccountRole, { defaultValue: AccountRole.MEMBER, description: 'Its account role.' })
  accountRole: AccountRole = AccountRole.MEMBER;

  @Field(() => Date, { nullable: true, description: 'Expiry of the first key; omit for never.' })
  keyExpiresAt?: Date | null;
}

@ObjectType({ description: 'A new service account and its first key (plaintext shown once).' })
export class CreatedServiceAccount {
  @Field(() => ServiceAccount, { description: 'The service account.' })
  serviceAccount!: ServiceAccount;

  @Field(() => String, {
    description: 'Plaintext of the first API key. It cannot be retrieved again.',
  })
  key!: string;

  @Field(() => ApiKey, { description: 'The stored, masked key.' })
  apiKey!: ApiKey;
}
