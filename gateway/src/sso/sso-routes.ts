import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientInfo } from '../../../lib/actor.js';
import { readBody } from '../../../lib/http.js';
import { sha256 } from '../../../lib/secrets.js';
import type { InternalCalls } from './internal-calls.js';

export interface SsoRouteOptions {
  calls: InternalCalls;
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  /** Origins besides PUBLIC_URL's that a login may return to. */
  returnOrigins: string[];
  clientOf: (req: IncomingMessage) => ClientInfo;
}

const COOKIE = 'fp_sso';
const MAX_FORM = 512 * 1024;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const START = /^\/auth\/sso\/([a-z0-9][a-z0-9-]{0,38}[a-z0-9])\/start$/;
const OIDC_CALLBACK = new RegExp(`^/auth/sso/oidc/(${UUID})/callback$`);
const SAML_ACS = new RegExp(`^/auth/sso/saml/(${UUID})/acs$`);
const SAML_METADATA = new RegExp(`^/auth/sso/saml/(${UUID})/metadata$`);

const BEGIN = `mutation($input: SsoBeginInput!) { _ssoBeginLogin(input: $input) { redirectUrl providerId kind } }`;
const COMPLETE = `mutation($input: SsoCompleteInput!) { _ssoCompleteLogin(input: $input) {
  ok reason accountId providerId email name groups returnTo jitProvisioning jitAccountRole } }`;
const FAILED = `mutation($input: SsoFailureInput!) { _ssoLoginFailed(input: $input) }`;
const SYNC_TEAMS = `mutation($input: SsoSyncTeamsInput!) { _ssoSyncTeams(input: $input) }`;
const ACCOUNT = `query($handle: String!) { _accountIdByHandle(handle: $handle) }`;
const USER = `mutation($input: SsoUserInput!) { _ssoUser(input: $input) { userId created } }`;
const MEMBER = `mutation($input: ProvisionMemberInput!) { _provisionMember(input: $input) }`;
const CODE = `mutation($input: SsoIssueCodeInput!) { _ssoIssueCode(input: $input) }`;
const METADATA = `query($id: ID!) { _ssoSpMetadata(providerId: $id) }`;

interface Outcome {
  ok: boolean;
  reason: string | null;
  accountId: string | null;
  providerId: string | null;
  email: string | null;
  name: string | null;
  groups: string[] | null;
  returnTo: string | null;
  jitProvisioning: boolean | null;
  jitAccountRole: string | null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Addresses never reach the browser (they would tell an anonymous caller about the settings). */
const withoutAddresses = (s: string) => s.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[address]');

function cookieOf(req: IncomingMessage): string {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return '';
}

/**
 * The browser side of single sign-on, on the public server (ARCHITECTURE.md "Identity providers
 * and provisioning"): start → identity provider → callback (OIDC) or ACS (SAML) → a one-time
 * code on the return address, which the application trades for a session with the GraphQL
 * mutation `exchangeSsoCode`. The session token never travels in a URL, and no cookie of ours
 * authenticates API calls (they all use `Authorization: Bearer`, so there is no CSRF surface);
 * the only cookie binds a login to the browser that started it. Protocol checks run in the
 * access subgraph, users and memberships come from their subgraphs, all as the system
 * principal "sso" for the one account the route names.
 */
export class SsoRoutes {
  constructor(private readonly o: SsoRouteOptions) {}

  /** Handles every path under /auth/sso/. */
  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const client = this.o.clientOf(req);
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = START.exec(url.pathname)))
      return this.start(req, res, m[1]!, url, client);
    if (req.method === 'GET' && (m = OIDC_CALLBACK.exec(url.pathname)))
      return this.complete(req, res, client, {
        providerId: m[1],
        callbackUrl: `${this.o.publicUrl}${url.pathname}${url.search}`,
      });
    if (req.method === 'POST' && (m = SAML_ACS.exec(url.pathname))) {
      const form = new URLSearchParams(await readBody(req, MAX_FORM));
      return this.complete(req, res, client, {
        providerId: m[1],
        samlResponse: form.get('SAMLResponse') ?? '',
        relayState: form.get('RelayState') || null,
      });
    }
    if (req.method === 'GET' && (m = SAML_METADATA.exec(url.pathname))) {
      const data = await this.o.calls.run('access', METADATA, { id: m[1] }, client);
      if (!data._ssoSpMetadata) return this.page(req, res, 404, 'Unknown identity provider');
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8' });
      return void res.end(data._ssoSpMetadata);
    }
    if (req.method === 'GET' && url.pathname === '/auth/sso/complete')
      return this.done(req, res, url);
    return this.page(req, res, 404, 'Not found');
  };

  private async start(
    req: IncomingMessage,
    res: ServerResponse,
    handle: string,
    url: URL,
    client: ClientInfo,
  ): Promise<void> {
    const unavailable = 'Single sign-on is not available for this account';
    let returnTo: string | null;
    try {
      returnTo = this.returnAddress(url.searchParams.get('return_to'));
    } catch {
      return this.page(req, res, 400, 'return_to is not an address this server may return to');
    }
    const { _accountIdByHandle: accountId } = await this.o.calls.run(
      'workspaces',
      ACCOUNT,
      { handle },
      client,
    );
    if (!accountId) return this.page(req, res, 404, unavailable);
    const secret = randomBytes(32).toString('base64url');
    let begun: { redirectUrl: string; kind: string } | null;
    try {
      ({ _ssoBeginLogin: begun } = await this.o.calls.run(
        'access',
        BEGIN,
        {
          input: {
            accountId,
            providerId: url.searchParams.get('provider') || null,
            browserHash: sha256(secret),
            returnTo,
          },
        },
        client,
      ));
    } catch (err) {
      await this.failed(
        client,
        accountId,
        null,
        `the identity provider could not be reached: ${(err as Error).message}`,
      );
      return this.page(req, res, 502, 'The identity provider could not be reached');
    }
    if (!begun) return this.page(req, res, 404, unavailable);
    const secure = this.o.publicUrl.startsWith('https:');
    // SAML answers with a cross-site POST: only a SameSite=None cookie comes along (https).
    const sameSite = begun.kind === 'SAML' && secure ? 'None' : 'Lax';
    res.writeHead(302, {
      location: begun.redirectUrl,
      'set-cookie': `${COOKIE}=${secret}; Path=/auth/sso; Max-Age=600; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`,
      'cache-control': 'no-store',
    });
    res.end();
  }

  private async complete(
    req: IncomingMessage,
    res: ServerResponse,
    client: ClientInfo,
    input: Record<string, unknown>,
  ): Promise<void> {
    const cookie = cookieOf(req);
    const { _ssoCompleteLogin: out } = (await this.o.calls.run(
      'access',
      COMPLETE,
      { input: { ...input, browserHash: cookie ? sha256(cookie) : '' } },
      client,
    )) as { _ssoCompleteLogin: Outcome };
    if (!out.ok)
      return this.page(req, res, 401, `Sign-in refused: ${out.reason ?? 'unknown reason'}`);
    const refuse = async (reason: string) => {
      await this.failed(client, out.accountId!, out.providerId, reason, out.email ?? undefined);
      return this.page(req, res, 403, `Sign-in refused: ${reason}`);
    };
    const jit = Boolean(out.jitProvisioning);
    const { _ssoUser: user } = await this.o.calls.run(
      'users',
      USER,
      { input: { email: out.email, name: out.name, create: jit, accountId: out.accountId } },
      client,
    );
    if (!user)
      return refuse('there is no user with this email and just-in-time provisioning is off');
    const { _provisionMember: membership } = await this.o.calls.run(
      'workspaces',
      MEMBER,
      {
        input: {
          accountId: out.accountId,
          userId: user.userId,
          role: out.jitAccountRole ?? 'MEMBER',
          create: jit,
        },
      },
      client,
    );
    if (membership === 'DEACTIVATED') return refuse('the membership of this user is deactivated');
    if (membership === 'NONE')
      return refuse('the user is not a member and just-in-time provisioning is off');
    await this.o.calls.run(
      'access',
      SYNC_TEAMS,
      { input: { providerId: out.providerId, userId: user.userId, groups: out.groups ?? [] } },
      client,
    );
    const { _ssoIssueCode: code } = await this.o.calls.run(
      'users',
      CODE,
      {
        input: {
          userId: user.userId,
          accountId: out.accountId,
          identityProviderId: out.providerId,
        },
      },
      client,
    );
    const target = new URL(out.returnTo ?? `${this.o.publicUrl}/auth/sso/complete`);
    target.searchParams.set('code', code);
    res.writeHead(302, {
      location: target.href,
      'set-cookie': `${COOKIE}=; Path=/auth/sso; Max-Age=0; HttpOnly; SameSite=Lax`,
      'cache-control': 'no-store',
    });
    res.end();
  }

  /** The default return page: the code for a client that has no page of its own. */
  private done(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const code = url.searchParams.get('code') ?? '';
    if ((req.headers.accept ?? '').includes('application/json')) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify({ code }));
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end(
      `<!doctype html><meta charset="utf-8"><title>Signed in</title><h1>Signed in</h1>` +
        `<p>Trade this one-time code (valid for a minute) for a session token with the GraphQL mutation ` +
        `<code>exchangeSsoCode(input: { code })</code>:</p><pre>${escapeHtml(code)}</pre>`,
    );
  }

  /** A relative path, or an absolute URL of PUBLIC_URL's origin or of SSO_RETURN_ORIGINS. */
  private returnAddress(value: string | null): string | null {
    if (!value) return null;
    if (value.startsWith('/') && !value.startsWith('//') && !value.includes('\\'))
      return new URL(value, this.o.publicUrl).href;
    const u = new URL(value);
    const allowed = [
      new URL(this.o.publicUrl).origin,
      ...this.o.returnOrigins.map((o) => new URL(o).origin),
    ];
    if (!allowed.includes(u.origin)) throw new Error('not allowed');
    return u.href;
  }

  private async failed(
    client: ClientInfo,
    accountId: string,
    providerId: string | null,
    reason: string,
    email?: string,
  ) {
    await this.o.calls
      .run(
        'access',
        FAILED,
        { input: { accountId, providerId, reason, email: email ?? null } },
        client,
      )
      .catch(() => undefined);
  }

  private page(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
    const text = withoutAddresses(message);
    if ((req.headers.accept ?? '').includes('application/json')) {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify({ error: 'sso_failed', reason: text }));
    }
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(
      `<!doctype html><meta charset="utf-8"><title>Single sign-on</title><h1>Single sign-on failed</h1><p>${escapeHtml(text)}</p>`,
    );
  }
}
