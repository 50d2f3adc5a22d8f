import { createClient, type Client } from 'graphql-ws';

/** The one API endpoint: GraphQL over HTTP and graphql-ws on the same path. */
export const GRAPHQL_PATH = '/graphql';
const STORAGE_KEY = 'flowplane.credential';

export interface GqlResult<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** The API key or session token the user pasted (this tab only: sessionStorage). */
export const credentialStore = {
  get: (): string => sessionStorage.getItem(STORAGE_KEY) ?? '',
  set: (value: string) =>
    value ? sessionStorage.setItem(STORAGE_KEY, value) : sessionStorage.removeItem(STORAGE_KEY),
};

export function authorization(credential: string): Record<string, string> {
  return credential ? { authorization: `Bearer ${credential}` } : {};
}

/** One GraphQL request over HTTP (JSON, so no CSRF preflight header is needed). */
export async function gql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  credential = credentialStore.get(),
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const res = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...authorization(credential),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

export function socketUrl(): string {
  const u = new URL(GRAPHQL_PATH, location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/** Close codes after which reconnecting with the same credential cannot help. */
export const CREDENTIAL_REFUSED = new Set([4401, 4403]);

/**
 * A graphql-ws client with the credential in connectionParams. It reconnects after network
 * trouble (with back-off) but not after the server refused the credential (4401) or took the
 * access away (4403): `onRefused` then learns of it.
 */
export function liveClient(credential: string, onRefused: (code: number) => void): Client {
  return createClient({
    url: socketUrl(),
    connectionParams: authorization(credential),
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => {
      const code = (event as CloseEvent | undefined)?.code;
      if (code !== undefined && CREDENTIAL_REFUSED.has(code)) {
        onRefused(code);
        return false;
      }
      return true;
    },
  });
}
