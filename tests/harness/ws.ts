import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GqlError } from './client.js';

/** How a socket ended: its close code and reason. */
export interface Closed {
  code: number;
  reason: string;
}

/** The results, errors and end of one subscription, as a client sees them. */
export interface Collector<T = any> {
  results: { data?: T; errors?: GqlError[] }[];
  /** The `error` message of the subscription, if the server refused or ended it. */
  errors: GqlError[] | null;
  completed: boolean;
  /** Resolves once at least `n` results arrived (or the subscription ended: then rejects). */
  waitFor(n: number, timeoutMs?: number): Promise<{ data?: T; errors?: GqlError[] }[]>;
  /** Resolves with the error of a refused or failed subscription. */
  refused(timeoutMs?: number): Promise<GqlError[]>;
  stop(): void;
}

/** An acknowledged (or refused) graphql-ws connection of a test. */
export interface WsConnection {
  client: Client;
  /** Resolves when the socket closes, with the code. */
  closed: Promise<Closed>;
  /** `closed`, failing after `ms` (default 5 s). */
  closedWithin(ms?: number): Promise<Closed>;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Collector<T>;
  dispose(): Promise<void>;
}

/** Resolves like `p`, or rejects after `ms` naming what did not happen. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** `http://host/graphql` → `ws://host/graphql`. */
export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/**
 * Opens a graphql-ws connection (no retries) and resolves once it is acknowledged, or once it
 * is closed: then `closed` tells how.
 */
export async function connectWs(
  httpUrl: string,
  connectionParams?: Record<string, unknown>,
  /** Connect from this local address (e.g. 127.0.0.2) and with these upgrade headers. */
  origin: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<WsConnection> {
  let onClosed!: (c: Closed) => void;
  const closed = new Promise<Closed>((r) => (onClosed = r));
  let ready!: () => void;
  const opened = new Promise<void>((r) => (ready = r));
  const Socket =
    origin.localAddress || origin.headers
      ? class extends WebSocket {
          constructor(url: string, protocols?: string | string[]) {
            super(url, protocols, { localAddress: origin.localAddress, headers: origin.headers });
          }
        }
      : WebSocket;
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: Socket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    on: {
      connected: () => ready(),
      closed: (e) => {
        const ev = e as { code?: number; reason?: string };
        onClosed({ code: ev.code ?? 0, reason: String(ev.reason ?? '') });
        ready();
      },
    },
  });
  await opened;
  return {
    client,
    closed,
    closedWithin: (ms = 5000) => within(closed, ms, 'the socket to close'),
    subscribe: <T>(query: string, variables?: Record<string, unknown>) =>
      collect<T>(client, query, variables),
    dispose: () => client.dispose() as Promise<void>,
  };
}

function collect<T>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Collector<T> {
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const c: Collector<T> = {
    results: [],
    errors: null,
    completed: false,
    waitFor: (n, timeoutMs = 10_000) =>
      until(
        () => {
          if (c.results.length >= n) return c.results;
          if (c.errors || c.completed)
            throw new Error(
              `subscription ended after ${c.results.length} results: ${JSON.stringify(c.errors)}`,
            );
          return undefined;
        },
        timeoutMs,
        `${n} results (have ${c.results.length})`,
      ),
    refused: (timeoutMs = 10_000) =>
      until(
        () => {
          if (c.errors) return c.errors;
          if (c.completed) throw new Error('subscription completed without an error');
          return undefined;
        },
        timeoutMs,
        'an error',
      ),
    stop: () => unsubscribe(),
  };
  function until<R>(check: () => R | undefined, timeoutMs: number, what: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const test = () => {
        try {
          const r = check();
          if (r === undefined) return;
          done();
          resolve(r);
        } catch (err) {
          done();
          reject(err);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(test);
      };
      listeners.add(test);
      test();
    });
  }
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (r) => {
        c.results.push(r as { data?: T; errors?: GqlError[] });
        changed();
      },
      error: (err) => {
        c.errors = Array.isArray(err)
          ? (err as GqlError[])
          : [
              {
                message: String((err as Error)?.message ?? (err as { code?: number }).code ?? err),
              },
            ];
        changed();
      },
      complete: () => {
        c.completed = true;
        changed();
      },
    },
  );
  return c;
}
