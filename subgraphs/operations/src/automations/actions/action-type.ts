import { registerEnumType } from 'type-graphql';

/** What an automation can do when it triggers or resolves (REFERENCE §6). */
export enum ActionType {
  RUN_DEPLOYMENT = 'RUN_DEPLOYMENT',
  PAUSE_DEPLOYMENT = 'PAUSE_DEPLOYMENT',
  RESUME_DEPLOYMENT = 'RESUME_DEPLOYMENT',
  PAUSE_WORK_POOL = 'PAUSE_WORK_POOL',
  RESUME_WORK_POOL = 'RESUME_WORK_POOL',
  PAUSE_WORK_QUEUE = 'PAUSE_WORK_QUEUE',
  RESUME_WORK_QUEUE = 'RESUME_WORK_QUEUE',
  PAUSE_AUTOMATION = 'PAUSE_AUTOMATION',
  RESUME_AUTOMATION = 'RESUME_AUTOMATION',
  CANCEL_FLOW_RUN = 'CANCEL_FLOW_RUN',
  SUSPEND_FLOW_RUN = 'SUSPEND_FLOW_RUN',
  RESUME_FLOW_RUN = 'RESUME_FLOW_RUN',
  CHANGE_FLOW_RUN_STATE = 'CHANGE_FLOW_RUN_STATE',
  SEND_NOTIFICATION = 'SEND_NOTIFICATION',
  CALL_WEBHOOK = 'CALL_WEBHOOK',
  DECLARE_INCIDENT = 'DECLARE_INCIDENT',
  PAUSE_WORKSPACE_ACTIVITY = 'PAUSE_WORKSPACE_ACTIVITY',
  RESUME_WORKSPACE_ACTIVITY = 'RESUME_WORKSPACE_ACTIVITY',
  DO_NOTHING = 'DO_NOTHING',
}
registerEnumType(ActionType, {
  name: 'AutomationActionType',
  description: 'What an automation action does.',
  valuesConfig: {
    RUN_DEPLOYMENT: { description: 'Create a run of a deployment (with `parameters`).' },
    PAUSE_DEPLOYMENT: { description: 'Pause a deployment (its schedules stop).' },
    RESUME_DEPLOYMENT: { description: 'Resume a paused deployment.' },
    PAUSE_WORK_POOL: { description: 'Pause a work pool (workers claim nothing from it).' },
    RESUME_WORK_POOL: { description: 'Resume a paused work pool.' },
    PAUSE_WORK_QUEUE: { description: 'Pause a work queue.' },
    RESUME_WORK_QUEUE: { description: 'Resume a paused work queue.' },
    PAUSE_AUTOMATION: { description: 'Disable an automation.' },
    RESUME_AUTOMATION: { description: 'Enable an automation.' },
    CANCEL_FLOW_RUN: {
      description: 'Cancel a flow run (CANCELLED before it runs, CANCELLING while it runs).',
    },
    SUSPEND_FLOW_RUN: { description: 'Suspend a RUNNING flow run (PAUSED, named Suspended).' },
    RESUME_FLOW_RUN: { description: 'Resume a PAUSED or suspended flow run.' },
    CHANGE_FLOW_RUN_STATE: { description: 'Propose a state (`state`) for a flow run.' },
    SEND_NOTIFICATION: {
      description: 'POST a templated subject and body (as JSON) to a URL (`webhook`).',
    },
    CALL_WEBHOOK: { description: 'Call a URL with a templated body (`webhook`).' },
    DECLARE_INCIDENT: { description: 'Declare an incident in the workspace.' },
    PAUSE_WORKSPACE_ACTIVITY: {
      description: "Pause the workspace's active deployments and work pools.",
    },
    RESUME_WORKSPACE_ACTIVITY: {
      description: 'Resume what PAUSE_WORKSPACE_ACTIVITY paused (and only that).',
    },
    DO_NOTHING: { description: 'Nothing: the firing is recorded as an event only.' },
  },
});

/** Where an action's target comes from. */
export enum ActionTargetSource {
  SELECTED = 'SELECTED',
  INFERRED = 'INFERRED',
}
registerEnumType(ActionTargetSource, {
  name: 'ActionTargetSource',
  description: 'Where an action finds the object it acts on.',
  valuesConfig: {
    SELECTED: { description: 'The object named by `targetId`.' },
    INFERRED: {
      description:
        'The triggering event’s resource, or its related resource of the kind the action needs.',
    },
  },
});
