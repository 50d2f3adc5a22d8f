import { boundQuery } from '../../../../../lib/plain-sql.js';
import type { Em } from '../../../../../lib/orm.js';
import type { DomainEvent } from '../../../../../lib/bus.js';
import { BACKGROUND_LABEL, payloadUuid, type OutboxHints } from '../../../../../lib/outbox.js';
import { EVENT_EMITTED } from '../../event-store/emit.js';
import type { AutomationData } from '../actions/action.types.js';
import { Automation } from '../automation.entity.js';
import {
  walkTriggers,
  type EventTriggerSpec,
  type TriggerSpec,
} from '../triggers/trigger.schema.js';

export interface TriggerNode {
  path: string;
  parent: string | null;
  spec: TriggerSpec;
}

/** An automation ready to evaluate: plain data, its triggers by path, its event triggers. */
export interface CompiledAutomation extends AutomationData {
  nodes: Map<string, TriggerNode>;
  /** Event triggers in path order (buckets are locked in this order). */
  leaves: (TriggerNode & { spec: EventTriggerSpec })[];
}

export function compile(a: Automation): CompiledAutomation {
  const nodes = walkTriggers(a.trigger);
  return {
    id: a.id,
    workspaceId: a.workspaceId,
    name: a.name,
    actions: a.actions,
    actionsOnTrigger: a.actionsOnTrigger,
    actionsOnResolve: a.actionsOnResolve,
    authority: a.authority ?? null,
    nodes: new Map(nodes.map((n) => [n.path, n])),
    leaves: nodes
      .filter((n): n is TriggerNode & { spec: EventTriggerSpec } => n.spec.kind === 'event')
      .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)),
  };
}

const MAX_WORKSPACES = 10_000;

/** The hint the relay reads with each `event.emitted` row (`automationsOutboxHints`). */
export const REVISION_HINT = 'automationsRevision';

/**
 * The revision of an `event.emitted` event's workspace, read by the relay with the event
 * (PostgreSQL): 0 when the workspace never had an automation (nor has a malformed id, which the
 * consumer passes over before asking); null for other events.
 */
export const automationsOutboxHints: OutboxHints = {
  [REVISION_HINT]:
    `case when outbox.type = '${EVENT_EMITTED}' then coalesce((select r.revision ` +
    `from automation_revision as r where r.workspace_id = ${payloadUuid('workspaceId')}), 0) end`,
};

/** The hinted revision of a delivered event, when the relay read one. */
export function hintedRevision(event: DomainEvent): number | undefined {
  const v = event.hints?.[REVISION_HINT];
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined;
}

/** Revision bumps made by this process (any workspace): a transaction's memo is then stale. */
let localBumps = 0;

/** Called by `bumpRevision`: this process changed some workspace's automations. */
export function noteRevisionBump(): void {
  localBumps++;
}

/**
 * The enabled automations of each workspace, per process. Every change to a workspace's
 * automations bumps its revision row in the same transaction (automation.lifecycle.ts), so one
 * primary-key read per event tells whether the cached list is current, on any instance.
 */
export class AutomationCache {
  private readonly byWorkspace = new Map<
    string,
    { revision: number; automations: CompiledAutomation[] }
  >();

  /**
   * Revisions read in a transaction (a consumer applies a bus batch in one): one read per
   * workspace per batch rather than per event, read again after this process bumped any.
   */
  private readonly readIn = new WeakMap<Em, Map<string, { revision: number; bumps: number }>>();

  /**
   * `enabledIn` when the workspace's revision is known already (the relay's hint, read when it
   * took the event): no read when it is 0 (no automation was ever made there) or the cached
   * list's. An automation made after the event was taken does not see it, even when the event is
   * applied later (through Redis); one that was there is read afresh when the cache is older.
   */
  async enabledAt(
    em: Em,
    workspaceId: string,
    revision: number | undefined,
  ): Promise<CompiledAutomation[]> {
    if (revision === 0) return [];
    const cached = this.byWorkspace.get(workspaceId);
    if (revision !== undefined && cached?.revision === revision) return cached.automations;
    return this.enabledIn(em, workspaceId);
  }

  async enabledIn(em: Em, workspaceId: string): Promise<CompiledAutomation[]> {
    const revision = await this.revisionIn(em, workspaceId);
    if (revision === 0) return [];
    const cached = this.byWorkspace.get(workspaceId);
    if (cached?.revision === revision) return cached.automations;
    const rows = await em.find(
      Automation,
      { workspaceId, enabled: true },
      // Not managed: actions that change an automation must not see it written back.
      { orderBy: { id: 'asc' }, disableIdentityMap: true },
    );
    const automations = rows.map(compile);
    if (this.byWorkspace.size >= MAX_WORKSPACES) this.byWorkspace.clear();
    this.byWorkspace.set(workspaceId, { revision, automations });
    return automations;
  }

  private async revisionIn(em: Em, workspaceId: string): Promise<number> {
    let seen = this.readIn.get(em);
    const memo = seen?.get(workspaceId);
    if (memo && memo.bumps === localBumps) return memo.revision;
    const bumps = localBumps;
    // A plain statement (read on every event batch; the ORM's lookup cost several times the
    // statement), read afresh: the bump is a native statement too.
    const rows = await boundQuery<{ revision: number | string }[]>(
      em,
      'select revision from automation_revision where workspace_id = ?',
      [workspaceId],
      'all',
      { label: BACKGROUND_LABEL },
    );
    const revision = Number(rows[0]?.revision ?? 0);
    if (!seen) this.readIn.set(em, (seen = new Map()));
    seen.set(workspaceId, { revision, bumps });
    return revision;
  }
}
