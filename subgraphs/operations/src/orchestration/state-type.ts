import { registerEnumType } from 'type-graphql';

/** The nine state types of a run (REFERENCE §5). */
export enum StateType {
  SCHEDULED = 'SCHEDULED',
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  CRASHED = 'CRASHED',
  PAUSED = 'PAUSED',
  CANCELLING = 'CANCELLING',
}
registerEnumType(StateType, {
  name: 'StateType',
  description: 'What a run is doing; a state also has a display name (its sub-state).',
  valuesConfig: {
    SCHEDULED: { description: 'Waiting for its scheduled time (Late, AwaitingRetry, …).' },
    PENDING: { description: 'Handed to infrastructure, not yet running (Submitting, …).' },
    RUNNING: { description: 'Running (Retrying when on a retry).' },
    COMPLETED: { description: 'Finished successfully (terminal; Cached is one).' },
    FAILED: { description: 'Finished with an error (terminal; TimedOut is one).' },
    CANCELLED: { description: 'Cancelled (terminal).' },
    CRASHED: { description: 'Its infrastructure failed (terminal).' },
    PAUSED: { description: 'Paused or Suspended, waiting to be resumed before an expiry.' },
    CANCELLING: {
      description: 'Cancellation requested; only CANCELLED or a terminal state follows.',
    },
  },
});

export const STATE_TYPES = Object.values(StateType);
export const TERMINAL: ReadonlySet<StateType> = new Set([
  StateType.COMPLETED,
  StateType.FAILED,
  StateType.CANCELLED,
  StateType.CRASHED,
]);
/** States that hold a deployment concurrency slot or count against pool and queue limits. */
export const ACTIVE: ReadonlySet<StateType> = new Set([
  StateType.PENDING,
  StateType.RUNNING,
  StateType.CANCELLING,
]);

/** Display name of a state type when the proposal names none. */
export const DEFAULT_NAME: Record<StateType, string> = {
  SCHEDULED: 'Scheduled',
  PENDING: 'Pending',
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
  CRASHED: 'Crashed',
  PAUSED: 'Paused',
  CANCELLING: 'Cancelling',
};

/** The answer of the orchestration policy to a proposed state. */
export enum SetStateStatus {
  ACCEPT = 'ACCEPT',
  REJECT = 'REJECT',
  WAIT = 'WAIT',
  ABORT = 'ABORT',
}
registerEnumType(SetStateStatus, {
  name: 'SetStateStatus',
  description: 'What the orchestration policy made of a proposed state.',
  valuesConfig: {
    ACCEPT: { description: 'The proposed state is now the current state.' },
    REJECT: {
      description:
        'Not taken; `state` is the current state (the server may have set another one, e.g. AwaitingRetry).',
    },
    WAIT: { description: 'Propose again after `delaySeconds`.' },
    ABORT: { description: 'The transition can never happen; stop proposing it.' },
  },
});
