/**
 * Actions on objects of the workspace (deployments, work pools and queues, automations, flow
 * runs). Their target was found in the automation's workspace (run-actions.ts); they go through
 * the same services as the API, with the automation's context (its saver's grants in this
 * workspace only), so every rule (permissions, access lists, orchestration policy, pausing side
 * effects, domain events) applies.
 */
import { authorize } from '../../../../../lib/ability.js';
import { badInput } from '../../../../../lib/errors.js';
import { eventScope } from '../../common/event-scope.js';
import { DeploymentService } from '../../deployments/deployment.service.js';
import { validateJsonObject } from '../../deployments/parameters.js';
import { FlowRun } from '../../flow-runs/flow-run.entity.js';
import { FlowRunService } from '../../flow-runs/flow-run.service.js';
import { SetStateStatus, StateType, DEFAULT_NAME } from '../../orchestration/state-type.js';
import type { StateInput } from '../../orchestration/state.types.js';
import { toProposal } from '../../orchestration/proposal.js';
import { WorkPoolService } from '../../work-pools/work-pool.service.js';
import { applyEnabled } from '../automation.lifecycle.js';
import { Automation } from '../automation.entity.js';
import { resourceId } from '../../event-store/emit.js';
import type { ActionHandler, ActionRun } from './action.types.js';
import { renderDeep } from './template.js';
import { templateValues } from './template-values.js';

const MAX_MESSAGE = 10_000;

function message(input: { message?: string | null }, field: string): string | null {
  if (input.message == null) return null;
  if (input.message.length > MAX_MESSAGE)
    throw badInput(`${field}.message`, `At most ${MAX_MESSAGE} characters`);
  return input.message;
}

const deploymentPause = (paused: boolean): ActionHandler => ({
  target: 'deployment',
  does: [['update', 'Deployment']],
  async execute(r) {
    await new DeploymentService(r.ctx).setPaused(r.targetId!, paused);
    return {};
  },
});

const poolPause = (paused: boolean): ActionHandler => ({
  target: 'work-pool',
  does: [['update', 'WorkPool']],
  async execute(r) {
    await new WorkPoolService(r.ctx).setPoolPaused(r.targetId!, paused);
    return {};
  },
});

const queuePause = (paused: boolean): ActionHandler => ({
  target: 'work-queue',
  does: [['update', 'WorkQueue']],
  async execute(r) {
    await new WorkPoolService(r.ctx).updateQueue({ id: r.targetId!, paused });
    return {};
  },
});

const automationEnabled = (enabled: boolean): ActionHandler => ({
  target: 'automation',
  does: [['update', 'Automation']],
  async execute(r) {
    const a = await r.em.findOne(Automation, {
      id: r.targetId!,
      workspaceId: r.automation.workspaceId,
    });
    if (!a) throw new Error('Automation not found');
    authorize(r.ctx, 'update', 'Automation', { workspaceId: a.workspaceId, id: a.id });
    await applyEnabled(r.em, a, enabled, eventScope(r.ctx, a.workspaceId), r.now);
    return {};
  },
});

/** Proposes a state for the target run; anything but ACCEPT fails the action with the reason. */
async function proposeState(r: ActionRun, build: (run: FlowRun) => StateInput) {
  const run = await r.em.findOne(FlowRun, {
    id: r.targetId!,
    workspaceId: r.automation.workspaceId,
  });
  if (!run) throw new Error('FlowRun not found');
  const state = build(run);
  const result = await new FlowRunService(r.ctx).setState({ flowRunId: run.id, state });
  if (result.status !== SetStateStatus.ACCEPT)
    throw new Error(`${result.status}: ${result.reason ?? 'the state was not accepted'}`);
  return { detail: { state: { type: result.state.type, name: result.state.name } } };
}

const ACTIVE_RUN = new Set<StateType>([StateType.PENDING, StateType.RUNNING]);

const FLOW_RUN_STATE = [['write', 'FlowRun']] as const;

const cancelRun: ActionHandler = {
  target: 'flow-run',
  does: FLOW_RUN_STATE,
  async validate(input, field) {
    return { message: message(input, field) };
  },
  execute: (r) =>
    proposeState(r, (run) => {
      // A run on infrastructure is asked to stop (its worker ends it as CANCELLED).
      const type = ACTIVE_RUN.has(run.stateType) ? StateType.CANCELLING : StateType.CANCELLED;
      return {
        type,
        name: DEFAULT_NAME[type],
        message: r.action.message ?? 'Cancelled by an automation',
      };
    }),
};

const suspendRun: ActionHandler = {
  target: 'flow-run',
  does: FLOW_RUN_STATE,
  async validate(input, field) {
    return { message: message(input, field) };
  },
  execute: (r) =>
    proposeState(r, () => ({
      type: StateType.PAUSED,
      name: 'Suspended',
      message: r.action.message ?? 'Suspended by an automation',
    })),
};

const resumeRun: ActionHandler = {
  target: 'flow-run',
  does: FLOW_RUN_STATE,
  async validate(input, field) {
    return { message: message(input, field) };
  },
  execute: (r) =>
    proposeState(r, (run) => {
      if (run.stateType !== StateType.PAUSED)
        throw new Error(`The run is ${run.stateType}, not PAUSED`);
      // A suspended run gave up its infrastructure: it is scheduled again for a worker.
      const suspended = run.stateName === 'Suspended';
      return {
        type: suspended ? StateType.SCHEDULED : StateType.RUNNING,
        name: suspended ? 'Resuming' : 'Running',
        message: r.action.message ?? 'Resumed by an automation',
      };
    }),
};

const changeRunState: ActionHandler = {
  target: 'flow-run',
  does: FLOW_RUN_STATE,
  async validate(input, field) {
    if (!input.state) throw badInput(`${field}.state`, 'CHANGE_FLOW_RUN_STATE needs a state');
    const p = toProposal({ ...input.state, details: null }, `${field}.state`);
    return { state: { type: p.type, name: input.state.name ? p.name : null, message: p.message } };
  },
  execute: (r) =>
    proposeState(r, () => ({
      type: r.action.state!.type,
      name: r.action.state!.name,
      message: r.action.state!.message,
    })),
};

const runDeployment: ActionHandler = {
  target: 'deployment',
  does: [['run', 'Deployment']],
  async validate(input, field) {
    return {
      parameters:
        input.parameters == null
          ? null
          : validateJsonObject(input.parameters, `${field}.parameters`),
    };
  },
  async execute(r) {
    const parameters = r.action.parameters
      ? renderDeep(r.action.parameters, templateValues(r.automation, r.firing))
      : null;
    const run = await new FlowRunService(r.ctx).create({
      deploymentId: r.targetId!,
      parameters,
      labels: { 'flowplane.automation.id': r.automation.id },
    });
    return {
      detail: { flowRunId: run.id },
      related: [{ id: resourceId('flow-run', run.id), role: 'flow-run' }],
    };
  },
};

/** Handlers of the actions on workspace objects. */
export const objectActionHandlers = {
  RUN_DEPLOYMENT: runDeployment,
  PAUSE_DEPLOYMENT: deploymentPause(true),
  RESUME_DEPLOYMENT: deploymentPause(false),
  PAUSE_WORK_POOL: poolPause(true),
  RESUME_WORK_POOL: poolPause(false),
  PAUSE_WORK_QUEUE: queuePause(true),
  RESUME_WORK_QUEUE: queuePause(false),
  PAUSE_AUTOMATION: automationEnabled(false),
  RESUME_AUTOMATION: automationEnabled(true),
  CANCEL_FLOW_RUN: cancelRun,
  SUSPEND_FLOW_RUN: suspendRun,
  RESUME_FLOW_RUN: resumeRun,
  CHANGE_FLOW_RUN_STATE: changeRunState,
} satisfies Record<string, ActionHandler>;
