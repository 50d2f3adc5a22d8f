import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** How webhook deliveries behave (lib/env.ts WEBHOOK_*). */
export interface WebhookPolicy {
  /** Allow loopback, private and other internal addresses (tests, trusted networks). */
  allowPrivateNetworks: boolean;
  /** Hosts (lower-case names or literal addresses) allowed whatever they resolve to. */
  allowedHosts: string[];
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
}

export const DEFAULT_WEBHOOK_POLICY: WebhookPolicy = {
  allowPrivateNetworks: false,
  allowedHosts: [],
  timeoutMs: 10_000,
  maxAttempts: 5,
  retryBaseMs: 30_000,
};

/** A delivery that must not be made (not retried). */
export class WebhookRefused extends Error {}

type Range = [base: number[], bits: number, label: string];

const V4: Range[] = [
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared (CGNAT)'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

function inRange(bytes: number[], base: number[], bits: number): boolean {
  for (let i = 0; i < base.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    if (!take) return true;
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded dotted quad expanded). */
function v6Groups(address: string): number[] {
  let a = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    a =
      a.slice(0, -dotted[1]!.length) +
      `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g || '0', 16));
}

function v4Class(bytes: number[]): string | null {
  for (const [base, bits, label] of V4) if (inRange(bytes, base, bits)) return label;
  return null;
}

/** Why an address is internal (loopback, private, …), or null for a public one. */
export function internalAddressClass(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return v4Class(address.split('.').map(Number));
  if (family !== 6) return 'invalid';
  const g = v6Groups(address);
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 addresses reach the IPv4 address inside.
  if (zeros(0, 5) && g[5] === 0xffff) return v4Class(v4(g[6]!, g[7]!));
  if (zeros(0, 6)) return v4Class(v4(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4Class(v4(g[6]!, g[7]!));
  if (g[0] === 0x2002) return v4Class(v4(g[1]!, g[2]!));
  if ((g[0]! & 0xfe00) === 0xfc00) return 'unique local';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x100 && zeros(1, 4)) return 'discard';
  return null;
}

/**
 * The address to connect to for a URL: every address its host resolves to must be public
 * (unless the policy allows the host or private networks), and the connection then goes to
 * that checked address, so a second DNS answer cannot point it elsewhere (rebinding).
 */
export async function resolveDeliveryAddress(
  url: URL,
  policy: WebhookPolicy,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literal = isIP(host);
  const addresses = literal
    ? [{ address: host, family: literal }]
    : await lookup(host, { all: true, verbatim: true }).catch((err: Error) => {
        throw new Error(`Cannot resolve ${host}: ${err.message}`);
      });
  if (!addresses.length) throw new Error(`Cannot resolve ${host}`);
  const allowed = policy.allowPrivateNetworks || policy.allowedHosts.includes(host);
  if (!allowed)
    for (const a of addresses) {
      const kind = internalAddressClass(a.address);
      if (kind)
        throw new WebhookRefused(
          `Refused: ${host} resolves to a ${kind} address (${a.address}); set WEBHOOK_ALLOW_PRIVATE_NETWORKS or WEBHOOK_ALLOWED_HOSTS to allow it`,
        );
    }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
