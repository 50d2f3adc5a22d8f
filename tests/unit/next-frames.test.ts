import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { frameStats, NextFrames } from '../../gateway/src/subscriptions/frames.js';

/** ws's own framing and parsing (exported by the package, not in its type declarations). */
const { Sender, Receiver } = ws as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
  Receiver: new (options: { isServer: boolean }) => NodeJS.WritableStream & {
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  };
};

/** The frame `ws` sends for graphql-ws's `next` message (graphql-ws's serialisation). */
function wsFrame(id: string, payload: object): Buffer {
  const text = JSON.stringify({ id, type: 'next', payload });
  const parts = Sender.frame(Buffer.from(text), {
    fin: true,
    opcode: 1,
    mask: false,
    readOnly: true,
    rsv1: false,
  });
  return Buffer.concat(parts);
}

/** What a client's `ws` receiver reads from `bytes`: the text messages. */
function received(bytes: Buffer): string[] {
  const messages: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    messages.push(data.toString());
  });
  receiver.write(bytes);
  return messages;
}

describe('next frames of live subscriptions', () => {
  it('are the bytes ws frames for graphql-ws’s message, for every length class', () => {
    for (const size of [10, 100, 200, 70_000]) {
      const result = {
        data: { flowRunEvents: { id: 'e1', to: 'RUNNING', note: 'x'.repeat(size) } },
      };
      for (const id of ['1', 'a"b', 'ü-id']) {
        expect(new NextFrames(id).frame(result).equals(wsFrame(id, result))).toBe(true);
      }
    }
    const tiny = { data: null };
    expect(new NextFrames('1').frame(tiny).equals(wsFrame('1', tiny))).toBe(true);
  });

  it('serialise a result once for every subscription that sends it, and a client reads each', () => {
    const result = { data: { flowRunEvents: { id: 'e1', to: 'RUNNING', note: '"}\\ é' } } };
    const before = { ...frameStats };
    const ids = ['1', '2', 'a"b'];
    const bytes = Buffer.concat(ids.map((id) => new NextFrames(id).frame(result)));
    expect(received(bytes).map((m) => JSON.parse(m))).toEqual(
      ids.map((id) => ({ id, type: 'next', payload: result })),
    );
    expect(frameStats.serialised - before.serialised).toBe(1);
    expect(frameStats.sent - before.sent).toBe(3);
  });

  it('tell the caller when the socket holds more unsent bytes than allowed', () => {
    // Nobody reads this stream: what is written stays in its buffer, as on a socket whose
    // client stopped reading once the kernel's buffers are full.
    const socket = new PassThrough({ highWaterMark: 16 });
    const frames = new NextFrames('7');
    const result = { data: { n: 'y'.repeat(100) } };
    const size = frames.frame(result).length;
    const verdicts = Array.from({ length: 5 }, () => frames.write(socket, result, 3 * size));
    expect(verdicts).toEqual([true, true, true, false, false]);
    expect(socket.writableLength).toBe(5 * size);
  });
});
