import { Field, InputType, Int } from 'type-graphql';

@InputType({
  description: 'A schedule of a deployment: exactly one of cron, intervalSeconds or rrule.',
})
export class DeploymentScheduleInput {
  @Field(() => String, {
    nullable: true,
    description: 'Cron expression of 5 or 6 fields, read in `timezone`.',
  })
  cron?: string | null;

  @Field(() => Int, { nullable: true, description: 'Interval in seconds (1 to 31622400).' })
  intervalSeconds?: number | null;

  @Field(() => Date, {
    nullable: true,
    description: 'For an interval: the time intervals count from (default: now).',
  })
  anchorDate?: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'RFC 5545 recurrence rule (e.g. "FREQ=DAILY;BYHOUR=9"), read in `timezone`.',
  })
  rrule?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone (default UTC).' })
  timezone?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether it creates runs (default true).' })
  active?: boolean | null;
}
