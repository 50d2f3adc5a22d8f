import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { SETTING_DEFAULTS } from '../env.js';

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

export const DEFAULT_WEBHOOK_POLICY: WebhookPolicy = SETTING_DEFAULTS.webhooks;

/** The policy in a subgraph's settings (`settings.webhooks`, built from WEBHOOK_*), or the default. */
export function policyOf(settings: Record<string, unknown> | undefined): WebhookPolicy {
  return { ...DEFAULT_WEBHOOK_POLICY, ...(settings?.webhooks as Partial<WebhookPolicy>) };
}

/** A delivery that must not be made (not retried). */
export class WebhookRefused extends Error {}

type Range = [base: number[], bits: number, label: string];

/**
 * IPv4 blocks that are not globally reachable unicast: the IANA IPv4 Special-Purpose Address
 * Registry (entries marked "Globally Reachable: False", and the deprecated 6to4 relay anycast),
 * plus multicast.
 */
const V4: Range[] = [
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared (CGNAT)'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'],
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 88, 99, 0], 24, 'reserved'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

/**
 * IPv6 blocks that are not globally reachable (IANA IPv6 Special-Purpose Address Registry and
 * the address architecture), as [first groups, prefix bits, label]. IPv4 inside IPv6 (mapped,
 * compatible, NAT64, 6to4) is judged by the IPv4 address it reaches, separately.
 */
const V6: Range[] = [
  [[0x64, 0xff9b, 0x1], 48, 'reserved'],
  [[0x100, 0, 0, 0], 64, 'discard'],
  [[0x100, 0, 0, 1], 64, 'reserved'],
  [[0x2001, 0x0], 23, 'reserved'],
  [[0x2001, 0xdb8], 32, 'documentation'],
  [[0x3fff, 0], 20, 'documentation'],
  [[0x5f00], 16, 'reserved'],
  [[0xfc00], 7, 'unique local'],
  [[0xfe80], 10, 'link-local'],
  [[0xfec0], 10, 'site-local'],
  [[0xff00], 8, 'multicast'],
];

/** Whether `parts` (bytes or 16-bit groups, `width` bits each) start with `bits` of `base`. */
function inRange(parts: number[], base: number[], bits: number, width = 8): boolean {
  const full = (1 << width) - 1;
  for (let i = 0; i < parts.length; i++) {
    const take = Math.max(0, Math.min(width, bits - i * width));
    if (!take) return true;
    const mask = (full << (width - take)) & full;
    if ((parts[i]! & mask) !== ((base[i] ?? 0) & mask)) return false;
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
  for (const [base, bits, label] of V6) if (inRange(g, base, bits, 16)) return label;
  return null;
}

/** The canonical form of an address (IPv4 inside IPv6 as the IPv4 address), for comparing. */
function canonical(address: string): string {
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return address.toLowerCase();
  const g = v6Groups(address);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
  return g.map((x) => x.toString(16)).join(':');
}

/**
 * Whether an address is one of this machine's own (any interface, not only loopback): a public
 * address of the server itself reaches its own listeners, internal ports included.
 */
export function isOwnAddress(address: string): boolean {
  const target = canonical(address);
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (canonical(a.address) === target) return true;
  return false;
}

/**
 * The address to connect to for a URL: every address its host resolves to must be public and
 * not this machine's own (unless the policy allows the host or private networks), and the
 * connection then goes to
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
      const kind =
        internalAddressClass(a.address) ?? (isOwnAddress(a.address) ? 'local-interface' : null);
      if (kind)
        throw new WebhookRefused(
          `Refused: ${host} resolves to a ${kind} address (${a.address}); set WEBHOOK_ALLOW_PRIVATE_NETWORKS or WEBHOOK_ALLOWED_HOSTS to allow it`,
        );
    }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
