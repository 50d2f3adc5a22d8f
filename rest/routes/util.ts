import { notFound } from '../route.js';

/**
 * The object the URL names, when it is in the URL's workspace; 404 otherwise (an id of another
 * workspace the caller can also see is not this workspace's).
 */
export function inWorkspace<T extends { workspace: { id: string } }>(
  obj: T | null | undefined,
  input: { workspaceId: string },
  what: string,
): T {
  if (!obj || obj.workspace.id !== input.workspaceId) notFound(what);
  return obj;
}

/** How many items a Prefect `limit`/`offset` window needs from the start (GraphQL caps at 200). */
export function windowOf(body: { limit?: number | null; offset?: number | null }): number {
  return Math.min(200, (body.offset ?? 0) + (body.limit ?? 200));
}

/** The `limit`/`offset` window of a list read from the start. */
export function paged<T>(items: T[], body: { limit?: number | null; offset?: number | null }): T[] {
  const from = body.offset ?? 0;
  return items.slice(from, from + (body.limit ?? 200));
}
