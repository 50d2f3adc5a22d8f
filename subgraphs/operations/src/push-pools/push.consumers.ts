import { isUuid } from '../../../../lib/db.js';
import type { DomainEvent } from '../../../../lib/bus.js';
import type { Em } from '../../../../lib/orm.js';
import {
  filteredBy,
  onlyWhen,
  payloadUuid,
  type ConsumerHandler,
  type OutboxHints,
} from '../../../../lib/outbox.js';
import { boundQuery } from '../../../../lib/plain-sql.js';
import { TERMINAL, type StateType } from '../orchestration/state-type.js';
import type { SubgraphRuntime } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { FLOW_RUN_PURGED, purgedRunIds, type PurgedRuns } from '../flow-runs/flow-run.cleanup.js';
import { FlowRunCredential, PushSubmission } from './push-entities.js';
import { pushSettingsOf } from './push.service.js';

const STATE_CHANGED = 'flow-run.state-changed';

const isTerminal = (p: { to?: { type?: string } } | null) => TERMINAL.has(p?.to?.type as StateType);

const runIdOf = (e: DomainEvent) => (e.payload as { runId?: string } | null)?.runId;

const OPEN_CREDENTIAL_HINT = 'openRunCredential';

/**
 * Whether a terminal state's run has a credential not yet revoked (false for a malformed run id),
 * read by the relay with the event (PostgreSQL; lib/outbox `OutboxHints`).
 */
export const pushOutboxHints: OutboxHints = {
  [OPEN_CREDENTIAL_HINT]:
    `case when outbox.type = '${STATE_CHANGED}' and outbox.payload->'to'->>'type' in ` +
    `(${[...TERMINAL].map((t) => `'${t}'`).join(', ')}) ` +
    `then exists (select 1 from flow_run_credential as c ` +
    `where c.flow_run_id = ${payloadUuid('runId')} and c.revoked_at is null) end`,
};

/**
 * The events of runs that have a credential not yet revoked (most runs are not pushed and have
 * none): the relay's hint, or read in one statement, outside any transaction, before the
 * consumer's transaction.
 */
async function withOpenCredentials(events: DomainEvent[], em: Em): Promise<DomainEvent[]> {
  const hinted = (e: DomainEvent) => e.hints?.[OPEN_CREDENTIAL_HINT];
  if (events.every((e) => typeof hinted(e) === 'boolean')) return events.filter(hinted);
  const ids = [...new Set(events.map(runIdOf).filter(isUuid))];
  if (!ids.length) return [];
  const rows: { flow_run_id: string }[] = await boundQuery(
    em,
    `select distinct flow_run_id from flow_run_credential where flow_run_id in (${ids.map(() => '?').join(', ')}) and revoked_at is null`,
    ids,
  );
  const open = new Set(rows.map((r) => String(r.flow_run_id)));
  return events.filter((e) => open.has(runIdOf(e) as string));
}

/**
 * Run-scoped credentials are revoked once their run is terminal, after a grace period for what
 * the run still reports (PUSH_CREDENTIAL_GRACE_SECONDS). The credential lookup applies it from
 * the state's time already (it reads the run) and the gateway drops its cached identities on the
 * same event; this marks the rows, so when each one stopped working stays on record. A terminal
 * state of a run without an open credential (every run a worker runs) costs one read and no
 * transaction (lib/outbox `filteredBy`).
 */
export const pushConsumers = (
  sub: SubgraphRuntime<OperationsContext>,
): Record<string, ConsumerHandler> => ({
  [STATE_CHANGED]: onlyWhen(
    isTerminal,
    filteredBy(
      withOpenCredentials,
      async (p: { runId?: string; to?: { type?: string }; timestamp?: string }, em) => {
        if (!isUuid(p.runId) || !isTerminal(p)) return;
        const t = p.timestamp ? new Date(p.timestamp) : new Date();
        const at = Number.isNaN(t.getTime()) ? new Date() : t;
        const grace = pushSettingsOf(sub).credentialGraceSeconds * 1000;
        await boundQuery(
          em as Em,
          'update flow_run_credential set revoked_at = ? where flow_run_id = ? and revoked_at is null',
          [new Date(at.getTime() + grace), p.runId],
          'run',
        );
      },
    ),
  ),
  // Deleted runs (by the retention or by hand): their submissions and credentials go with them.
  [FLOW_RUN_PURGED]: async (p: PurgedRuns, em) => {
    const runIds = purgedRunIds(p);
    if (!runIds.length) return;
    const where = { workspaceId: p.workspaceId, flowRunId: { $in: runIds } };
    await em.nativeDelete(PushSubmission, where);
    await em.nativeDelete(FlowRunCredential, where);
  },
});
