import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/**
 * One webhook call an automation action asked for. Written in the transaction that fired the
 * automation (never called from it); the delivery service claims due rows under a lease, calls
 * the URL and records the outcome, retrying with exponential back-off.
 */
@Entity({ tableName: 'webhook_delivery' })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid', index: true })
  automationId!: string;

  @Property({ type: 'string', length: 200 })
  automationName!: string;

  @Property({ type: 'uuid' })
  actionId!: string;

  @Property({ type: 'string', length: 40 })
  actionType!: string;

  /** `triggered` or `resolved`, and the lifecycle event that announced it. */
  @Property({ type: 'string', length: 20 })
  firing!: string;

  @Property({ type: 'uuid' })
  firingEventId!: string;

  @Property({ type: 'uuid', nullable: true })
  triggeringEventId?: string | null = null;

  @Property({ type: 'integer' })
  depth: number = 0;

  /** Related resources of the outcome event (the triggering event's resource). */
  @Property({ type: 'json' })
  related: { id: string; role: string }[] = [];

  /**
   * The action's encrypted target, URL and headers (additional data: the action's target AAD,
   * webhook-target.ts); null on rows written before targets were encrypted, which hold them
   * in `url` and `headers`.
   */
  @Property({ type: 'text', nullable: true })
  target?: string | null = null;

  /** Scheme and host only (the target's masked URL), or the whole URL on older rows. */
  @Property({ type: 'string', length: 2000 })
  url!: string;

  @Property({ type: 'string', length: 10 })
  method!: string;

  /** Empty: headers travel in `target` (older rows: the headers). */
  @Property({ type: 'json' })
  headers: Record<string, string> = {};

  @Property({ type: 'string', length: 200 })
  contentType!: string;

  @Property({ type: 'text' })
  body!: string;

  /** The action's encrypted signing secret (additional data: the action id). */
  @Property({ type: 'text', nullable: true })
  secret?: string | null = null;

  @Property({ type: 'string', length: 20 })
  status: DeliveryStatus = 'PENDING';

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'Date' })
  nextAttemptAt: Date = new Date();

  /** A claimed row is someone's until then (a crashed instance's claim lapses). */
  @Property({ type: 'Date', nullable: true })
  leaseUntil?: Date | null = null;

  @Property({ type: 'uuid', nullable: true })
  leaseToken?: string | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatus?: number | null = null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  completedAt?: Date | null = null;
}
