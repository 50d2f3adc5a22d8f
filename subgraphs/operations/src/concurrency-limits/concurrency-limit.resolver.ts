import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ConnectionArgs } from '../../../../lib/pagination.js';
import { WorkspaceBoundArg } from '../../../../lib/workspace-bound.js';
import type { OperationsContext } from '../context.js';
import { Workspace } from '../tenancy/workspace.type.js';
import { ConcurrencyLimit } from './concurrency-limit.entity.js';
import {
  AcquireConcurrencySlotsInput,
  AcquireConcurrencySlotsResult,
  ConcurrencyLimitConnection,
  ConcurrencyLimitFilter,
  CreateConcurrencyLimitInput,
  UpdateConcurrencyLimitInput,
} from './concurrency-limit.inputs.js';
import { ConcurrencyLimitService } from './concurrency-limit.service.js';

@Resolver(() => ConcurrencyLimit)
export class ConcurrencyLimitResolver {
  @Query(() => ConcurrencyLimit, {
    nullable: true,
    description: 'A concurrency limit by id (needs see_concurrency_limits; NOT_FOUND otherwise).',
  })
  concurrencyLimit(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<ConcurrencyLimit> {
    return new ConcurrencyLimitService(ctx).get(id);
  }

  @FieldResolver(() => Int, { description: 'Slots held by unexpired leases now.' })
  async activeSlots(@Root() l: ConcurrencyLimit, @Ctx() ctx: OperationsContext): Promise<number> {
    return ctx.loaders.activeSlotsByLimitId.load(l.id);
  }

  @FieldResolver(() => Workspace, { description: 'The workspace it belongs to.' })
  workspace(@Root() l: ConcurrencyLimit): Workspace {
    return { id: l.workspaceId };
  }

  @Mutation(() => ConcurrencyLimit, {
    description: 'Create a tag or named concurrency limit (needs manage_concurrency_limits).',
  })
  createConcurrencyLimit(
    @Arg('input', () => CreateConcurrencyLimitInput) input: CreateConcurrencyLimitInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<ConcurrencyLimit> {
    return new ConcurrencyLimitService(ctx).create(input);
  }

  @Mutation(() => ConcurrencyLimit, {
    description: 'Resize or (de)activate a concurrency limit (needs manage_concurrency_limits).',
  })
  updateConcurrencyLimit(
    @Arg('input', () => UpdateConcurrencyLimitInput) input: UpdateConcurrencyLimitInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<ConcurrencyLimit> {
    return new ConcurrencyLimitService(ctx).update(input);
  }

  @Mutation(() => ID, {
    description: 'Delete a concurrency limit and its leases (needs manage_concurrency_limits).',
  })
  deleteConcurrencyLimit(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<string> {
    return new ConcurrencyLimitService(ctx).delete(id);
  }

  @Mutation(() => AcquireConcurrencySlotsResult, {
    description:
      'Take slots on named and tag limits, all or nothing (needs write_flow_runs); WAIT and REJECT are answers, not errors.',
  })
  acquireConcurrencySlots(
    @Arg('input', () => AcquireConcurrencySlotsInput) input: AcquireConcurrencySlotsInput,
    @Ctx() ctx: OperationsContext,
  ): Promise<AcquireConcurrencySlotsResult> {
    return new ConcurrencyLimitService(ctx).acquire(input);
  }

  @Mutation(() => Boolean, {
    description:
      'Free the slots of a lease (needs write_flow_runs); false when it was already released or expired.',
  })
  releaseConcurrencySlots(
    @Arg('leaseId', () => ID) leaseId: string,
    @WorkspaceBoundArg('lease') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<boolean> {
    return new ConcurrencyLimitService(ctx).release(leaseId, workspaceId);
  }

  @Mutation(() => Boolean, {
    description:
      'Extend a live lease to leaseSeconds from now (needs write_flow_runs); false when it was released or has expired.',
  })
  renewConcurrencyLease(
    @Arg('leaseId', () => ID, { description: 'The lease.' }) leaseId: string,
    @Arg('leaseSeconds', () => Int, {
      description: 'New lifetime from now (1 to the maximum lease).',
    })
    leaseSeconds: number,
    @WorkspaceBoundArg('lease') workspaceId: string | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<boolean> {
    return new ConcurrencyLimitService(ctx).renew(leaseId, leaseSeconds, workspaceId);
  }
}

@Resolver(() => Workspace)
export class WorkspaceConcurrencyLimitsResolver {
  @FieldResolver(() => ConcurrencyLimitConnection, {
    description:
      'Concurrency limits of the workspace, oldest first (needs see_concurrency_limits).',
  })
  concurrencyLimits(
    @Root() workspace: Workspace,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => ConcurrencyLimitFilter, { nullable: true, description: 'Which limits.' })
    filter: ConcurrencyLimitFilter | null,
    @Ctx() ctx: OperationsContext,
  ): Promise<ConcurrencyLimitConnection> {
    return new ConcurrencyLimitService(ctx).list(workspace.id, args, filter);
  }
}
