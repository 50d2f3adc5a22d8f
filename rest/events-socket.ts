import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { MAX_BODY_BYTES } from '../lib/http.js';
import { credentialOf, fromAuthString } from './credentials.js';
import {
  EmitEventsDocument,
  PrefectEventsOutDocument,
  type PrefectEventsOutSubscription,
} from './generated/graphql.js';
import { toOutEvent, toOutFilter } from './prefect/event-filter.js';
import { toEmitEvent } from './prefect/events.js';
import type { RestRouter } from './router.js';

const EVENTS_PATH = /^\/api\/accounts\/([^/]+)\/workspaces\/([^/]+)\/events\/(in|out)$/;
const OUT_QUERY = print(PrefectEventsOutDocument);
/**
 * At most this many events per emitEvents call (its cap is 500): what arrived while the previous
 * call ran goes in one call. 400 rather than 100: 1.2–1.27× the events/s of a burst from four
 * sockets, each call's fixed cost (GraphQL, transaction, relay pass) shared by more events
 * (bench/RESULTS.md, 2026-12-07).
 */
const BATCH = 400;
/** Policy violation: what Prefect's server closes a refused socket with. */
const POLICY_VIOLATION = 1008;

interface Caller {
  direction: 'in' | 'out';
  req: IncomingMessage;
  credential: string | undefined;
  accountId: string;
  workspaceId: string;
}

/**
 * Prefect's events socket (`…/events/in`): each message is one event, stored through
 * `emitEvents` with the socket's credential, in the order sent. The credential comes from the
 * upgrade's Authorization header (Prefect Cloud clients) or from the first message
 * `{"type":"auth","token":…}` (self-hosted clients with PREFECT_API_AUTH_STRING, subprotocol
 * `prefect`), answered with `auth_success` or `auth_failure` and a 1008 close.
 */
export class EventsSocket {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_BODY_BYTES,
    handleProtocols: (protocols) => (protocols.has('prefect') ? 'prefect' : false),
  });

  constructor(
    private readonly router: RestRouter,
    private readonly log: boolean,
  ) {}

  /** Takes the upgrades of `…/events/in` and `…/events/out`; false for any other path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const m = EVENTS_PATH.exec(pathname);
    if (!m) return false;
    const caller: Caller = {
      direction: m[3] as 'in' | 'out',
      req,
      credential: credentialOf(req),
      accountId: decodeURIComponent(m[1]),
      workspaceId: decodeURIComponent(m[2]),
    };
    void this.accept(caller, socket, head);
    return true;
  }

  private async accept(caller: Caller, socket: Duplex, head: Buffer): Promise<void> {
    const byHeader = caller.credential !== undefined;
    if (byHeader) {
      const refused = await this.refusal(caller).catch(() => ({
        status: 500,
        detail: 'Internal server error',
      }));
      if (refused) {
        const text = JSON.stringify({ detail: refused.detail });
        socket.end(
          `HTTP/1.1 ${refused.status} ${refused.status === 401 ? 'Unauthorized' : 'Not Found'}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
        );
        return;
      }
    }
    this.wss.handleUpgrade(caller.req, socket, head, (ws) =>
      caller.direction === 'in'
        ? this.serve(ws, caller, byHeader)
        : this.serveOut(ws, caller, byHeader),
    );
  }

  /** Why the caller may not use this workspace's socket (401/404), or null. */
  private async refusal(caller: Caller): Promise<{ status: number; detail: string } | null> {
    const error = await this.router.checkWorkspace(
      caller.req,
      caller.credential,
      caller.accountId,
      caller.workspaceId,
      true,
    );
    if (!error) return null;
    return { status: error.error.status, detail: String(error.error.body.detail) };
  }

  private serve(ws: WebSocket, caller: Caller, authenticated: boolean): void {
    let ready = authenticated;
    const queue: unknown[] = [];
    let draining: Promise<void> | null = null;
    const drain = async () => {
      while (queue.length) {
        const batch = queue.splice(0, BATCH);
        await this.store(caller, batch);
      }
      draining = null;
    };
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return ws.close(POLICY_VIOLATION, 'Messages are JSON');
      }
      const m = msg as { type?: string; token?: unknown };
      // Self-hosted clients send the auth message even when a header already authenticated
      // the upgrade (PREFECT_API_AUTH_STRING also goes out as Basic auth).
      if (ready && m?.type === 'auth' && !queue.length) {
        const token = typeof m.token === 'string' ? fromAuthString(m.token) : undefined;
        if (token === caller.credential) return ws.send(JSON.stringify({ type: 'auth_success' }));
        ws.send(
          JSON.stringify({
            type: 'auth_failure',
            reason: 'Another credential than the connection’s',
          }),
        );
        return ws.close(POLICY_VIOLATION, 'Credential mismatch');
      }
      if (!ready) {
        if (m?.type !== 'auth') return ws.close(POLICY_VIOLATION, 'Expected an auth message');
        caller.credential = typeof m.token === 'string' ? fromAuthString(m.token) : undefined;
        void this.refusal(caller).then(
          (refused) => {
            if (refused) {
              ws.send(JSON.stringify({ type: 'auth_failure', reason: refused.detail }));
              ws.close(POLICY_VIOLATION, refused.detail.slice(0, 100));
            } else {
              ready = true;
              ws.send(JSON.stringify({ type: 'auth_success' }));
            }
          },
          () => ws.close(1011, 'Internal server error'),
        );
        return;
      }
      queue.push(msg);
      draining ??= drain();
    });
  }

  /**
   * `…/events/out`: after the auth message (answered as on `…/events/in`), the subscriber sends
   * `{"type":"filter","filter":…}` (Prefect's EventFilter); from then on it gets
   * `{"type":"event","event":…}` for each matching event: first those since the filter's
   * `occurred.since`, then live ones. The events come from the gateway's `events` subscription,
   * subscribed on the gateway's own graphql-ws endpoint with the caller's credential (the same
   * authentication, permission checks, limits and revocation as any subscriber).
   */
  private serveOut(ws: WebSocket, caller: Caller, authenticated: boolean): void {
    let ready = false;
    let client: Client | null = null;
    let unsubscribe: (() => void) | null = null;
    const end = (code: number, reason: string) => {
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason.slice(0, 120));
    };
    ws.on('close', () => {
      unsubscribe?.();
      void client?.dispose();
    });
    ws.on('message', (data) => {
      let msg: { type?: string; token?: unknown; filter?: unknown };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return end(POLICY_VIOLATION, 'Messages are JSON');
      }
      if (!ready) {
        if (msg?.type !== 'auth') return end(POLICY_VIOLATION, 'Expected an auth message');
        const token = typeof msg.token === 'string' ? fromAuthString(msg.token) : undefined;
        if (authenticated && token !== undefined && token !== caller.credential) {
          ws.send(
            JSON.stringify({
              type: 'auth_failure',
              reason: 'Another credential than the connection’s',
            }),
          );
          return end(POLICY_VIOLATION, 'Credential mismatch');
        }
        caller.credential ??= token;
        void this.refusal(caller).then(
          (refused) => {
            if (refused) {
              ws.send(JSON.stringify({ type: 'auth_failure', reason: refused.detail }));
              end(POLICY_VIOLATION, refused.detail);
            } else {
              ready = true;
              ws.send(JSON.stringify({ type: 'auth_success' }));
            }
          },
          () => end(1011, 'Internal server error'),
        );
        return;
      }
      if (msg?.type !== 'filter' || client)
        return end(POLICY_VIOLATION, 'Expected one filter message');
      const wanted = toOutFilter(msg.filter);
      const local = caller.req.socket;
      const host = local.localFamily === 'IPv6' ? `[${local.localAddress}]` : local.localAddress;
      client = createClient({
        url: `ws://${host}:${local.localPort}/graphql`,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${caller.credential}` },
      });
      unsubscribe = client.subscribe<PrefectEventsOutSubscription>(
        {
          query: OUT_QUERY,
          operationName: 'PrefectEventsOut',
          variables: {
            workspaceId: caller.workspaceId,
            filter: wanted.filter,
            replayFrom: wanted.replayFrom,
          },
        },
        {
          next: (result) => {
            if (result.errors?.length) return end(POLICY_VIOLATION, result.errors[0].message);
            const event = result.data ? toOutEvent(result.data.events, wanted) : null;
            if (event && ws.readyState === WebSocket.OPEN)
              ws.send(JSON.stringify({ type: 'event', event }));
          },
          error: (err) => {
            const message = Array.isArray(err)
              ? String(err[0]?.message ?? 'Refused')
              : err instanceof Error
                ? err.message
                : typeof (err as { reason?: unknown })?.reason === 'string' &&
                    (err as { reason: string }).reason
                  ? (err as { reason: string }).reason
                  : 'Subscription ended';
            end(POLICY_VIOLATION, message);
          },
          complete: () => end(1000, 'Done'),
        },
      );
    });
  }

  /**
   * Stores a batch in one call; when the batch is refused for a bad event, each event alone
   * (the others still count), logging what was dropped.
   */
  private async store(caller: Caller, events: unknown[]): Promise<void> {
    const mapped = events.map(toEmitEvent);
    const valid = mapped.filter((e): e is NonNullable<typeof e> => e !== null);
    if (valid.length < mapped.length)
      this.warn('malformed event dropped', mapped.length - valid.length);
    if (!valid.length) return;
    const emit = (list: typeof valid) =>
      this.router.run(caller.req, caller.credential, EmitEventsDocument, {
        input: { workspaceId: caller.workspaceId, events: list },
      });
    const outcome = await emit(valid);
    if (outcome.ok || valid.length === 1) {
      if (!outcome.ok)
        this.warn(
          String(outcome.error.body.detail ? JSON.stringify(outcome.error.body.detail) : ''),
          1,
        );
      return;
    }
    for (const e of valid) {
      const one = await emit([e]);
      if (!one.ok) this.warn(JSON.stringify(one.error.body.detail), 1);
    }
  }

  private warn(reason: string, count: number) {
    if (this.log)
      console.warn(JSON.stringify({ level: 'warn', msg: 'rest: events dropped', reason, count }));
  }

  close(): void {
    for (const ws of this.wss.clients) ws.close(1001, 'Going away');
    this.wss.close();
  }
}
