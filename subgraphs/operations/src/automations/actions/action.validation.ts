import { randomUUID } from 'node:crypto';
import { subject } from '@casl/ability';
import type { EntityName } from '@mikro-orm/core';
import { isUuid } from '../../../../../lib/db.js';
import { badInput } from '../../../../../lib/errors.js';
import type { OperationsContext } from '../../context.js';
import type { ResourceKind } from '../../events/emit.js';
import { DeploymentService } from '../../deployments/deployment.service.js';
import { FlowRun } from '../../flow-runs/flow-run.entity.js';
import { WorkPoolService } from '../../work-pools/work-pool.service.js';
import { WorkQueue } from '../../work-pools/work-queue.entity.js';
import { Automation } from '../automation.entity.js';
import { ActionTargetSource } from './action-type.js';
import type { AutomationActionInput } from './action.inputs.js';
import type { StoredAction } from './action.types.js';
import { ACTION_HANDLERS } from './registry.js';

export const MAX_ACTIONS = 20;

/** Fields of the action input that only some types take (each handler returns what it took). */
const TYPED_FIELDS = ['parameters', 'state', 'message', 'webhook', 'incident'] as const;
/** Typed fields a handler stores under another key. */
const STORED_AS: Partial<Record<(typeof TYPED_FIELDS)[number], keyof StoredAction>> = {
  incident: 'options',
};

/** Whether the caller can see `id` of `kind` in the workspace (selected targets must exist). */
async function targetVisible(
  ctx: OperationsContext,
  kind: ResourceKind,
  workspaceId: string,
  id: string,
): Promise<boolean> {
  switch (kind) {
    case 'deployment': {
      const d = await new DeploymentService(ctx).visible(id);
      return d?.workspaceId === workspaceId;
    }
    case 'work-pool': {
      const p = await new WorkPoolService(ctx).visiblePool(id);
      return p?.workspaceId === workspaceId;
    }
    default: {
      const entities: Partial<Record<ResourceKind, [EntityName<any>, string]>> = {
        'work-queue': [WorkQueue, 'WorkQueue'],
        'flow-run': [FlowRun, 'FlowRun'],
        automation: [Automation, 'Automation'],
      };
      const target = entities[kind];
      if (!target) return true;
      const row = (await ctx.em.findOne(target[0], { id, workspaceId })) as object | null;
      return Boolean(row) && ctx.ability.can('read', subject(target[1], { workspaceId, id }));
    }
  }
}

/**
 * Validates one list of actions (BAD_USER_INPUT with `<field>.<index>.<…>`): the target
 * (SELECTED: an object of the workspace the caller can see; INFERRED: none given), then the
 * fields of the type through its handler. An action that names the id of a stored one keeps
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
          !(await targetVisible(ctx, handler.target, scope.workspaceId, input.targetId))
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
