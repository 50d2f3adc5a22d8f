import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy in front of Redis that can hold back what Redis sends to stream readers (the
 * connections that issued XREAD), as a network hiccup or a busy process would: it makes a
 * broadcast reader fall behind on demand while every other command goes through.
 */
export interface RedisProxy {
  url: string;
  /** From now on, replies to XREAD connections are buffered instead of delivered. */
  holdReaders(): void;
  /** Delivers everything held back and stops holding. */
  release(): void;
  /** Commands named `name` (e.g. `xrevrange`) the clients have sent through the proxy so far. */
  sent(name: string): number;
  close(): Promise<void>;
}

export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
  let holding = false;
  const counts = new Map<string, number>();
  const conns = new Set<{ client: Socket; upstream: Socket; reader: boolean; held: Buffer[] }>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    const conn = { client, upstream, reader: false, held: [] as Buffer[] };
    conns.add(conn);
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (/\r\nxread\r\n/i.test(text)) conn.reader = true;
      // A command is an array of bulk strings; its name is the first: *<n>\r\n$<len>\r\n<name>.
      for (const m of text.matchAll(/\*\d+\r\n\$\d+\r\n([a-z|]+)\r\n/gi)) {
        const name = m[1]!.toLowerCase();
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (holding && conn.reader) conn.held.push(chunk);
      else client.write(chunk);
    });
    const end = () => {
      conns.delete(conn);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    holdReaders: () => {
      holding = true;
    },
    sent: (name) => counts.get(name.toLowerCase()) ?? 0,
    release: () => {
      holding = false;
      for (const c of conns) {
        for (const chunk of c.held.splice(0)) c.client.write(chunk);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) {
          c.client.destroy();
          c.upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
