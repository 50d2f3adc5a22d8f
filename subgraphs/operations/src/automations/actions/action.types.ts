import type { Em } from '../../../../../lib/orm.js';
import type { SubgraphRuntime } from '../../../../../lib/module.js';
import type { OperationsContext } from '../../context.js';
import type { EventJson, ResourceKind } from '../../event-store/emit.js';
import type { AutomationActionInput } from './action.inputs.js';
import type { AutomationAuthority, StoredAction } from './stored-action.js';

export type { AutomationAuthority, StoredAction, StoredWebhook } from './stored-action.js';

/** The automation as the evaluator and the actions see it (plain data, never a managed entity). */
export interface AutomationData {
  id: string;
  workspaceId: string;
  name: string;
  actions: StoredAction[];
  actionsOnTrigger: StoredAction[];
  actionsOnResolve: StoredAction[];
  authority?: AutomationAuthority | null;
}

/** A firing or resolution of an automation, as its lifecycle event announced it. */
export interface Firing {
  kind: 'triggered' | 'resolved';
  /** The `flowplane.automation.triggered` / `.resolved` event id. */
  eventId: string;
  /** The event that caused it (null: a PROACTIVE window that opened without one). */
  event: EventJson | null;
  /** How many automation firings led to this one (loop guard). */
  depth: number;
}

/** One action to run, with its resolved target. */
export interface ActionRun {
  sub: SubgraphRuntime<OperationsContext>;
  /** The entity manager of the action's savepoint. */
  em: Em;
  /** A system context whose `transaction` runs inside the savepoint (services work unchanged). */
  ctx: OperationsContext;
  automation: AutomationData;
  action: StoredAction;
  firing: Firing;
  /** The target's id (uuid), when the handler has a target kind. */
  targetId: string | null;
  now: Date;
}

/** What an action did: shown in `flowplane.automation.action.executed`. */
export interface ActionResult {
  /** Extra payload of the executed event (e.g. the created run's id). */
  detail?: Record<string, unknown>;
  /** Extra related resources of the executed event (e.g. the created run). */
  related?: { id: string; role: string }[];
  /**
   * The outcome is announced later by whoever completes the action (webhook deliveries):
   * no executed event now.
   */
  deferred?: boolean;
}

/** What the edge validation knows when it validates an action's own fields. */
export interface ActionValidation {
  ctx: OperationsContext;
  workspaceId: string;
  automationId: string;
  /** The action's id (new, or the one it replaces on update). */
  actionId: string;
  /** The stored action of the same id before an update (to keep a webhook secret). */
  previous: StoredAction | null;
}

/**
 * How one action type is validated and run. `execute` runs in a savepoint of the consumer's
 * transaction: throwing fails this action only (`flowplane.automation.action.failed` with the
 * error's message); the trigger and the other actions stand.
 */
export interface ActionHandler {
  /** The kind of object the action acts on (its target); null when it has none. */
  target: ResourceKind | null;
  /**
   * What the action does, as CASL action and subject type (on its target, or in the workspace):
   * whoever saves the automation must be allowed to do it, and the automation acts with that
   * person's grants.
   */
  does: readonly (readonly [action: string, subject: string])[];
  /** Validates and stores the action's own fields (BAD_USER_INPUT under `field`). */
  validate?(
    input: AutomationActionInput,
    field: string,
    v: ActionValidation,
  ): Promise<Partial<StoredAction>>;
  execute(run: ActionRun): Promise<ActionResult>;
}
