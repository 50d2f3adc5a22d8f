import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientInfo } from '../../../lib/actor.js';
import { bearer, BodyTooLarge, readBody } from '../../../lib/http.js';
import { sha256 } from '../../../lib/secrets.js';
import type { InternalCalls } from '../sso/internal-calls.js';

const PREFIX = '/scim/v2/';
const MAX_BODY = 1024 * 1024;
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

const ACCOUNT = `query($h: String!) { _scimAccount(tokenHash: $h) }`;
const SCIM = `mutation($input: ScimRequestInput!) { _scim(input: $input) { status body effects } }`;
const LINK = `mutation($input: ScimLinkInput!) { _scimLink(input: $input) }`;
const USER = `mutation($input: SsoUserInput!) { _ssoUser(input: $input) { userId created } }`;
const MEMBER = `mutation($input: ProvisionMemberInput!) { _provisionMember(input: $input) }`;

interface UserEffect {
  scimUserId: string;
  email: string | null;
  name: string | null;
  active: boolean;
  deleted: boolean;
  userId: string | null;
  createAllowed: boolean;
  role: string;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (body === null || status === 204) {
    res.writeHead(status, headers);
    return void res.end();
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const error = (status: number, detail: string, scimType?: string) => ({
  schemas: [ERROR_SCHEMA],
  status: String(status),
  ...(scimType ? { scimType } : {}),
  detail,
});

/**
 * SCIM 2.0 at /scim/v2/ (RFC 7644) on the public server: the account's SCIM bearer token names
 * the one account every call is for; the access subgraph stores and filters the resources; a
 * user it provisions is found or created (users), made a member with the account's JIT role
 * (workspaces) and linked back. Deprovisioning (active false, DELETE) is a domain event the
 * workspaces subgraph applies to the membership, so grants caches and sockets follow everywhere.
 */
export class ScimRoutes {
  constructor(
    private readonly calls: InternalCalls,
    private readonly clientOf: (req: IncomingMessage) => ClientInfo,
  ) {}

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const client = this.clientOf(req);
    const token = bearer(req);
    if (!token) {
      return send(res, 401, error(401, 'A SCIM bearer token is required'), {
        'www-authenticate': 'Bearer realm="flowplane-scim"',
      });
    }
    const { _scimAccount: accountId } = await this.calls.run(
      'access',
      ACCOUNT,
      { h: sha256(token) },
      client,
    );
    if (!accountId) {
      return send(res, 401, error(401, 'Invalid or revoked SCIM token'), {
        'www-authenticate': 'Bearer realm="flowplane-scim", error="invalid_token"',
      });
    }
    let body: unknown = null;
    const discovery = /^\/scim\/v2\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/.test(
      url.pathname,
    );
    if (discovery && req.method !== 'GET')
      return send(res, 405, error(405, `${req.method} is not allowed here`), { allow: 'GET' });
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      const type = req.headers['content-type'] ?? '';
      if (!/application\/(scim\+)?json/.test(type))
        return send(res, 415, error(415, 'Send application/scim+json', 'invalidSyntax'));
      let raw: string;
      try {
        raw = await readBody(req, MAX_BODY);
      } catch (err) {
        if (err instanceof BodyTooLarge) return send(res, 413, error(413, 'The body is too large'));
        throw err;
      }
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        return send(res, 400, error(400, 'The body is not JSON', 'invalidSyntax'));
      }
    }
    let path: string[];
    try {
      path = url.pathname.slice(PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return send(res, 400, error(400, 'A malformed path', 'invalidSyntax'));
    }
    const q = url.searchParams;
    const { _scim: answer } = await this.calls.run(
      'access',
      SCIM,
      {
        input: {
          accountId,
          method: req.method ?? 'GET',
          path,
          query: {
            filter: q.get('filter'),
            startIndex: q.get('startIndex'),
            count: q.get('count'),
            attributes: q.get('attributes'),
            excludedAttributes: q.get('excludedAttributes'),
          },
          body,
        },
      },
      client,
    );
    for (const effect of answer.effects as UserEffect[])
      await this.provision(accountId, effect, client);
    const location = (answer.body as { meta?: { location?: string } } | null)?.meta?.location;
    send(res, answer.status, answer.body, answer.status === 201 && location ? { location } : {});
  };

  /**
   * The Flowplane side of an active SCIM user: the user (created only for a verified domain of
   * the account), the membership (created likewise; an existing member's is used), and the link
   * back that puts it in its groups' teams. Deactivation travels as an event instead.
   */
  private async provision(accountId: string, e: UserEffect, client: ClientInfo): Promise<void> {
    if (e.deleted || !e.active || e.userId || !e.email) return;
    const { _ssoUser: user } = await this.calls.run(
      'users',
      USER,
      { input: { email: e.email, name: e.name, create: e.createAllowed, accountId } },
      client,
    );
    if (!user) return;
    const { _provisionMember: membership } = await this.calls.run(
      'workspaces',
      MEMBER,
      { input: { accountId, userId: user.userId, role: e.role, create: e.createAllowed } },
      client,
    );
    if (membership === 'NONE') return;
    await this.calls.run(
      'access',
      LINK,
      { input: { accountId, scimUserId: e.scimUserId, userId: user.userId } },
      client,
    );
  }
}

export const SCIM_PREFIX = PREFIX;
