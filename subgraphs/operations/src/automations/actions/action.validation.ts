import { randomUUID } from 'node:crypto';
import type { EntityName } from '@mikro-orm/core';
import type { GraphQLError } from 'graphql';
import { authorize } from '../../../../../lib/ability.js';
import { isUuid } from '../../../../../lib/db.js';
import { badInput } from '../../../../../lib/errors.js';
import type { OperationsContext } from '../../context.js';
import type { ResourceKind } from '../../event-store/emit.js';
import { Deployment } from '../../deployments/deployment.entity.js';
import { DeploymentService } from '../../deployments/deployment.service.js';
import { FlowRun } from '../../flow-runs/flow-run.entity.js';
import { WorkPool } from '../../work-pools/work-pool.entity.js';
import { WorkPoolService } from '../../work-pools/work-pool.service.js';
import { WorkQueue } from '../../work-pools/work-queue.entity.js';
import { Automation } from '../automation.entity.js';
import { ActionTargetSource } from './action-type.js';
import type { AutomationActionInput } from './action.inputs.js';
import type { ActionHandler, StoredAction } from './action.types.js';
import { ACTION_HANDLERS } from './registry.js';

export const MAX_ACTIONS = 20;

/** Fields of the action input that only some types take (each handler returns what it took). */
const TYPED_FIELDS = ['parameters', 'state', 'message', 'webhook', 'incident'] as const;
/** Typed fields a handler stores under another key. */
const STORED_AS: Partial<Record<(typeof TYPED_FIELDS)[number], keyof StoredAction>> = {
  incident: 'options',
};

/** The subject type of each target kind. */
const SUBJECTS: Partial<Record<ResourceKind, string>> = {
  deployment: 'Deployment',
  'work-pool': 'WorkPool',
  'work-queue': 'WorkQueue',
  'flow-run': 'FlowRun',
  automation: 'Automation',
};

/**
 * Whether the saver may do what the action does to the selected object: the object is looked
 * up in the automation's workspace (in the query), then the act is authorised on it with the
 * saver's ability, access lists included. Missing, elsewhere or hidden: false (one answer for
 * all three); visible but not allowed: FORBIDDEN.
 */
async function targetAllowed(
  ctx: OperationsContext,
  handler: ActionHandler,
  workspaceId: string,
  id: string,
): Promise<boolean> {
  const kind = handler.target!;
  const subjectType = SUBJECTS[kind];
  if (!subjectType) return false;
  const act = handler.does.find(([, s]) => s === subjectType)?.[0] ?? 'read';
  try {
    switch (kind) {
      case 'deployment': {
        const d = await ctx.em.findOne(Deployment, { id, workspaceId });
        if (!d) return false;
        await new DeploymentService(ctx).authorizeDeployment(act, d);
        return true;
      }
      case 'work-pool': {
        const p = await ctx.em.findOne(WorkPool, { id, workspaceId });
        if (!p) return false;
        await new WorkPoolService(ctx).authorizePool(act, p);
        return true;
      }
      default: {
        const entities: Partial<Record<ResourceKind, EntityName<{ id: string }>>> = {
          'work-queue': WorkQueue,
          'flow-run': FlowRun,
          automation: Automation,
        };
        const row = await ctx.em.findOne(entities[kind]!, { id, workspaceId } as never);
        if (!row) return false;
        authorize(ctx, act, subjectType, { workspaceId, id });
        return true;
      }
    }
  } catch (err) {
    if ((err as GraphQLError).extensions?.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/**
 * Validates one list of actions (BAD_USER_INPUT with `<field>.<index>.<…>`): that the caller
 * may do what each action does in the workspace (FORBIDDEN otherwise), the target (SELECTED: an
 * object of the workspace the caller may act on; INFERRED: none given), then the fields of the
 * type through its handler. An action that names the id of a stored one keeps
 * that id (and its webhook secret unless a new one is given).
 */
export async function validateActions(
  ctx: OperationsContext,
  scope: { workspaceId: string; automationId: string; previous: Map<string, StoredAction> },
  inputs: AutomationActionInput[] | null | undefined,
  field: string,
): Promise<StoredAction[]> {
  const list = inputs ?? [];
  if (list.length > MAX_ACTIONS) throw badInput(field, `At most ${MAX_ACTIONS} actions`);
  const out: StoredAction[] = [];
  for (const [i, input] of list.entries()) {
    const f = `${field}.${i}`;
    const handler = ACTION_HANDLERS[input.type];
    if (input.id != null && !scope.previous.has(input.id))
      throw badInput(`${f}.id`, 'No action of this automation has this id');
    const id = input.id ?? randomUUID();
    // The automation will act with the saver's grants: the saver must be allowed to do this.
    for (const [action, subjectType] of handler.does)
      authorize(ctx, action, subjectType, { workspaceId: scope.workspaceId }, 'Workspace');
    let source = ActionTargetSource.SELECTED;
    let targetId: string | null = null;
    if (!handler.target) {
      if (input.targetId != null || input.source === ActionTargetSource.INFERRED)
        throw badInput(`${f}.targetId`, `${input.type} has no target`);
    } else {
      source = input.source ?? ActionTargetSource.SELECTED;
      if (source === ActionTargetSource.INFERRED) {
        if (input.targetId != null)
          throw badInput(`${f}.targetId`, 'An INFERRED target takes no targetId');
      } else {
        if (input.targetId == null)
          throw badInput(`${f}.targetId`, `Give a ${handler.target} id, or source INFERRED`);
        if (
          !isUuid(input.targetId) ||
          !(await targetAllowed(ctx, handler, scope.workspaceId, input.targetId))
        )
          throw badInput(`${f}.targetId`, `No such ${handler.target} in this workspace`);
        targetId = input.targetId;
      }
    }
    const own = handler.validate
      ? await handler.validate(input, f, {
          ctx,
          workspaceId: scope.workspaceId,
          automationId: scope.automationId,
          actionId: id,
          previous: scope.previous.get(id) ?? null,
        })
      : {};
    for (const k of TYPED_FIELDS)
      if (input[k] != null && !((STORED_AS[k] ?? k) in own))
        throw badInput(`${f}.${k}`, `${input.type} does not take ${k}`);
    out.push({ ...own, id, type: input.type, source, targetId });
  }
  return out;
}
