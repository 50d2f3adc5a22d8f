import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';

/**
 * When a deployment runs: exactly one of cron (with an IANA time zone), interval (seconds from
 * an anchor) or an RFC 5545 rrule. The scheduler creates runs for the active ones.
 */
@ObjectType('DeploymentSchedule', {
  description: 'When a deployment runs: a cron expression, an interval or an rrule.',
})
@Entity({ tableName: 'deployment_schedule' })
export class DeploymentSchedule {
  @Field(() => ID, { description: 'Schedule id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  deploymentId!: string;

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => Boolean, { description: 'Only active schedules create runs.' })
  @Property({ type: 'boolean' })
  active: boolean = true;

  @Field(() => String, { nullable: true, description: 'Cron expression (5 or 6 fields).' })
  @Property({ type: 'string', length: 200, nullable: true })
  cron?: string | null = null;

  @Field(() => Int, { nullable: true, description: 'Interval in seconds.' })
  @Property({ type: 'integer', nullable: true })
  intervalSeconds?: number | null = null;

  @Field(() => Date, {
    nullable: true,
    description: 'For an interval: the time the intervals count from.',
  })
  @Property({ type: 'Date', nullable: true })
  anchorDate?: Date | null = null;

  @Field(() => String, { nullable: true, description: 'RFC 5545 recurrence rule.' })
  @Property({ type: 'text', nullable: true })
  rrule?: string | null = null;

  @Field(() => String, {
    description: 'IANA time zone the cron expression or rrule is read in.',
  })
  @Property({ type: 'string', length: 100 })
  timezone: string = 'UTC';

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
