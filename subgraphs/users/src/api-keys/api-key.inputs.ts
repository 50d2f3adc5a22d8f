import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ApiKey } from './api-key.entity.js';

@InputType({ description: 'A new personal API key.' })
export class CreateApiKeyInput {
  @Field(() => String, { description: 'A name to recognise the key by.' })
  name!: string;

  @Field(() => Date, { nullable: true, description: 'When the key stops working; omit for never.' })
  expiresAt?: Date | null;
}

@InputType({
  description: 'Issue a new key for a service account; older keys keep working for a grace period.',
})
export class RotateKeyInput {
  @Field(() => ID, { description: 'The service account.' })
  serviceAccountId!: string;

  @Field(() => Int, {
    defaultValue: 24,
    description: 'Hours the previous keys stay valid, 0 to 48 (0 revokes them now).',
  })
  gracePeriodHours: number = 24;

  @Field(() => Date, { nullable: true, description: 'Expiry of the new key; omit for never.' })
  expiresAt?: Date | null;
}

@ObjectType({ description: 'A key just created: `key` is the plaintext, shown this once only.' })
export class CreatedApiKey {
  @Field(() => String, { description: 'The plaintext key. It cannot be retrieved again.' })
  key!: string;

  @Field(() => ApiKey, { description: 'The stored, masked key.' })
  apiKey!: ApiKey;
}
