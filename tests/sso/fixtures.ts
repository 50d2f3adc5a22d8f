import { createServer } from 'node:net';
import { expect } from 'vitest';
import { eventually } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { Browser } from './browser.js';
import { startDnsServer, type DnsServer } from './dns-server.js';

/** A free loopback port (the stack must know its PUBLIC_URL before it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface SsoStack {
  stack: Stack;
  /** PUBLIC_URL of the stack. */
  base: string;
  dns: DnsServer;
  stop(): Promise<void>;
}

/** A stack whose PUBLIC_URL is its own address, with a DNS server for domain verification. */
export async function startSsoStack(env: Record<string, string> = {}): Promise<SsoStack> {
  const dns = await startDnsServer();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stack = await startStack({
    env: {
      PORT: String(port),
      PUBLIC_URL: base,
      SSO_DNS_SERVERS: dns.address,
      SSO_ALLOW_INSECURE_HTTP: 'true',
      ...env,
    },
  });
  return {
    stack,
    base,
    dns,
    async stop() {
      await stack.stop();
      await dns.stop();
    },
  };
}

const SETTINGS = `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`;
const DOMAINS = `query($id: ID!) { account(id: $id) { ssoDomains { domain verified txtRecordName txtRecordValue } } }`;
const VERIFY = `mutation($input: VerifySsoDomainInput!) { verifySsoDomain(input: $input) { verified reason domain { domain verified } } }`;

/** Claims `domain` for the owner's account, publishes its TXT record and verifies it. */
export async function verifyDomain(s: SsoStack, owner: Actor, domain: string): Promise<void> {
  const set = await owner.gql(SETTINGS, {
    input: { accountId: owner.accountId, allowedSsoDomains: [domain] },
  });
  expect(set.errors).toBeUndefined();
  let claim: { txtRecordName: string; txtRecordValue: string } | undefined;
  await eventually(async () => {
    const res = await owner.gql(DOMAINS, { id: owner.accountId });
    claim = res.data?.account?.ssoDomains?.find((d: { domain: string }) => d.domain === domain);
    expect(claim).toBeDefined();
  });
  s.dns.txt.set(claim!.txtRecordName, [claim!.txtRecordValue]);
  const res = await owner.gql(VERIFY, { input: { accountId: owner.accountId, domain } });
  expect(res.errors).toBeUndefined();
  expect(res.data.verifySsoDomain.verified).toBe(true);
}

export const CREATE_PROVIDER = `mutation($input: CreateIdentityProviderInput!) {
  createIdentityProvider(input: $input) { id enabled oidc { redirectUrl clientSecretSet } saml { acsUrl spEntityId metadataUrl } } }`;
export const ENABLE_PROVIDER = `mutation($input: SetIdentityProviderEnabledInput!) { setIdentityProviderEnabled(input: $input) { id enabled } }`;

/** The audit entries of an account whose action starts with `prefix`, newest first. */
export async function auditEntries(
  owner: Pick<Actor, 'gql'>,
  accountId: string,
  prefix: string,
): Promise<
  { action: string; summary: Record<string, unknown>; actor: { type: string; id: string } }[]
> {
  const res = await owner.gql(
    `query($id: ID!, $f: AuditEventFilter) { auditEvents(accountId: $id, first: 100, filter: $f) {
      edges { node { action summary actor { type id } } } } }`,
    { id: accountId, f: { actionPrefix: prefix } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.auditEvents.edges.map((e: { node: unknown }) => e.node);
}

/** Waits for an audit entry of `action` whose summary reason matches. */
export async function expectAudited(
  owner: Pick<Actor, 'gql'>,
  accountId: string,
  action: string,
  reason?: RegExp,
): Promise<void> {
  await eventually(async () => {
    const entries = await auditEntries(owner, accountId, action);
    expect(
      entries.some(
        (e) => e.action === action && (!reason || reason.test(String(e.summary.reason))),
      ),
      `${action} ${reason ?? ''} in ${JSON.stringify(entries.map((e) => e.summary))}`,
    ).toBe(true);
  });
}

export interface LoginResult {
  status: number;
  /** The one-time code, when the login succeeded. */
  code?: string;
  reason?: string;
  browser: Browser;
}

/** Follows a login from the start URL to its end (the complete page or a refusal). */
export async function ssoLogin(
  s: SsoStack,
  handle: string,
  opts: { browser?: Browser; query?: string } = {},
): Promise<LoginResult> {
  const browser = opts.browser ?? new Browser();
  const end = await browser.follow(`${s.base}/auth/sso/${handle}/start${opts.query ?? ''}`);
  const body = (await end.res!.json().catch(() => ({}))) as { code?: string; reason?: string };
  return { status: end.res!.status, code: body.code, reason: body.reason, browser };
}

export const EXCHANGE = `mutation($input: ExchangeSsoCodeInput!) { exchangeSsoCode(input: $input) { token user { id handle } } }`;

/** Trades a code for a session token (failing the test on an error). */
export async function exchange(
  stack: Stack,
  code: string,
): Promise<{ token: string; userId: string }> {
  const res = await stack.gql(EXCHANGE, { input: { code } });
  expect(res.errors).toBeUndefined();
  return { token: res.data.exchangeSsoCode.token, userId: res.data.exchangeSsoCode.user.id };
}

export { uid };
