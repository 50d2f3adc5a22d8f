import type { Writable } from 'node:stream';

/**
 * `next` messages of live subscriptions, framed here and written to the socket in one call.
 *
 * graphql-ws would pull each result from the subscription's iterator (a promise per message),
 * build the message with `JSON.stringify({ id, type, payload })` and hand the text to `ws`,
 * which encodes it again as bytes and frames it: per subscriber, for a result that thousands of
 * subscribers of one group share. Here a result is serialised and encoded once (kept with the
 * result object, which the engine hands to every subscriber of the group), each subscription
 * keeps its message's start (`{"id":…,"type":"next","payload":`) as bytes, and a message is
 * one buffer (frame header, start, payload) written to the connection's socket.
 *
 * The bytes are those graphql-ws would send (same keys, same order; tests/unit/next-frames). They
 * go to the socket `ws` writes to, which keeps them in order with the messages graphql-ws and
 * `ws` send themselves (both write synchronously: the gateway's WebSocket server has
 * permessage-deflate off, so `ws` never queues a frame).
 */

/** Results serialised, and messages framed with a shared payload, so far (tests read them). */
export const frameStats = { serialised: 0, sent: 0 };

/** Each result's JSON as UTF-8, with the message's closing brace. */
const encoded = new WeakMap<object, Buffer>();

function payloadOf(result: object): Buffer {
  let bytes = encoded.get(result);
  if (!bytes) {
    bytes = Buffer.from(`${JSON.stringify(result)}}`);
    encoded.set(result, bytes);
    frameStats.serialised++;
  }
  return bytes;
}

/** FIN and the text opcode: one unfragmented text message. */
const FIN_TEXT = 0x81;

/** One subscription's `next` messages (its id is in each). */
export class NextFrames {
  private readonly start: Buffer;

  constructor(id: string) {
    this.start = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  }

  /** The whole WebSocket frame of a `next` message carrying `result` (unmasked: server side). */
  frame(result: object): Buffer {
    const payload = payloadOf(result);
    const length = this.start.length + payload.length;
    const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(header + length);
    frame[0] = FIN_TEXT;
    if (length < 126) frame[1] = length;
    else if (length < 65_536) {
      frame[1] = 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 127;
      frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
      frame.writeUInt32BE(length >>> 0, 6);
    }
    this.start.copy(frame, header);
    payload.copy(frame, header + this.start.length);
    frameStats.sent++;
    return frame;
  }

  /**
   * Writes the message to `socket`; false when the bytes the socket could not pass on yet
   * exceed `maxUnsent` (a client that does not read: the caller closes it).
   */
  write(socket: Writable, result: object, maxUnsent: number): boolean {
    socket.write(this.frame(result));
    return socket.writableLength <= maxUnsent;
  }
}
