import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSON } from 'graphql-scalars';
import type { StoredWebhookPush } from './push-settings.js';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Whether a pool's runs can be picked up (REFERENCE §5). */
export enum WorkPoolStatus {
  READY = 'READY',
  NOT_READY = 'NOT_READY',
  PAUSED = 'PAUSED',
}
registerEnumType(WorkPoolStatus, {
  name: 'WorkPoolStatus',
  description: 'Whether a work pool’s runs can be picked up.',
  valuesConfig: {
    READY: { description: 'At least one worker is online (push pools need none).' },
    NOT_READY: { description: 'No worker is online.' },
    PAUSED: { description: 'Paused: no run is handed out.' },
  },
});

/** Pools whose type ends in "-push" are run by the server itself: no worker polls them. */
export const isPushType = (type: string) => type.endsWith('-push');

/** Where a deployment's runs go to be picked up by workers (or pushed to serverless infrastructure). */
@ObjectType({ description: 'A pool of infrastructure that runs flow runs, with its queues.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'work_pool' })
@Unique({ properties: ['workspaceId', 'name'] })
export class WorkPool {
  @Field(() => ID, { description: 'Work pool id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Field(() => String, { description: 'Name, unique within the workspace.' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null = null;

  @Field(() => String, {
    description:
      'Infrastructure type: process, docker, kubernetes, … or a push type ending in "-push".',
  })
  @Property({ type: 'string', length: 100 })
  type!: string;

  @Field(() => GraphQLJSON, {
    description:
      'Base job template: a JSON object with `job_configuration` and `variables` (a JSON Schema).',
  })
  @Property({ type: 'json' })
  baseJobTemplate: Record<string, unknown> = {};

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many of its runs PENDING, RUNNING or CANCELLING; null for no limit.',
  })
  @Property({ type: 'integer', nullable: true })
  concurrencyLimit?: number | null = null;

  @Field(() => Boolean, { description: 'A paused pool hands out no runs.' })
  @Property({ type: 'boolean' })
  paused: boolean = false;

  @Field(() => WorkPoolStatus, {
    description:
      'READY (an online worker, or a push pool), NOT_READY (no online worker) or PAUSED; changes are events.',
  })
  @Property({ type: 'string', length: 20, default: WorkPoolStatus.NOT_READY })
  status: WorkPoolStatus = WorkPoolStatus.NOT_READY;

  /** A webhook push pool's configuration (push-settings.ts); shown as `webhookPush`. */
  @Property({ type: 'json', nullable: true })
  pushSettings?: StoredWebhookPush | null = null;

  /** A webhook push pool's signing secret, encrypted (AAD: `pushSecretAad(id)`); never shown. */
  @Property({ type: 'text', nullable: true })
  pushSecret?: string | null = null;

  @Field(() => Date, { description: 'Creation time.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
