import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A new account; the caller becomes its owner.' })
export class CreateAccountInput {
  @Field(() => String, { description: 'Unique handle, lower-case [a-z0-9-]{2,40}.' })
  handle!: string;

  @Field(() => String, { description: 'Display name, 1 to 100 characters.' })
  name!: string;
}

@InputType({
  description: 'Account fields and settings to change; omitted fields stay as they are.',
})
export class UpdateAccountSettingsInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => String, { nullable: true, description: 'New unique handle.' })
  handle?: string | null;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  name?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Turn AI error summaries on or off.' })
  aiErrorSummaries?: boolean | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Email domains claimed for SSO (replaces the list), at most 50.',
  })
  allowedSsoDomains?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'IP addresses or CIDR ranges allowed to call the API (replaces the list), at most 100; empty allows all.',
  })
  ipAllowList?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Days audit log entries are kept, 1 to 3650.' })
  auditRetentionDays?: number | null;
}
