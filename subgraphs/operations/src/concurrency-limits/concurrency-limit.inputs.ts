import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '../../../../lib/pagination.js';
import { ConcurrencyLimit, ConcurrencyLimitKind } from './concurrency-limit.entity.js';

@InputType({ description: 'A new concurrency limit.' })
export class CreateConcurrencyLimitInput {
  @Field(() => ID, { description: 'The workspace it belongs to.' })
  workspaceId!: string;

  @Field(() => ConcurrencyLimitKind, { description: 'By tag or by name.' })
  kind!: ConcurrencyLimitKind;

  @Field(() => String, { description: 'The tag or name: 1 to 100 characters, no outer spaces.' })
  name!: string;

  @Field(() => Int, { description: 'Slots in use at once: 0 to 1,000,000.' })
  limit!: number;

  @Field(() => Boolean, { nullable: true, description: 'Enforced (default true).' })
  active?: boolean | null;
}

@InputType({ description: 'Changes to a concurrency limit; omitted fields stay as they are.' })
export class UpdateConcurrencyLimitInput {
  @Field(() => ID, { description: 'The limit.' })
  id!: string;

  @Field(() => Int, { nullable: true, description: 'New size: 0 to 1,000,000.' })
  limit?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Enforced or not.' })
  active?: boolean | null;
}

@InputType({ description: 'Slots to take from the named and/or tag limits, all or nothing.' })
export class AcquireConcurrencySlotsInput {
  @Field(() => ID, { description: 'The workspace of the limits.' })
  workspaceId!: string;

  @Field(() => [String], {
    nullable: true,
    description: 'GLOBAL limits by name (must exist unless skipMissing).',
  })
  names?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Names without a GLOBAL limit are not limited instead of refused (Prefect’s non-strict `concurrency()`); default false.',
  })
  skipMissing?: boolean | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Tags; a tag without an active TAG limit is not limited.',
  })
  tags?: string[] | null;

  @Field(() => Int, { defaultValue: 1, description: 'Slots to take from each limit (1 or more).' })
  slots: number = 1;

  @Field(() => Int, {
    defaultValue: 300,
    description: 'Seconds until the lease expires and frees its slots (1 to 86,400).',
  })
  leaseSeconds: number = 300;
}

/** The answer to an acquire: a lease, or why not now. */
export enum AcquireStatus {
  ACQUIRED = 'ACQUIRED',
  WAIT = 'WAIT',
  REJECT = 'REJECT',
}
registerEnumType(AcquireStatus, {
  name: 'AcquireStatus',
  description: 'The outcome of acquireConcurrencySlots.',
  valuesConfig: {
    ACQUIRED: { description: 'The slots are held by the returned lease.' },
    WAIT: { description: 'Not enough free slots now; try again after retryAfterSeconds.' },
    REJECT: { description: 'Can never succeed: more slots asked than a limit has.' },
  },
});

@ObjectType({ description: 'Slots held on one or more limits until release or expiry.' })
export class ConcurrencyLease {
  @Field(() => ID, { description: 'Lease id; pass it to releaseConcurrencySlots.' })
  id!: string;

  @Field(() => Int, { description: 'Slots held on each limit.' })
  slots!: number;

  @Field(() => Date, { description: 'When the slots free themselves if not released.' })
  expiresAt!: Date;

  @Field(() => [ConcurrencyLimit], { description: 'The limits the slots are held on.' })
  limits!: ConcurrencyLimit[];
}

@ObjectType({ description: 'The answer to acquireConcurrencySlots.' })
export class AcquireConcurrencySlotsResult {
  @Field(() => AcquireStatus, { description: 'ACQUIRED, WAIT or REJECT.' })
  status!: AcquireStatus;

  @Field(() => ConcurrencyLease, { nullable: true, description: 'The lease, when ACQUIRED.' })
  lease?: ConcurrencyLease | null;

  @Field(() => String, { nullable: true, description: 'Why not, for WAIT and REJECT.' })
  reason?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'For WAIT: seconds until the earliest blocking lease expires (at least 1).',
  })
  retryAfterSeconds?: number | null;

  @Field(() => [ConcurrencyLimit], { description: 'The limits without room (WAIT, REJECT).' })
  blockingLimits!: ConcurrencyLimit[];
}

@InputType({ description: 'Which limits to list.' })
export class ConcurrencyLimitFilter {
  @Field(() => ConcurrencyLimitKind, { nullable: true, description: 'Only this kind.' })
  kind?: ConcurrencyLimitKind | null;
}

export const ConcurrencyLimitConnection = connectionType(ConcurrencyLimit, 'ConcurrencyLimit');
export type ConcurrencyLimitConnection = InstanceType<typeof ConcurrencyLimitConnection>;
