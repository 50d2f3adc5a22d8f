import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum WorkerStatus {
  ONLINE = 'ONLINE',
  OFFLINE = 'OFFLINE',
}
registerEnumType(WorkerStatus, {
  name: 'WorkerStatus',
  description: 'Whether a worker is heartbeating.',
  valuesConfig: {
    ONLINE: { description: 'It heartbeated within three of its intervals.' },
    OFFLINE: { description: 'It missed three heartbeats.' },
  },
});

export const MISSED_HEARTBEATS = 3;

/** A process polling a work pool; known by name within the pool, kept alive by heartbeats. */
@ObjectType({ description: 'A process that polls a work pool for runs and heartbeats.' })
@Entity({ tableName: 'worker' })
@Unique({ properties: ['workPoolId', 'name'] })
@Index({ properties: ['status', 'offlineAfter'] })
export class Worker {
  @Field(() => ID, { description: 'Worker id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workPoolId!: string;

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, { description: 'Name, unique within the pool.' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => Date, { description: 'Last heartbeat.' })
  @Property({ type: 'Date' })
  lastHeartbeatAt: Date = new Date();

  @Field(() => Int, { description: 'Seconds between its heartbeats.' })
  @Property({ type: 'integer' })
  heartbeatIntervalSeconds: number = 30;

  /** lastHeartbeatAt + 3 intervals: the liveness service marks it OFFLINE after this. */
  @Property({ type: 'Date' })
  offlineAfter!: Date;

  @Field(() => WorkerStatus, { description: 'ONLINE, or OFFLINE after three missed heartbeats.' })
  @Property({ type: 'string', length: 10 })
  status: WorkerStatus = WorkerStatus.ONLINE;

  @Field(() => Date, { description: 'First heartbeat.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}

/** Records a heartbeat (an upsert, so two at once for one name both succeed). */
export async function recordHeartbeat(
  em: import('../../../../lib/orm.js').Em,
  pool: { id: string; workspaceId: string },
  name: string,
  intervalSeconds: number,
  now = new Date(),
): Promise<Worker> {
  const offlineAfter = new Date(now.getTime() + MISSED_HEARTBEATS * intervalSeconds * 1000);
  return em.upsert(
    Worker,
    {
      id: randomUUID(),
      workPoolId: pool.id,
      workspaceId: pool.workspaceId,
      name,
      lastHeartbeatAt: now,
      heartbeatIntervalSeconds: intervalSeconds,
      offlineAfter,
      status: WorkerStatus.ONLINE,
      createdAt: now,
    },
    {
      onConflictFields: ['workPoolId', 'name'],
      onConflictMergeFields: [
        'lastHeartbeatAt',
        'heartbeatIntervalSeconds',
        'offlineAfter',
        'status',
      ],
    },
  );
}
