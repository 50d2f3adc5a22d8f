import { unauthenticated } from '../../../../lib/errors.js';
import type { Principal } from '../../../../lib/principal.js';

/** Who made a change, as stored on the objects of this subgraph. */
export type CallerType = 'USER' | 'SERVICE_ACCOUNT';

/** The user or service account making a request (UNAUTHENTICATED for anyone else). */
export function caller(principal: Principal): { type: CallerType; id: string } {
  if (principal.type === 'user') return { type: 'USER', id: principal.id };
  if (principal.type === 'service_account') return { type: 'SERVICE_ACCOUNT', id: principal.id };
  throw unauthenticated();
}

/** Reads need a signed-in caller (or the gateway itself); anonymous callers are UNAUTHENTICATED. */
export function requireAuthenticated(principal: Principal): void {
  if (principal.type === 'anonymous') throw unauthenticated();
}

/** The account of a workspace as the caller's grants know it (for event payloads). */
export function accountOf(
  grants: { workspaces: Record<string, { accountId: string } | undefined> },
  workspaceId: string,
): string | null {
  return grants.workspaces[workspaceId]?.accountId ?? null;
}

/** Serialized size of a JSON value in bytes (what limits on JSON payloads measure). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
