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
