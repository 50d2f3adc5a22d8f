/**
 * An automation's actions and authority as stored on the automation row (plain data). Apart from
 * action.types.ts so that the entity does not depend on the request context.
 */
import type { ActsFor, WorkspaceRoleName } from '../../../../../lib/principal.js';
import type { StateType } from '../../orchestration/state-type.js';
import type { ActionTargetSource, ActionType } from './action-type.js';

/**
 * A webhook or notification as stored. `target` (URL and headers) and `secret` are encrypted
 * with the block key (additional data: the action id); actions stored before targets were
 * encrypted have `url` and `headers` in clear instead (webhook-target.ts reads both).
 */
export interface StoredWebhook {
  target?: string;
  /** Only on actions stored before targets were encrypted. */
  url?: string;
  method: 'POST' | 'PUT' | 'PATCH';
  /** Only on actions stored before targets were encrypted. */
  headers?: Record<string, string>;
  contentType: string;
  /** Body template (CALL_WEBHOOK; null: a JSON description of the firing) or notification body. */
  body: string | null;
  /** Notification subject template (SEND_NOTIFICATION). */
  subject: string | null;
  secret: string | null;
}

/** An action as stored on the automation (validated). */
export interface StoredAction {
  /** Stable id: kept across updates that name it, so the webhook secret can stay. */
  id: string;
  type: ActionType;
  source: ActionTargetSource;
  /** The object's id (uuid) for SELECTED targets. */
  targetId: string | null;
  /** RUN_DEPLOYMENT: parameters of the run (string values are templates). */
  parameters?: Record<string, unknown> | null;
  /** CHANGE_FLOW_RUN_STATE: the state to propose. */
  state?: { type: StateType; name: string | null; message: string | null } | null;
  /** A message for the state an action proposes (cancel, suspend, resume). */
  message?: string | null;
  webhook?: StoredWebhook | null;
  /** Settings of actions whose handlers keep their own fields (e.g. DECLARE_INCIDENT). */
  options?: Record<string, unknown> | null;
}

/**
 * What an automation's actions may do: the grants in the automation's workspace of whoever last
 * saved its trigger or actions, and that actor (access lists name it and its teams). Actions
 * never reach beyond this workspace nor beyond these permissions.
 */
export interface AutomationAuthority {
  accountId: string;
  role: WorkspaceRoleName | null;
  permissions: string[];
  actsFor: ActsFor;
}
