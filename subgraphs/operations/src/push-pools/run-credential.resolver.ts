import { Arg, Ctx, Directive, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { unauthenticated } from '../../../../lib/errors.js';
import type { OperationsContext } from '../context.js';
import './push.context.js';
import { FlowRun } from '../flow-runs/flow-run.entity.js';
import { TERMINAL } from '../orchestration/state-type.js';
import { FlowRunCredential } from './push-entities.js';

/** Internal: what a run-scoped credential stands for. Not part of the public API. */
@ObjectType({ description: 'Internal: the flow run behind a run-scoped credential.' })
@Directive('@inaccessible')
export class ResolvedRunCredential {
  @Field(() => ID, { description: 'The credential (audited as the API key used).' })
  id!: string;

  @Field(() => ID, { description: 'The one flow run it may read and report on.' })
  flowRunId!: string;

  @Field(() => ID, { description: 'The flow of the run (readable).' })
  flowId!: string;

  @Field(() => ID, { nullable: true, description: 'The deployment of the run (readable).' })
  deploymentId!: string | null;

  @Field(() => ID, { description: 'The workspace of the run.' })
  workspaceId!: string;

  @Field(() => ID, { description: 'The account of the workspace.' })
  accountId!: string;

  @Field(() => Date, { description: 'When the credential stops working.' })
  expiresAt!: Date;

  @Field(() => Boolean, {
    description: 'The run has ended: only its trailing logs and events are taken until expiresAt.',
  })
  ended!: boolean;
}

/** Last-used times are written at most this often per credential. */
const TOUCH_EVERY_MS = 60_000;

@Resolver()
export class RunCredentialResolver {
  @Directive('@inaccessible')
  @Query(() => ResolvedRunCredential, {
    nullable: true,
    description:
      'Internal (gateway only): the flow run behind the SHA-256 of a run-scoped credential; null when unknown, expired, revoked, or its run ended longer ago than the grace period.',
  })
  async _runCredential(
    @Arg('credentialHash', () => String) credentialHash: string,
    @Ctx() ctx: OperationsContext,
  ): Promise<ResolvedRunCredential | null> {
    if (ctx.principal.type !== 'system') throw unauthenticated('Internal operation');
    const now = new Date();
    const c = await ctx.em.findOne(FlowRunCredential, { keyHash: credentialHash });
    if (!c || (c.revokedAt && c.revokedAt <= now) || c.expiresAt <= now) return null;
    const run = await ctx.em.findOne(FlowRun, { id: c.flowRunId, workspaceId: c.workspaceId });
    if (!run) return null;
    // A run that ended keeps its credential for the grace period only (push.consumers.ts).
    const ended = TERMINAL.has(run.stateType);
    const until = ended ? new Date(run.stateTimestamp.getTime() + this.graceMs(ctx)) : c.expiresAt;
    if (until <= now) return null;
    if (!c.lastUsedAt || now.getTime() - c.lastUsedAt.getTime() > TOUCH_EVERY_MS)
      await ctx.em.nativeUpdate(FlowRunCredential, { id: c.id }, { lastUsedAt: now });
    return {
      id: c.id,
      flowRunId: run.id,
      flowId: run.flowId,
      deploymentId: run.deploymentId ?? null,
      workspaceId: run.workspaceId,
      accountId: c.accountId,
      expiresAt: until < c.expiresAt ? until : c.expiresAt,
      ended,
    };
  }

  private graceMs(ctx: OperationsContext): number {
    return ctx.pushSettings().credentialGraceSeconds * 1000;
  }
}
