import { expect } from 'vitest';
import { codes, type GqlResult } from '../harness/client.js';
import type { Actor } from '../harness/stack.js';

type Gql = Pick<Actor, 'gql'>;

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
