import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Evidence, FixKind, RootCause } from './summarizer.js';

/** Which engine wrote a summary. */
export enum SummaryEngineKind {
  BUILT_IN = 'BUILT_IN',
  LLM = 'LLM',
}
registerEnumType(SummaryEngineKind, {
  name: 'SummaryEngine',
  description: 'Which engine wrote an error summary.',
  valuesConfig: {
    BUILT_IN: { description: 'The built-in summarizer: deterministic, offline.' },
    LLM: {
      description:
        'The configured language model (OpenAI-compatible endpoint) wrote the explanation; root cause and evidence are the built-in analysis.',
    },
  },
});

export enum FailureFixKind {
  MISSING_MODULE = 'MISSING_MODULE',
  OUT_OF_MEMORY = 'OUT_OF_MEMORY',
  TIMEOUT = 'TIMEOUT',
  CONNECTION_REFUSED = 'CONNECTION_REFUSED',
  PERMISSION_DENIED = 'PERMISSION_DENIED',
  INVALID_PARAMETERS = 'INVALID_PARAMETERS',
  CANCELLED = 'CANCELLED',
}
registerEnumType(FailureFixKind, {
  name: 'FailureFixKind',
  description: 'A well-known cause of failure that comes with a fix hint.',
  valuesConfig: {
    MISSING_MODULE: { description: 'A Python module could not be imported.' },
    OUT_OF_MEMORY: { description: 'Out of memory (MemoryError, OOMKilled, exit code 137).' },
    TIMEOUT: { description: 'An operation or the run exceeded its time limit.' },
    CONNECTION_REFUSED: { description: 'A service could not be reached (refused, DNS).' },
    PERMISSION_DENIED: { description: 'A file-system or cloud permission was missing.' },
    INVALID_PARAMETERS: { description: "The run's parameters do not fit the flow." },
    CANCELLED: { description: 'The run was cancelled or terminated by a signal.' },
  },
});

export enum EvidenceSource {
  LOG = 'LOG',
  STATE_MESSAGE = 'STATE_MESSAGE',
  EXIT_CODE = 'EXIT_CODE',
}
registerEnumType(EvidenceSource, {
  name: 'ErrorEvidenceSource',
  description: 'Where a piece of evidence of an error summary came from.',
  valuesConfig: {
    LOG: { description: 'A log line of the run.' },
    STATE_MESSAGE: { description: 'The message of the failed or crashed state.' },
    EXIT_CODE: { description: 'An exit code reported by the infrastructure.' },
  },
});

@ObjectType({ description: 'What an error summary found to be the root cause.' })
export class ErrorRootCause implements RootCause {
  @Field(() => String, {
    nullable: true,
    description: 'The original exception type of the chain (null when none was logged).',
  })
  exceptionType!: string | null;

  @Field(() => String, { nullable: true, description: "The original exception's message." })
  message!: string | null;

  @Field(() => String, { nullable: true, description: 'The task run that failed, by name.' })
  taskName!: string | null;

  @Field(() => ID, { nullable: true, description: 'The task run that failed.' })
  taskRunId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The file of the user's frame (the deepest frame outside libraries).",
  })
  file!: string | null;

  @Field(() => Int, { nullable: true, description: "The line of the user's frame." })
  line!: number | null;

  @Field(() => String, { nullable: true, description: "The function of the user's frame." })
  function!: string | null;

  @Field(() => [String], {
    description: 'Exception types of the chained tracebacks, the original first.',
  })
  chain!: string[];

  @Field(() => Int, { nullable: true, description: 'The exit code the infrastructure reported.' })
  exitCode!: number | null;
}

@ObjectType({ description: 'A piece of evidence an error summary was written from.' })
export class ErrorEvidence implements Evidence {
  @Field(() => EvidenceSource, { description: 'Where it came from.' })
  source!: Evidence['source'];

  @Field(() => String, {
    nullable: true,
    description: 'The log line (its sequence number), for LOG and some EXIT_CODE evidence.',
  })
  logSeq!: string | null;

  @Field(() => String, { description: 'The text used (at most 300 characters).' })
  excerpt!: string;
}

/**
 * The summary of one failure (one FAILED or CRASHED state of a flow run): written once,
 * asynchronously, by the error-summary service. A row is PENDING from the moment the failure
 * is seen until it is written (READY); only READY rows are visible.
 */
@ObjectType({
  description:
    'An explanation of why a flow run failed or crashed, written after the failure from its logs, state message and exit code.',
})
@Entity({ tableName: 'error_summary' })
@Index({ properties: ['workspaceId', 'signature', 'failedAt'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class ErrorSummary {
  @Field(() => ID, { description: 'Summary id.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Field(() => ID, { description: 'The flow run it explains.' })
  @Property({ type: 'uuid', index: true })
  flowRunId!: string;

  /** The FAILED/CRASHED state: one summary per failure. */
  @Field(() => ID, { description: 'The failed or crashed state it explains.' })
  @Property({ type: 'uuid', unique: true })
  stateId!: string;

  @Property({ type: 'uuid', nullable: true })
  flowId?: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  deploymentId?: string | null = null;

  @Property({ type: 'string', length: 20 })
  stateType!: string;

  /** When the run entered the state. */
  @Field(() => Date, { description: 'When the run failed or crashed.' })
  @Property({ type: 'Date' })
  failedAt!: Date;

  @Property({ type: 'string', length: 10 })
  status: 'PENDING' | 'READY' | 'GAVE_UP' = 'PENDING';

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'Date' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  leaseUntil?: Date | null = null;

  @Property({ type: 'uuid', nullable: true })
  leaseToken?: string | null = null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null = null;

  @Field(() => SummaryEngineKind, { description: 'Which engine wrote it.' })
  @Property({ type: 'string', length: 10, nullable: true })
  engine?: SummaryEngineKind | null = null;

  @Field(() => String, { description: 'One paragraph: what failed, where, and why.' })
  @Property({ type: 'text', nullable: true })
  explanation?: string | null = null;

  @Field(() => ErrorRootCause, {
    description: 'The root cause: exception, failing task, user frame, exit code.',
  })
  @Property({ type: 'json', nullable: true })
  rootCause?: RootCause | null = null;

  @Field(() => FailureFixKind, {
    nullable: true,
    description: 'The well-known cause recognised, if any.',
  })
  @Property({ type: 'string', length: 30, nullable: true })
  fixKind?: FixKind | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'A likely fix, for well-known causes (null otherwise).',
  })
  @Property({ type: 'text', nullable: true })
  fixHint?: string | null = null;

  @Field(() => [ErrorEvidence], { description: 'What it was written from.' })
  @Property({ type: 'json' })
  evidence: Evidence[] = [];

  @Field(() => String, {
    nullable: true,
    description:
      'Groups failures of the same cause: exception type, user frame and message with ids, numbers, paths and timestamps normalised (see `Workspace.failureGroups`).',
  })
  @Property({ type: 'string', length: 64, nullable: true })
  signature?: string | null = null;

  /** Normalised message of the signature, shown by failure groups. */
  @Property({ type: 'text', nullable: true })
  signatureMessage?: string | null = null;

  @Field(() => Date, { description: 'When the summary was written.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}

/**
 * The accounts' `aiErrorSummaries` setting, as the workspaces subgraph announces it
 * (`account.updated`): this subgraph never reads another's tables.
 */
@Entity({ tableName: 'error_summary_account' })
export class SummaryAccount {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  enabled: boolean = false;
}

/** The account of each workspace (`workspace.created`): whose setting applies to a failure. */
@Entity({ tableName: 'error_summary_workspace' })
export class SummaryWorkspace {
  @PrimaryKey({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'uuid', index: true })
  accountId!: string;
}

/** Language-model calls per account and UTC day (the daily budget). */
@Entity({ tableName: 'error_summary_llm_usage' })
export class SummaryLlmUsage {
  @PrimaryKey({ type: 'uuid' })
  accountId!: string;

  @PrimaryKey({ type: 'string', length: 10 })
  day!: string;

  @Property({ type: 'integer' })
  calls: number = 0;
}
