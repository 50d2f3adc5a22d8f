import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import type { OperationsContext } from '../context.js';
import { ServiceAccountRef, UserRef } from '../../../../lib/entity-refs.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { Flow } from './flow.entity.js';
import { CreateFlowInput, FlowConnection, FlowFilter, UpdateFlowInput } from './flow.inputs.js';
import { FlowService } from './flow.service.js';
import { ActorType } from '../../../../lib/graphql-enums.js';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';

@Resolver(() => Flow)
export class FlowResolver {
  @Query(() => Flow, {
    nullable: true,
    description: 'A flow by id (needs see_flows in its workspace; NOT_FOUND otherwise).',
  })
  flow(
    @Arg('id', () => ID) id: string,
    @WorkspaceBoundArg('flow') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<Flow> {
    return new FlowService(ctx).get(id, workspaceId);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() flow: Flow): Workspace {
    return { id: flow.workspaceId };
  }

  @FieldResolver(() => UserRef, {
    nullable: true,
    description: 'The user who created it; null when a service account did.',
  })
  createdBy(@Root() flow: Flow): UserRef | null {
    return flow.createdByType === ActorType.USER ? { id: flow.createdById } : null;
  }

  @FieldResolver(() => ServiceAccountRef, {
    nullable: true,
    description: 'The service account that created it; null when a user did.',
  })
  createdByServiceAccount(@Root() flow: Flow): ServiceAccountRef | null {
    return flow.createdByType === ActorType.SERVICE_ACCOUNT ? { id: flow.createdById } : null;
  }

  @Mutation(() => Flow, { description: 'Create a flow (needs manage_flows).' })
  createFlow(
    @Arg('input', () => CreateFlowInput) input: CreateFlowInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Flow> {
    return new FlowService(ctx).create(input);
  }

  @Mutation(() => Flow, {
    description:
      'The flow of this name in the workspace, created when absent (an existing flow needs see_flows, a new one manage_flows); tags and labels apply only to a new flow. Prefect clients register flows this way.',
  })
  ensureFlow(
    @Arg('input', () => CreateFlowInput) input: CreateFlowInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Flow> {
    return new FlowService(ctx).ensure(input);
  }

  @Mutation(() => Flow, {
    description: "Change a flow's name, tags or labels (needs manage_flows).",
  })
  updateFlow(
    @Arg('input', () => UpdateFlowInput) input: UpdateFlowInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<Flow> {
    return new FlowService(ctx).update(input);
  }

  @Mutation(() => ID, { description: 'Delete a flow (needs manage_flows); returns its id.' })
  deleteFlow(@Arg('id', () => ID) id: string, @Ctx() ctx: OperationsContext): Promise<string> {
    return new FlowService(ctx).delete(id);
  }
}

@Resolver(() => Workspace)
export class WorkspaceFlowsResolver {
  @FieldResolver(() => FlowConnection, {
    description: 'Flows of the workspace, oldest first (needs see_flows).',
  })
  flows(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => FlowFilter, { nullable: true, description: 'Which flows to list.' })
    filter: FlowFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<FlowConnection> {
    return new FlowService(ctx).listForWorkspace(workspace.id, args, filter);
  }
}
