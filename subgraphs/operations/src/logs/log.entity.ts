import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';

/**
 * One log line of a flow run (and optionally a task run), or a worker's own line (a worker, and
 * no run: what Prefect's workers send about themselves); at least one of the two is set. `seq` is the ingest sequence: it
 * breaks timestamp ties in the order lines arrived, so paging over (timestamp, seq) is stable.
 */
@ObjectType({ description: 'A log line of a flow run or task run, or of a worker.' })
@Entity({ tableName: 'log' })
@Index({ properties: ['workspaceId', 'flowRunId', 'timestamp', 'seq'] })
@Index({ properties: ['workspaceId', 'timestamp', 'seq'] })
@Index({ properties: ['workspaceId', 'workerId', 'timestamp', 'seq'] })
export class Log {
  // SQLite reads its 64-bit `integer` key back as a different type than `bigint`; without
  // this every migration diff would rebuild the table.
  @PrimaryKey({ type: 'bigint', autoincrement: true, ignoreSchemaChanges: ['type'] })
  seq!: string;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The flow run that wrote it (UUID); null for a worker’s own line.',
  })
  @Property({ type: 'uuid', nullable: true })
  flowRunId?: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'The task run that wrote it, if any (UUID).',
  })
  @Property({ type: 'uuid', nullable: true, index: true })
  taskRunId?: string | null = null;

  @Field(() => String, {
    nullable: true,
    description:
      'The worker that wrote it (UUID), for lines a worker sent; with no flow run, a line about the worker itself.',
  })
  @Property({ type: 'uuid', nullable: true })
  workerId?: string | null = null;

  @Field(() => Int, {
    description: 'Severity 0 to 50 (10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL).',
  })
  @Property({ type: 'smallint' })
  level!: number;

  @Field(() => String, { description: 'The message (at most 32 KiB).' })
  @Property({ type: 'text' })
  message!: string;

  @Field(() => Date, { description: 'When the line was logged (by the writer).' })
  @Property({ type: 'Date' })
  timestamp!: Date;

  @Field(() => Date, { description: 'When the server stored it.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
