import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';

/**
 * One result serialised once for every socket it goes to.
 *
 * graphql-ws builds each `next` message as `JSON.stringify({ id, type, payload })`, per socket:
 * a group of subscribers sharing one delivery execution (same query, same identity) would have
 * the same payload serialised once per subscriber. The server's `onNext` hands graphql-ws a
 * `SharedPayload` instead of the result: its `toJSON` serialises the result the first time only
 * and puts a placeholder in the message; the socket's `send` (see `withSharedFrames`) puts the
 * serialised result in place of the placeholder. Serialising and sending are one synchronous
 * step in graphql-ws (`socket.send(stringifyMessage(...))`), so the text handed over last is the
 * one of the message being sent; a message that does not end with the placeholder is sent as it
 * is.
 */
const PLACEHOLDER = `flowplane-shared-payload-${randomUUID()}`;
const QUOTED_END = `${JSON.stringify(PLACEHOLDER)}}`;

/** Results serialised, and messages sent with a shared payload, so far (tests read them). */
export const frameStats = { serialised: 0, sent: 0 };

/** The serialised payload of the message being built (set by toJSON, taken by send). */
let handedOver: string | null = null;

/** A result's JSON, computed on the first message that carries it. */
class SharedPayload {
  private json: string | null = null;

  constructor(private readonly result: object) {}

  toJSON(): string {
    if (this.json === null) {
      this.json = JSON.stringify(this.result);
      frameStats.serialised++;
    }
    handedOver = this.json;
    return PLACEHOLDER;
  }
}

const shared = new WeakMap<object, SharedPayload>();

/**
 * What graphql-ws puts in a `next` message for `result`: the same `SharedPayload` for the same
 * result object (the engine hands one object to every subscriber of a group).
 */
export function sharedPayload(result: object): object {
  let payload = shared.get(result);
  if (!payload) shared.set(result, (payload = new SharedPayload(result)));
  return payload;
}

/** The text to send for `data`: the placeholder replaced by the payload handed over. */
export function expandFrame(data: string): string {
  const json = handedOver;
  handedOver = null;
  if (json === null || !data.endsWith(QUOTED_END)) return data;
  frameStats.sent++;
  return `${data.slice(0, data.length - QUOTED_END.length)}${json}}`;
}

/** Makes `ws.send` expand shared payloads (called before graphql-ws sees the socket). */
export function withSharedFrames(ws: WebSocket): WebSocket {
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  (ws as { send: (data: unknown, ...rest: unknown[]) => void }).send = (data, ...rest) =>
    send(typeof data === 'string' ? expandFrame(data) : data, ...rest);
  return ws;
}
