import { BlockList, isIP } from 'node:net';
import { Lru } from './lru.js';
import type { Grants, Principal } from './principal.js';

/** The most entries an account's IP allow-list may hold. */
export const MAX_IP_RULES = 100;

/**
 * Normalises one allow-list entry (an IPv4/IPv6 address or CIDR range), or returns null when it
 * is neither.
 */
export function parseIpRule(value: string): string | null {
  const rule = value.trim().toLowerCase();
  const [address = '', prefix, extra] = rule.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const okPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
  return version && okPrefix && extra === undefined ? rule : null;
}

const matchers = new Lru<string, BlockList>(1000);

function matcherOf(rules: readonly string[]): BlockList {
  return matchers.getOrCreate(rules.join(','), () => {
    const list = new BlockList();
    for (const rule of rules) {
      const [address = '', prefix] = rule.split('/');
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (!isIP(address)) continue;
      list.addSubnet(
        address,
        prefix === undefined ? (type === 'ipv4' ? 32 : 128) : Number(prefix),
        type,
      );
    }
    return list;
  });
}

/**
 * Whether a client address is on an allow-list. An empty list allows everyone; an unknown
 * address (null) is on no list. IPv4 addresses written as IPv6 (`::ffff:a.b.c.d`) match the
 * IPv4 entries.
 */
export function addressAllowed(ip: string | null | undefined, rules: readonly string[]): boolean {
  if (!rules.length) return true;
  if (!ip) return false;
  let address = ip;
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
  const version = isIP(address);
  if (!version) return false;
  return matcherOf(rules).check(address, version === 4 ? 'ipv4' : 'ipv6');
}

/** Non-empty IP allow-lists of the accounts a principal belongs to, by account id. */
export type AllowLists = Readonly<Record<string, readonly string[]>>;

/** What a principal may do from one address (see `grantsFromAddress`). */
export type AddressScope =
  | { refused: false; grants: Grants }
  /** A service account whose own account does not accept the address: refused outright. */
  | { refused: true; accountId: string };

/**
 * The grants of a request from `ip`, given the allow-lists of the principal's accounts. A
 * service account belongs to one account: a request from outside that account's list is
 * refused outright. A user may belong to several accounts: the grants of each account whose
 * list does not hold the address (and of its workspaces) are withheld for this request and
 * recorded as `restricted`, so touching that account answers a clear FORBIDDEN while the
 * user's other accounts keep working. `grants` is returned as is when nothing is withheld.
 */
export function grantsFromAddress(
  principal: Principal,
  grants: Grants,
  allowLists: AllowLists | undefined,
  ip: string | null | undefined,
): AddressScope {
  if (!allowLists) return { refused: false, grants };
  const withheld = new Set<string>();
  for (const [accountId, rules] of Object.entries(allowLists)) {
    if (addressAllowed(ip, rules)) continue;
    if (principal.type === 'service_account' && principal.accountId === accountId)
      return { refused: true, accountId };
    if (grants.accounts[accountId] || principal.accountId === accountId) withheld.add(accountId);
  }
  if (!withheld.size) return { refused: false, grants };
  const accounts = Object.fromEntries(
    Object.entries(grants.accounts).filter(([id]) => !withheld.has(id)),
  );
  const workspaces: Grants['workspaces'] = {};
  const restrictedWorkspaces: string[] = [...(grants.restricted?.workspaces ?? [])];
  for (const [id, g] of Object.entries(grants.workspaces)) {
    if (withheld.has(g.accountId)) restrictedWorkspaces.push(id);
    else workspaces[id] = g;
  }
  return {
    refused: false,
    grants: {
      accounts,
      workspaces,
      restricted: {
        accounts: [...new Set([...(grants.restricted?.accounts ?? []), ...withheld])].sort(),
        workspaces: [...new Set(restrictedWorkspaces)].sort(),
      },
    },
  };
}

/** Whether an account or workspace was withheld from this request by an IP allow-list. */
export function isRestricted(grants: Grants, scope: { accountId?: string; workspaceId?: string }) {
  const r = grants.restricted;
  if (!r) return false;
  if (scope.workspaceId) return r.workspaces.includes(scope.workspaceId);
  return scope.accountId ? r.accounts.includes(scope.accountId) : false;
}
