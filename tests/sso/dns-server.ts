import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface DnsServer {
  /** host:port for SSO_DNS_SERVERS. */
  address: string;
  /** TXT records by lower-case name. */
  txt: Map<string, string[]>;
  /** Queries answered so far. */
  queries: number;
  stop(): Promise<void>;
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i]! > 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

/**
 * A small authoritative DNS server on a loopback UDP port that answers TXT questions from a map
 * (RFC 1035 wire format): NXDOMAIN for unknown names, an empty answer for other types.
 */
export async function startDnsServer(): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  const server = { txt: new Map<string, string[]>(), queries: 0 } as DnsServer;
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    server.queries++;
    const { name, end } = readName(msg, 12);
    const qtype = msg.readUInt16BE(end);
    const question = msg.subarray(12, end + 4);
    const records = server.txt.get(name);
    const answers: Buffer[] = [];
    if (records && qtype === 16) {
      for (const value of records) {
        const chunks: Buffer[] = [];
        const bytes = Buffer.from(value, 'utf8');
        for (let i = 0; i < bytes.length || i === 0; i += 255) {
          const part = bytes.subarray(i, i + 255);
          chunks.push(Buffer.from([part.length]), part);
          if (bytes.length === 0) break;
        }
        const rdata = Buffer.concat(chunks);
        const rr = Buffer.alloc(12);
        rr.writeUInt16BE(0xc00c, 0);
        rr.writeUInt16BE(16, 2);
        rr.writeUInt16BE(1, 4);
        rr.writeUInt32BE(60, 6);
        rr.writeUInt16BE(rdata.length, 10);
        answers.push(rr, rdata);
      }
    }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(records ? 0x8580 : 0x8583, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records && qtype === 16 ? records.length : 0, 6);
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  server.address = `127.0.0.1:${(socket.address() as AddressInfo).port}`;
  server.stop = () => new Promise<void>((r) => socket.close(() => r()));
  return server;
}
