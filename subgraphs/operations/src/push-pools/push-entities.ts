import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export type SubmissionStatus =
  /** Claimed (the run is PENDING) and being POSTed, with retries. */
  | 'SUBMITTING'
  /** The endpoint accepted it; the run reports its own states now. */
  | 'SUBMITTED'
  /** Every attempt failed (or the endpoint is refused): the run was marked CRASHED. */
  | 'FAILED'
  /** The run is CANCELLING: the cancel URL is being called. */
  | 'CANCELLING'
  /** Cancelled: the cancel URL answered (or there is none) and the run is CANCELLED. */
  | 'CANCELLED';

/**
 * One flow run of a push pool handed to its infrastructure: written in the transaction that
 * claimed the run (SCHEDULED → PENDING), so a run gets at most one; the push service takes due
 * rows under a lease (lib/lease.ts) to POST the job, retry it with back-off, and call the cancel
 * URL when the run is cancelled.
 */
@Entity({ tableName: 'push_submission' })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class PushSubmission {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid', unique: true })
  flowRunId!: string;

  @Property({ type: 'uuid', index: true })
  workPoolId!: string;

  @Property({ type: 'string', length: 100 })
  poolType!: string;

  @Property({ type: 'string', length: 20 })
  status: SubmissionStatus = 'SUBMITTING';

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'Date' })
  nextAttemptAt: Date = new Date();

  /** A claimed row is someone's until then (a crashed instance's claim lapses). */
  @Property({ type: 'Date', nullable: true })
  leaseUntil?: Date | null = null;

  @Property({ type: 'uuid', nullable: true })
  leaseToken?: string | null = null;

  /** What the infrastructure calls the run (the endpoint's answer). */
  @Property({ type: 'string', length: 500, nullable: true })
  infrastructureId?: string | null = null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  submittedAt?: Date | null = null;
}

/**
 * A run-scoped credential handed to a pushed run (`fpr_…`, stored as its SHA-256 only): the
 * gateway resolves it to a `flow_run` principal whose one grant covers that run alone
 * (lib/ability.ts `runScopedRules`). It expires, and it is revoked once the run is terminal.
 */
@Entity({ tableName: 'flow_run_credential' })
@Unique({ properties: ['keyHash'] })
export class FlowRunCredential {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'uuid', index: true })
  flowRunId!: string;

  @Property({ type: 'string', length: 64 })
  keyHash!: string;

  @Property({ type: 'Date' })
  expiresAt!: Date;

  @Property({ type: 'Date', nullable: true })
  revokedAt?: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  lastUsedAt?: Date | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
