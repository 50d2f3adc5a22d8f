/**
 * The credential in graphql-ws `connectionParams`: `{ authorization: 'Bearer <key or session>' }`
 * (any case of the key) or `{ token: '<key or session>' }`. Undefined when there is none
 * (anonymous), null when it is malformed (refused like a wrong one).
 */
export function credentialOf(
  params: Record<string, unknown> | undefined,
): string | undefined | null {
  if (!params) return undefined;
  const header = Object.entries(params).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  if (header !== undefined && header !== null) {
    if (typeof header !== 'string') return null;
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    return m ? m[1]! : null;
  }
  const token = params.token;
  if (token === undefined || token === null) return undefined;
  return typeof token === 'string' && token.length > 0 ? token : null;
}
