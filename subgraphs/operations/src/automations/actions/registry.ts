/**
 * The action handler registry: one handler per action type. Each handler validates the
 * action's own fields at the edge and executes it inside a savepoint of the transaction that
 * fired the automation (see action.types.ts `ActionHandler`).
 *
 * To add an action: add its value to `ActionType` (action-type.ts), any input fields it needs
 * to `AutomationActionInput` (action.inputs.ts) and their stored form to `StoredAction.options`
 * or a field of its own, then its handler here.
 */
import { incidentActionHandlers } from '../../incidents/incident-actions.js';
import type { ActionType } from './action-type.js';
import type { ActionHandler } from './action.types.js';
import { objectActionHandlers } from './object-actions.js';
import { webhookActionHandlers } from './webhook-actions.js';

const doNothing: ActionHandler = {
  target: null,
  does: [],
  async execute() {
    return {};
  },
};

export const ACTION_HANDLERS: Record<ActionType, ActionHandler> = {
  ...objectActionHandlers,
  ...webhookActionHandlers,
  // DECLARE_INCIDENT, PAUSE_WORKSPACE_ACTIVITY, RESUME_WORKSPACE_ACTIVITY.
  ...incidentActionHandlers,
  DO_NOTHING: doNothing,
};
