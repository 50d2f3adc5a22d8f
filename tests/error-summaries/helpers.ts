import { expect } from 'vitest';
import type { Subgraph } from '../../lib/subgraph.js';
import type { OperationsContext } from '../../subgraphs/operations/src/context.js';
import { createWorkspace } from '../harness/seed.js';
import type { Actor, Stack } from '../harness/stack.js';
import { createFlow, createRun, ok, setState } from '../operations/fixtures.js';

type Gql = Pick<Actor, 'gql'>;

export const SUMMARY_FIELDS = `id flowRunId stateId engine explanation fixKind fixHint signature createdAt failedAt
  rootCause { exceptionType message taskName taskRunId file line function chain exitCode }
  evidence { source logSeq excerpt }`;
export const RUN_SUMMARY = `query($id: ID!) { flowRun(id: $id) { id errorSummary { ${SUMMARY_FIELDS} } } }`;

const operations = (stack: Stack) =>
  stack.running.subgraphs.operations as Subgraph<OperationsContext>;

/** One pass of the error-summary writer (tests drive background services by hand, `now` included). */
export async function writeSummaries(stack: Stack, now?: Date): Promise<number> {
  await stack.quiesce();
  const service = operations(stack).services.find((s) => s.name === 'error-summaries')!;
  const n = await service.runOnce(now);
  await stack.quiesce();
  return n;
}

export async function setSummaries(stack: Stack, owner: Actor, on: boolean): Promise<void> {
  await ok(
    owner,
    `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
    { input: { accountId: owner.accountId, aiErrorSummaries: on } },
  );
  await stack.quiesce();
}

export async function workspaceOf(stack: Stack, owner: Actor): Promise<string> {
  const ws = await createWorkspace(owner, owner.accountId);
  await stack.quiesce();
  return ws.id;
}

/**
 * A flow run that logs `lines` (ERROR unless given) and then enters `final` (FAILED or
 * CRASHED) with `message`; returns the run id and the final state's id.
 */
export async function failingRun(
  by: Gql,
  workspaceId: string,
  opts: {
    lines: (string | { message: string; level: number })[];
    final: 'FAILED' | 'CRASHED';
    message: string | null;
    flowId?: string;
    deploymentId?: string;
  },
): Promise<{ runId: string; stateId: string }> {
  const run = opts.deploymentId
    ? await createRun(by, { deploymentId: opts.deploymentId })
    : await createRun(by, { flowId: opts.flowId ?? (await createFlow(by, workspaceId)).id });
  await setState(by, run.id, { type: 'PENDING' });
  await setState(by, run.id, { type: 'RUNNING' });
  if (opts.lines.length) {
    const now = Date.now();
    await ok(by, `mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
      input: {
        workspaceId,
        logs: opts.lines.map((l, i) => ({
          flowRunId: run.id,
          level: typeof l === 'string' ? 40 : l.level,
          message: typeof l === 'string' ? l : l.message,
          timestamp: new Date(now + i).toISOString(),
        })),
      },
    });
  }
  const res = await setState(by, run.id, { type: opts.final, message: opts.message });
  expect(res.status).toBe('ACCEPT');
  return { runId: run.id, stateId: res.state.id };
}

export async function summaryOf(by: Gql, runId: string) {
  const res = await by.gql(RUN_SUMMARY, { id: runId });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.flowRun.errorSummary;
}
