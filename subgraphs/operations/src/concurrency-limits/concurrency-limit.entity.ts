import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Whether a limit counts runs by tag or is a named limit that callers take explicitly. */
export enum ConcurrencyLimitKind {
  TAG = 'TAG',
  GLOBAL = 'GLOBAL',
}
registerEnumType(ConcurrencyLimitKind, {
  name: 'ConcurrencyLimitKind',
  description: 'How a concurrency limit is addressed.',
  valuesConfig: {
    TAG: { description: 'Limits the runs carrying a tag; the name is the tag.' },
    GLOBAL: { description: 'A named limit that callers acquire by name.' },
  },
});

/** At most `limit` slots at once; slots are held as leases that expire. */
@ObjectType({ description: 'At most `limit` slots in use at once, by tag or by name.' })
@Entity({ tableName: 'concurrency_limit' })
@Unique({ properties: ['workspaceId', 'kind', 'name'] })
export class ConcurrencyLimit {
  @Field(() => ID, { description: 'Concurrency limit id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => ConcurrencyLimitKind, { description: 'By tag or by name.' })
  @Property({ type: 'string', length: 10 })
  kind!: ConcurrencyLimitKind;

  @Field(() => String, {
    description: 'The tag (TAG) or the name (GLOBAL); unique per kind in the workspace.',
  })
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => Int, { description: 'How many slots may be in use at once (0 blocks all).' })
  @Property({ type: 'integer' })
  limit!: number;

  @Field(() => Boolean, { description: 'Whether it is enforced; inactive limits block nothing.' })
  @Property({ type: 'boolean' })
  active: boolean = true;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** Slots of one limit held by one lease until it is released or expires. */
@Entity({ tableName: 'concurrency_lease' })
export class ConcurrencyLeaseSlot {
  @PrimaryKey({ type: 'uuid' })
  leaseId!: string;

  @PrimaryKey({ type: 'uuid' })
  limitId!: string;

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'integer' })
  slots!: number;

  @Property({ type: 'Date', index: true })
  expiresAt!: Date;

  @Property({ type: 'string', length: 20 })
  holderType!: string;

  @Property({ type: 'uuid' })
  holderId!: string;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
