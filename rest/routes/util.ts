/** How many items a Prefect `limit`/`offset` window needs from the start (GraphQL caps at 200). */
export function windowOf(body: { limit?: number | null; offset?: number | null }): number {
  return Math.min(200, (body.offset ?? 0) + (body.limit ?? 200));
}

/** The `limit`/`offset` window of a list read from the start. */
export function paged<T>(items: T[], body: { limit?: number | null; offset?: number | null }): T[] {
  const from = body.offset ?? 0;
  return items.slice(from, from + (body.limit ?? 200));
}
