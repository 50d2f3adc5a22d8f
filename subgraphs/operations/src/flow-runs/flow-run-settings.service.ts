import { requireActor, requireAuthenticated } from '../../../../lib/actor.js';
import { authorize } from '../../../../lib/ability.js';
import { badInput } from '../../../../lib/errors.js';
import { recordEvent } from '../../../../lib/outbox.js';
import { eventScope } from '../common/event-scope.js';
import type { OperationsContext } from '../context.js';
import type { SetFlowRunRetentionInput } from './flow-run-settings.inputs.js';
import {
  DEFAULT_FLOW_RUN_RETENTION_DAYS,
  FlowRunSettings,
  MAX_FLOW_RUN_RETENTION_DAYS,
} from './flow-run-settings.entity.js';

/** A workspace's flow-run settings: how long its finished runs are kept. */
export class FlowRunSettingsService {
  constructor(private readonly ctx: OperationsContext) {}

  /** Days the workspace keeps its finished flow runs (any member may read it). */
  async retention(workspaceId: string): Promise<number> {
    requireAuthenticated(this.ctx.principal);
    authorize(this.ctx, 'read', 'Workspace', { id: workspaceId }, 'Workspace');
    const s = await this.ctx.em.findOne(FlowRunSettings, { workspaceId });
    return s?.retentionDays ?? DEFAULT_FLOW_RUN_RETENTION_DAYS;
  }

  /** Sets how long the workspace keeps its finished flow runs (needs manage_workspace_settings). */
  async setRetention(input: SetFlowRunRetentionInput): Promise<{ id: string }> {
    requireActor(this.ctx.principal);
    const workspaceId = input.workspaceId;
    authorize(this.ctx, 'update', 'Workspace', { id: workspaceId }, 'Workspace');
    const days = input.days;
    if (!Number.isInteger(days) || days < 1 || days > MAX_FLOW_RUN_RETENTION_DAYS)
      throw badInput('days', `An integer from 1 to ${MAX_FLOW_RUN_RETENTION_DAYS}`);
    await this.ctx.transaction(async (em) => {
      const existing = await em.findOne(FlowRunSettings, { workspaceId });
      const previousDays = existing?.retentionDays ?? DEFAULT_FLOW_RUN_RETENTION_DAYS;
      // An upsert: two first settings at once both succeed (the last one wins).
      await em.upsert(FlowRunSettings, {
        workspaceId,
        retentionDays: days,
        updatedAt: new Date(),
      } as FlowRunSettings);
      recordEvent(em, 'workspace.flow-run-retention-set', {
        ...eventScope(this.ctx, workspaceId),
        days,
        previousDays,
      });
    });
    return { id: workspaceId };
  }
}
