import { badInput } from '../../../../lib/errors.js';
import type { Proposal } from './policy.js';
import { DEFAULT_NAME, STATE_TYPES, StateType } from './state-type.js';
import type { StateInput } from './state.types.js';

const MAX_PAUSE_SECONDS = 30 * 24 * 3600;

/** A client's proposed state, checked; BAD_USER_INPUT names the field (`state.type`, …). */
export function toProposal(input: StateInput, field = 'state'): Proposal {
  if (!STATE_TYPES.includes(input.type)) {
    throw badInput(`${field}.type`, `Unknown state type; one of ${STATE_TYPES.join(', ')}`);
  }
  const name = (input.name ?? DEFAULT_NAME[input.type]).trim();
  if (!name.length || name.length > 50)
    throw badInput(`${field}.name`, 'Must be 1 to 50 characters');
  if (input.message != null && input.message.length > 10_000) {
    throw badInput(`${field}.message`, 'At most 10000 characters');
  }
  let details: Record<string, unknown> = {};
  if (input.details != null) {
    if (typeof input.details !== 'object' || Array.isArray(input.details)) {
      throw badInput(`${field}.details`, 'Must be a JSON object');
    }
    if (JSON.stringify(input.details).length > 64 * 1024) {
      throw badInput(`${field}.details`, 'At most 64 KiB of JSON');
    }
    details = { ...(input.details as Record<string, unknown>) };
  }
  // Only the server sets a pause's expiry; clients give a timeout.
  delete details.pauseExpiresAt;
  if (details.scheduledTime !== undefined) {
    const t = typeof details.scheduledTime === 'string' ? new Date(details.scheduledTime) : null;
    if (!t || Number.isNaN(t.getTime())) {
      throw badInput(`${field}.details.scheduledTime`, 'Must be an ISO-8601 time');
    }
    if (input.type !== StateType.SCHEDULED) {
      throw badInput(
        `${field}.details.scheduledTime`,
        'Only a SCHEDULED state has a scheduled time',
      );
    }
    details.scheduledTime = t.toISOString();
  }
  if (details.pauseTimeoutSeconds !== undefined) {
    const s = details.pauseTimeoutSeconds;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > MAX_PAUSE_SECONDS) {
      throw badInput(
        `${field}.details.pauseTimeoutSeconds`,
        `An integer from 1 to ${MAX_PAUSE_SECONDS}`,
      );
    }
  }
  return { type: input.type, name, message: input.message ?? null, details };
}
