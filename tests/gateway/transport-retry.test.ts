import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../gateway/src/transport.js';
import type { Caller } from '../../lib/internal-token.js';

/**
 * The gateway's HTTP transport when a subgraph closes its idle keep-alive connections just as
 * requests arrive on them (what a subgraph whose event loop stalled for longer than its
 * keep-alive timeout does when it resumes: every idle connection goes at once, requests written
 * to them meanwhile unread). The request is sent once more, on a connection of its own.
 */
const caller = {
  claims: {} as Caller['claims'],
  token: () => 'token',
} as Caller;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/**
 * A GraphQL endpoint that answers the first request of each connection (keep-alive) and resets
 * the connection when a second request arrives on it, unread. Counts connections and answers.
 */
async function closingServer() {
  const stats = { connections: 0, answered: 0, reset: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let served = false;
    let buffer = '';
    socket.on('data', (chunk) => {
      if (served) {
        stats.reset++;
        socket.resetAndDestroy();
        return;
      }
      buffer += chunk.toString('latin1');
      const head = buffer.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, head))?.[1] ?? 0);
      if (buffer.length < head + 4 + length) return;
      served = true;
      stats.answered++;
      const body = JSON.stringify({ data: { ok: stats.answered } });
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
          `connection: keep-alive\r\n\r\n${body}`,
      );
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${port}/graphql`, stats };
}

describe('HttpTransport retry', () => {
  it('sends a request that met a closing idle connection once more, on a connection of its own', async () => {
    const { url, stats } = await closingServer();
    const transport = new HttpTransport({
      users: url,
      workspaces: url,
      access: url,
      operations: url,
    });
    closers.push(async () => transport.close());
    const request = { query: '{ ok }' };
    // Two connections in the pool, each served once.
    const first = await Promise.all([
      transport.execute('users', request, caller),
      transport.execute('users', request, caller),
    ]);
    expect(first.map((r) => r.data)).toHaveLength(2);
    expect(stats.connections).toBe(2);
    // Both pooled connections are now closing: the first attempt meets one of them, and a retry
    // through the pool would meet the other.
    const res = await transport.execute('users', request, caller);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ ok: 3 });
    expect(stats.reset).toBe(1);
    expect(stats.connections).toBe(3);
  });
});
