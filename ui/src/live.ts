import { createClient, type Client } from 'graphql-ws';
import { authorization, CREDENTIAL_REFUSED, socketUrl } from './api';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export interface LiveOptions<T> {
  credential: string;
  query: string;
  variables: Record<string, unknown>;
  /** The id of an event: the subscription resumes after the last one seen. */
  idOf: (item: T) => string;
  onItem: (item: T) => void;
  onStatus: (status: LiveStatus) => void;
  /** The server refused the credential (4401) or took the access away (4403). */
  onRefused: (code: number) => void;
}

/**
 * A live subscription that survives dropped connections: after a close that is not a refusal it
 * reconnects (1 s, 2 s, … up to 15 s apart) and subscribes again with `since` set to the last
 * event it delivered, so the server replays what was missed and nothing arrives twice.
 * Returns the function that stops it.
 */
export function live<T>(opts: LiveOptions<T>): () => void {
  let since: string | null = null;
  let stopped = false;
  let client: Client | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (stopped) return;
    opts.onStatus(attempt ? 'reconnecting' : 'connecting');
    let refused = false;
    const c = createClient({
      url: socketUrl(),
      connectionParams: authorization(opts.credential),
      retryAttempts: 0,
      on: {
        connected: () => {
          attempt = 0;
        },
        closed: (event) => {
          const code = (event as CloseEvent | undefined)?.code;
          if (code !== undefined && CREDENTIAL_REFUSED.has(code)) {
            refused = true;
            opts.onRefused(code);
          }
        },
      },
    });
    client = c;
    c.subscribe<Record<string, T>>(
      { query: opts.query, variables: { ...opts.variables, since } },
      {
        next: (result) => {
          const item = result.data ? Object.values(result.data)[0] : undefined;
          if (!item) return;
          since = opts.idOf(item);
          opts.onItem(item);
        },
        error: (err) => {
          const code = (err as CloseEvent | undefined)?.code;
          if (code !== undefined && CREDENTIAL_REFUSED.has(code) && !refused) {
            refused = true;
            opts.onRefused(code);
          }
          retry();
        },
        complete: () => retry(),
      },
    );
    // graphql-ws acknowledges the subscription with its first message only; the connection is
    // live once the socket is open and acknowledged.
    c.on('connected', () => opts.onStatus('live'));
    const retry = () => {
      void c.dispose();
      if (stopped || refused) return;
      attempt++;
      opts.onStatus('reconnecting');
      timer = setTimeout(connect, Math.min(15_000, 1000 * 2 ** (attempt - 1)));
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    void client?.dispose();
  };
}
