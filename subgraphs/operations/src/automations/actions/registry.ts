/**
 * The action handler registry: one handler per action type. Each handler validates the
 * action's own fields at the edge and executes it inside a savepoint of the transaction that
 * fired the automation (see action.types.ts `ActionHandler`).
 *
 * To add an action: add its value to `ActionType` (action-type.ts), any input fields it needs
 * to `AutomationActionInput` (action.inputs.ts) and their stored form to `StoredAction.options`
 * or a field of its own, then its handler here.
 */
import { badInput } from '../../../../../lib/errors.js';
import { ActionType } from './action-type.js';
import type { ActionHandler } from './action.types.js';
import { objectActionHandlers } from './object-actions.js';
import { webhookActionHandlers } from './webhook-actions.js';

/**
 * For actions whose handler another part of the system provides (incidents): automations
 * cannot use them until it is registered here.
 */
const unavailable = (type: ActionType): ActionHandler => ({
  target: null,
  async validate(_input, field) {
    throw badInput(`${field}.type`, `${type} is not available on this server`);
  },
  async execute() {
    throw new Error(`${type} is not available on this server`);
  },
});

const doNothing: ActionHandler = {
  target: null,
  async execute() {
    return {};
  },
};

export const ACTION_HANDLERS: Record<ActionType, ActionHandler> = {
  ...objectActionHandlers,
  ...webhookActionHandlers,
  DO_NOTHING: doNothing,
  // Wired by the incidents module.
  DECLARE_INCIDENT: unavailable(ActionType.DECLARE_INCIDENT),
  PAUSE_WORKSPACE_ACTIVITY: unavailable(ActionType.PAUSE_WORKSPACE_ACTIVITY),
  RESUME_WORKSPACE_ACTIVITY: unavailable(ActionType.RESUME_WORKSPACE_ACTIVITY),
};
