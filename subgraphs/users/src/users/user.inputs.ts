import { Field, InputType, ObjectType } from 'type-graphql';
import { ColorMode, User } from './user.entity.js';

@InputType({ description: 'Create a user and the account they own.' })
export class SignUpInput {
  @Field(() => String, { description: 'Email address; also the sign-in name.' })
  email!: string;

  @Field(() => String, { description: 'At least 10 characters mixing three character classes.' })
  password!: string;

  @Field(() => String, { description: 'Unique handle, lower-case [a-z0-9-]{2,40}.' })
  handle!: string;

  @Field(() => String, { nullable: true, description: 'Display name; defaults to the handle.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone; defaults to UTC.' })
  timezone?: string | null;
}

@InputType({ description: 'Email and password.' })
export class SignInInput {
  @Field(() => String, { description: 'Email address.' })
  email!: string;

  @Field(() => String, { description: 'Password.' })
  password!: string;
}

@InputType({ description: 'Fields of the profile and preferences to change; omitted fields stay.' })
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: 'New handle.' })
  handle?: string | null;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New image URL; empty string removes it.' })
  imageUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'New IANA time zone.' })
  timezone?: string | null;

  @Field(() => ColorMode, { nullable: true, description: 'New colour mode.' })
  colorMode?: ColorMode | null;
}

@ObjectType({ description: 'A new session: keep the token, it is shown only now.' })
export class AuthPayload {
  @Field(() => String, { description: 'Session token for `Authorization: Bearer`.' })
  token!: string;

  @Field(() => Date, { description: 'When the token expires.' })
  expiresAt!: Date;

  @Field(() => User, { description: 'The signed-in user.' })
  user!: User;
}
