import { describe, expect, it } from 'vitest';
import { expandFrame, frameStats, sharedPayload } from '../../gateway/src/subscriptions/frames.js';

/** What graphql-ws does for a `next` message: serialise it, then hand the text to the socket. */
const frame = (id: string, payload: object) =>
  expandFrame(JSON.stringify({ id, type: 'next', payload }));

describe('shared subscription frames', () => {
  it('serialises a result once and sends it whole in every subscriber’s message', () => {
    const result = { data: { flowRunEvents: { id: 'e1', to: 'RUNNING', note: '"}\\' } } };
    const before = { ...frameStats };
    const messages = ['1', '2', 'a"b'].map((id) => frame(id, sharedPayload(result)));
    expect(messages.map((m) => JSON.parse(m))).toEqual(
      ['1', '2', 'a"b'].map((id) => ({ id, type: 'next', payload: result })),
    );
    expect(frameStats.serialised - before.serialised).toBe(1);
    expect(frameStats.sent - before.sent).toBe(3);
  });

  it('leaves other messages alone, placeholder text from a client included', () => {
    const plain = { id: '1', type: 'next', payload: { data: { x: 1 } } };
    expect(frame('1', plain.payload)).toBe(JSON.stringify(plain));
    // A payload handed over but not sent (socket closed) is not put into the next message.
    JSON.stringify({ payload: sharedPayload({ data: { y: 2 } }) });
    expect(expandFrame('{"id":"9","type":"complete"}')).toBe('{"id":"9","type":"complete"}');
    const text = JSON.stringify({ id: 'flowplane-shared-payload-x', type: 'complete' });
    expect(expandFrame(text)).toBe(text);
  });
});
