import { createHash, randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import type { EventJson } from '../../event-store/emit.js';

/** What a bucket remembers between events (JSON). */
export interface BucketState {
  /** The forEach values the key stands for. */
  values: string[];
  /** The event that last counted, opened the window, or fired it (what actions infer from). */
  lastEvent?: EventJson | null;
  /** Composite buckets: sub-triggers that fired in the current window, by index → ISO time. */
  fired?: Record<string, string>;
  /** Sequence buckets: how many sub-triggers fired in order, since `startedAt`. */
  step?: number;
  startedAt?: string | null;
  /** Root buckets: the `flowplane.automation.triggered` event of the current firing. */
  triggeredEventId?: string | null;
}

/**
 * The evaluation state of one trigger (or sub-trigger, by `triggerPath`) of an automation for
 * one `forEach` key: its open window and count, and whether it fired and resolved. Rows are
 * changed only under a row lock (FOR UPDATE on PostgreSQL), in the transaction that consumes
 * the event, so several instances count and fire exactly once; they survive restarts.
 */
@Entity({ tableName: 'automation_bucket' })
@Unique({ properties: ['automationId', 'triggerPath', 'bucketKey'] })
@Index({ properties: ['posture', 'windowEnd'] })
export class AutomationBucket {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  automationId!: string;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'string', length: 40 })
  triggerPath!: string;

  /** The forEach values as JSON (a digest when long). */
  @Property({ type: 'string', length: 600 })
  bucketKey!: string;

  /** REACTIVE or PROACTIVE for event triggers; null for compound and sequence triggers. */
  @Property({ type: 'string', length: 20, nullable: true })
  posture?: string | null = null;

  @Property({ type: 'Date', nullable: true })
  windowStart?: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  windowEnd?: Date | null = null;

  @Property({ type: 'integer' })
  count: number = 0;

  @Property({ type: 'Date', nullable: true })
  firedAt?: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  resolvedAt?: Date | null = null;

  @Property({ type: 'json' })
  state: BucketState = { values: [] };

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** The stored key of a bucket: its forEach values as JSON, or a digest of that when long. */
export function bucketKeyOf(values: string[]): string {
  const json = JSON.stringify(values);
  return json.length <= 500 ? json : `sha256:${createHash('sha256').update(json).digest('hex')}`;
}
