import { expect } from 'vitest';
import type { GqlResult } from '../harness/client.js';
import type { Actor } from '../harness/stack.js';
import { eventually } from '../harness/seed.js';

/** A GraphQL call with headers of our choosing (X-Forwarded-For behind TRUST_PROXY). */
export async function call(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  opts: { token?: string; ip?: string } = {},
): Promise<GqlResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.ip ? { 'x-forwarded-for': opts.ip } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Pick<GqlResult, 'data' | 'errors'>;
  return { status: res.status, data: body.data, errors: body.errors, headers: res.headers };
}

export interface AuditEntry {
  action: string;
  workspaceId: string | null;
  resourceType: string;
  resourceId: string | null;
  summary: Record<string, unknown>;
  actor: { type: string; id: string; ip: string | null };
}

const AUDIT = `query($accountId: ID!, $after: String, $filter: AuditEventFilter) {
  auditEvents(accountId: $accountId, first: 200, after: $after, filter: $filter, order: OLDEST_FIRST) {
    pageInfo { hasNextPage endCursor }
    edges { node { action workspaceId resourceType resourceId summary actor { type id ip } } }
  }
}`;

/** Every audit entry of an account matching `filter`, oldest first, as its owner reads them. */
export async function auditEntries(
  owner: Pick<Actor, 'gql'>,
  accountId: string,
  filter: Record<string, unknown> = {},
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let after: string | null = null;
  for (;;) {
    const res: GqlResult = await owner.gql(AUDIT, { accountId, after, filter });
    expect(res.errors).toBeUndefined();
    const page = res.data.auditEvents;
    out.push(...page.edges.map((e: { node: AuditEntry }) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** Waits until the account's entries matching `filter` satisfy `check`, and returns them. */
export async function auditSettles(
  owner: Pick<Actor, 'gql'>,
  accountId: string,
  filter: Record<string, unknown>,
  check: (entries: AuditEntry[]) => void,
): Promise<AuditEntry[]> {
  let entries: AuditEntry[] = [];
  await eventually(async () => {
    entries = await auditEntries(owner, accountId, filter);
    check(entries);
  });
  return entries;
}
