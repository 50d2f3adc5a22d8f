import { subject } from '@casl/ability';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import type { IncidentActionSettings } from '../incidents/incident-action.inputs.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { AutomationAction, type WebhookMethod } from './actions/action.inputs.js';
import type { StoredAction } from './actions/action.types.js';
import { maskTarget, openTarget } from './actions/webhook-target.js';
import { Automation } from './automation.entity.js';
import {
  AutomationConnection,
  AutomationFilter,
  AutomationState,
  CreateAutomationInput,
  SetAutomationEnabledInput,
  UpdateAutomationInput,
} from './automation.inputs.js';
import { AutomationService } from './automation.service.js';
import { AutomationTrigger, toTrigger } from './triggers/trigger.types.js';

/**
 * The stored action as the schema shows it: the webhook secret becomes `hasSecret`; the target
 * (URL and headers, often credentials) is decrypted, and masked for callers who may not manage
 * the workspace's automations (Viewers see where it goes, not how to call it).
 */
function toAction(a: StoredAction, ctx: OperationsContext, reveal: boolean): AutomationAction {
  const {
    secret,
    target: _sealed,
    ...webhook
  } = a.webhook ?? ({} as NonNullable<StoredAction['webhook']>);
  const target = a.webhook ? openTarget(ctx.blockCrypto, a.id, a.webhook) : null;
  return {
    id: a.id,
    type: a.type,
    source: a.source,
    targetId: a.targetId,
    parameters: a.parameters ?? null,
    state: a.state ?? null,
    message: a.message ?? null,
    webhook:
      a.webhook && target
        ? {
            ...webhook,
            ...(reveal ? target : maskTarget(target)),
            method: webhook.method as WebhookMethod,
            hasSecret: Boolean(secret),
          }
        : null,
    incident: (a.options?.incident as IncidentActionSettings | undefined) ?? null,
  };
}

/** Whether the caller may manage the automation (and so see its webhook targets in clear). */
const manages = (ctx: OperationsContext, a: Automation) =>
  ctx.ability.can('update', subject('Automation', { workspaceId: a.workspaceId, id: a.id }));

const actionsOf = (list: StoredAction[], a: Automation, ctx: OperationsContext) => {
  const reveal = manages(ctx, a);
  return list.map((x) => toAction(x, ctx, reveal));
};

@Resolver(() => Automation)
export class AutomationResolver {
  @Query(() => Automation, {
    nullable: true,
    description:
      'An automation by id (needs see_automations in its workspace; NOT_FOUND otherwise).',
  })
  automation(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<Automation> {
    return new AutomationService(ctx).get(id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() a: Automation): Workspace {
    return { id: a.workspaceId };
  }

  @FieldResolver(() => AutomationTrigger, { description: 'What makes it fire.' })
  trigger(@Root() a: Automation): typeof AutomationTrigger {
    return toTrigger(a.trigger);
  }

  @FieldResolver(() => [AutomationAction], { description: 'Actions run when it triggers.' })
  actions(@Root() a: Automation, @Ctx() ctx: OperationsContext): AutomationAction[] {
    return actionsOf(a.actions, a, ctx);
  }

  @FieldResolver(() => [AutomationAction], {
    description: 'More actions run when it triggers, after `actions`.',
  })
  actionsOnTrigger(@Root() a: Automation, @Ctx() ctx: OperationsContext): AutomationAction[] {
    return actionsOf(a.actionsOnTrigger, a, ctx);
  }

  @FieldResolver(() => [AutomationAction], { description: 'Actions run when a firing resolves.' })
  actionsOnResolve(@Root() a: Automation, @Ctx() ctx: OperationsContext): AutomationAction[] {
    return actionsOf(a.actionsOnResolve, a, ctx);
  }

  @FieldResolver(() => AutomationState, {
    description: 'Where its evaluation stands: open windows, counts, firings.',
  })
  state(@Root() a: Automation, @Ctx() ctx: OperationsContext): Promise<AutomationState> {
    return new AutomationService(ctx).state(a);
  }

  @Mutation(() => Automation, { description: 'Create an automation (needs manage_automations).' })
  createAutomation(
    @Arg('input', () => CreateAutomationInput) input: CreateAutomationInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Automation> {
    return new AutomationService(ctx).create(input);
  }

  @Mutation(() => Automation, { description: 'Change an automation (needs manage_automations).' })
  updateAutomation(
    @Arg('input', () => UpdateAutomationInput) input: UpdateAutomationInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Automation> {
    return new AutomationService(ctx).update(input);
  }

  @Mutation(() => Automation, {
    description: 'Enable or disable an automation (needs manage_automations).',
  })
  setAutomationEnabled(
    @Arg('input', () => SetAutomationEnabledInput) input: SetAutomationEnabledInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Automation> {
    return new AutomationService(ctx).setEnabled(input);
  }

  @Mutation(() => ID, {
    description: 'Delete an automation (needs manage_automations); returns its id.',
  })
  deleteAutomation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<string> {
    return new AutomationService(ctx).delete(id);
  }

  @Mutation(() => [ID], {
    description:
      'Delete the workspace’s automations owned by a resource (their ownerResource), created before now (needs manage_automations); returns their ids, none when it owns none.',
  })
  deleteAutomationsOwnedBy(
    @Arg('workspaceId', () => ID, { description: 'The workspace of the automations.' })
    workspaceId: string,
    @Arg('resourceId', () => String, {
      description: 'The owning resource, e.g. `prefect.deployment.<id>`.',
    })
    resourceId: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<string[]> {
    return new AutomationService(ctx).deleteOwnedBy(workspaceId, resourceId);
  }
}

@Resolver(() => Workspace)
export class WorkspaceAutomationsResolver {
  @FieldResolver(() => AutomationConnection, {
    description: 'Automations of the workspace, oldest first (needs see_automations).',
  })
  automations(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => AutomationFilter, {
      nullable: true,
      description: 'Which automations to list.',
    })
    filter: AutomationFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<AutomationConnection> {
    return new AutomationService(ctx).list(workspace.id, args, filter);
  }
}
