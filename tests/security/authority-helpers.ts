import { expect } from 'vitest';
import { SUBGRAPH_NAMES } from '../../gateway/src/transport.js';
import { codes, type GqlResult } from '../harness/client.js';
import type { Actor, Stack } from '../harness/stack.js';

type Gql = Pick<Actor, 'gql'>;

/**
 * Publishes what every subgraph's outbox holds, several rounds (a consumer's events are relayed
 * by its own subgraph): afterwards every chain of domain events set off so far has run.
 */
export async function settleAll(stack: Stack): Promise<void> {
  for (let round = 0; round < 4; round++)
    for (const name of SUBGRAPH_NAMES) await stack.running.subgraphs[name]!.relay.flush();
}

/** Runs a call and fails the test on any error. */
export async function ok<T = any>(
  by: Gql,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await by.gql(query, variables);
  expect(res.errors, `${query}: ${JSON.stringify(res.errors)}`).toBeUndefined();
  return res.data as T;
}

/** 'OK', or the one error code of the result. */
export function outcomeOf(res: GqlResult): string {
  const c = codes(res);
  if (!c.length) return 'OK';
  return c.length === 1 ? String(c[0]) : c.join('+');
}

const AUDIT = `query($accountId: ID!, $after: String, $filter: AuditEventFilter) {
  auditEvents(accountId: $accountId, first: 200, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges { node { action workspaceId summary actor { id } } }
  }
}`;

export interface AuditEntry {
  action: string;
  workspaceId: string | null;
  summary: Record<string, unknown>;
  actor: { id: string };
}

/** Every audit entry of an actor in an account, as a reader of the audit log sees them. */
export async function auditEntriesOf(
  reader: Gql,
  accountId: string,
  actorId: string,
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let after: string | null = null;
  for (;;) {
    const data: any = await ok(reader, AUDIT, { accountId, after, filter: { actorId } });
    out.push(...data.auditEvents.edges.map((e: { node: AuditEntry }) => e.node));
    if (!data.auditEvents.pageInfo.hasNextPage) return out;
    after = data.auditEvents.pageInfo.endCursor;
  }
}
