import type { EntityManager } from '@mikro-orm/core';
import { requireSystem } from '../../../../lib/actor.js';
import { patchBodyValidation, scimPatch, ScimError, type ScimPatch } from 'scim-patch';
import { isUuid } from '../../../../lib/db.js';
import { recordEvent } from '../../../../lib/outbox.js';
import type { Em } from '../../../../lib/orm.js';
import type { AccessContext } from '../context.js';
import { PrincipalType } from '../common/principals.js';
import { Team, TeamMember } from '../teams/team.entity.js';
import { SsoDomain } from '../sso/sso-domain.entity.js';
import { SsoSettings } from '../sso/sso-settings.entity.js';
import { filterToSql, parseFilter, ScimFilterError, type ColumnSpec } from './scim-filter.js';
import {
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  LIST_SCHEMA,
  MAX_RESULTS,
  PATCH_SCHEMA,
  resourceTypes,
  schemas,
  serviceProviderConfig,
  USER_SCHEMA,
} from './scim-schemas.js';
import { ScimGroup, ScimUser } from './scim.entity.js';

type Json = Record<string, unknown>;

export interface ScimRequest {
  accountId: string;
  method: string;
  /** Path segments after /scim/v2/. */
  path: string[];
  query: {
    filter?: string | null;
    startIndex?: string | null;
    count?: string | null;
    attributes?: string | null;
    excludedAttributes?: string | null;
  };
  body?: unknown;
}

/** What a write to a SCIM user asks of the other subgraphs (the gateway carries it out). */
export interface UserEffect {
  scimUserId: string;
  /** The address that provisions the Flowplane user (primary email, else an email userName). */
  email: string | null;
  name: string | null;
  active: boolean;
  deleted: boolean;
  /** The Flowplane user already linked. */
  userId: string | null;
  /** The email's domain is a verified domain of the account: the user may be created. */
  createAllowed: boolean;
  /** The account role of a membership SCIM creates (the account's jitAccountRole). */
  role: string;
}

export interface ScimAnswer {
  status: number;
  body: Json | null;
  effects: UserEffect[];
}

/** A SCIM error answer (RFC 7644 §3.12). */
export class ScimFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: string,
  ) {
    super(message);
  }
}

const USER_COLUMNS: Record<string, ColumnSpec> = {
  id: { column: 'id', kind: 'string' },
  username: { column: 'user_name_key', kind: 'string', caseInsensitive: true },
  externalid: { column: 'external_id', kind: 'string' },
  displayname: { column: 'display_name_key', kind: 'string', caseInsensitive: true },
  emails: { column: 'emails_key', kind: 'list', caseInsensitive: true },
  'emails.value': { column: 'emails_key', kind: 'list', caseInsensitive: true },
  active: { column: 'active', kind: 'boolean' },
  'meta.created': { column: 'created_at', kind: 'date' },
  'meta.lastmodified': { column: 'updated_at', kind: 'date' },
};

const GROUP_COLUMNS: Record<string, ColumnSpec> = {
  id: { column: 'id', kind: 'string' },
  externalid: { column: 'external_id', kind: 'string' },
  displayname: { column: 'display_name_key', kind: 'string', caseInsensitive: true },
  'meta.created': { column: 'created_at', kind: 'date' },
  'meta.lastmodified': { column: 'updated_at', kind: 'date' },
};

const str = (v: unknown, field: string, max = 255): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new ScimFailure(400, `${field} must be a string`, 'invalidValue');
  if (v.length > max) throw new ScimFailure(400, `${field} is longer than ${max}`, 'invalidValue');
  if (v.includes('\u0000'))
    throw new ScimFailure(400, `${field} holds a NUL character`, 'invalidValue');
  return v;
};

/** Top-level keys matched case-blind (SCIM attribute names are case-insensitive). */
function pick(body: Json, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

/** The stored document of a user: the writable attributes, validated, unknown ones dropped. */
function userDocument(body: Json): Json {
  const doc: Json = {};
  const userName = str(pick(body, 'userName'), 'userName');
  if (!userName?.trim()) throw new ScimFailure(400, 'userName is required', 'invalidValue');
  doc.userName = userName;
  const externalId = str(pick(body, 'externalId'), 'externalId');
  if (externalId !== undefined) doc.externalId = externalId;
  const displayName = str(pick(body, 'displayName'), 'displayName');
  if (displayName !== undefined) doc.displayName = displayName;
  const active = pick(body, 'active');
  if (active !== undefined && active !== null) {
    if (typeof active !== 'boolean')
      throw new ScimFailure(400, 'active must be a boolean', 'invalidValue');
    doc.active = active;
  }
  const name = pick(body, 'name');
  if (name !== undefined && name !== null) {
    if (typeof name !== 'object' || Array.isArray(name))
      throw new ScimFailure(400, 'name must be an object', 'invalidValue');
    const n: Json = {};
    for (const k of ['formatted', 'familyName', 'givenName']) {
      const v = str(pick(name as Json, k), `name.${k}`);
      if (v !== undefined) n[k] = v;
    }
    if (Object.keys(n).length) doc.name = n;
  }
  const emails = pick(body, 'emails');
  if (emails !== undefined && emails !== null) {
    if (!Array.isArray(emails) || emails.length > 20)
      throw new ScimFailure(400, 'emails must be a list of at most 20', 'invalidValue');
    doc.emails = emails.map((e, i) => {
      if (!e || typeof e !== 'object')
        throw new ScimFailure(400, `emails[${i}] must be an object`, 'invalidValue');
      const out: Json = {};
      const value = str(pick(e as Json, 'value'), `emails[${i}].value`, 254);
      if (value !== undefined) out.value = value;
      const type = str(pick(e as Json, 'type'), `emails[${i}].type`, 40);
      if (type !== undefined) out.type = type;
      const primary = pick(e as Json, 'primary');
      if (primary !== undefined && primary !== null) {
        if (typeof primary !== 'boolean')
          throw new ScimFailure(400, `emails[${i}].primary must be a boolean`, 'invalidValue');
        out.primary = primary;
      }
      return out;
    });
  }
  return doc;
}

function groupDocument(body: Json): Json {
  const doc: Json = {};
  const displayName = str(pick(body, 'displayName'), 'displayName', 100);
  if (!displayName?.trim()) throw new ScimFailure(400, 'displayName is required', 'invalidValue');
  doc.displayName = displayName;
  const externalId = str(pick(body, 'externalId'), 'externalId');
  if (externalId !== undefined) doc.externalId = externalId;
  const members = pick(body, 'members');
  if (members !== undefined && members !== null) {
    if (!Array.isArray(members) || members.length > 1000)
      throw new ScimFailure(400, 'members must be a list of at most 1000', 'invalidValue');
    doc.members = members.map((m, i) => {
      if (!m || typeof m !== 'object')
        throw new ScimFailure(400, `members[${i}] must be an object`, 'invalidValue');
      const out: Json = {};
      for (const k of ['value', '$ref', 'display', 'type']) {
        const v = str(pick(m as Json, k), `members[${i}].${k}`, 2048);
        if (v !== undefined) out[k] = v;
      }
      if (!out.value) throw new ScimFailure(400, `members[${i}].value is required`, 'invalidValue');
      return out;
    });
  }
  return doc;
}

/** The creator of teams SCIM provisions (the nil UUID: no user or service account). */
const SYSTEM_CREATOR = '00000000-0000-0000-0000-000000000000';

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/** The address that provisions the Flowplane user: the primary email, the first, or userName. */
function provisioningEmail(doc: Json): string | null {
  const emails = (doc.emails as { value?: string; primary?: boolean }[] | undefined) ?? [];
  const candidate =
    emails.find((e) => e.primary)?.value ?? emails[0]?.value ?? (doc.userName as string);
  const email = candidate?.trim().toLowerCase();
  return email && EMAIL.test(email) ? email : null;
}

function displayNameOf(doc: Json): string | null {
  const name = doc.name as
    { formatted?: string; givenName?: string; familyName?: string } | undefined;
  return (
    (doc.displayName as string | undefined) ??
    name?.formatted ??
    ([name?.givenName, name?.familyName].filter(Boolean).join(' ') || null)
  );
}

/** Keeps `attributes` or drops `excludedAttributes` (id, schemas and meta always stay). */
function project(resource: Json, attributes?: string | null, excluded?: string | null): Json {
  const list = (v: string) =>
    v
      .split(',')
      .map((a) => a.trim().toLowerCase())
      .filter(Boolean)
      .map((a) => a.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, ''));
  const always = new Set(['id', 'schemas', 'meta']);
  if (attributes) {
    const wanted = list(attributes);
    const out: Json = {};
    for (const [k, v] of Object.entries(resource)) {
      const key = k.toLowerCase();
      if (always.has(key) || wanted.includes(key)) out[k] = v;
      else {
        const subs = wanted
          .filter((w) => w.startsWith(`${key}.`))
          .map((w) => w.slice(key.length + 1));
        if (subs.length && v && typeof v === 'object') {
          const pickSubs = (o: Json) =>
            Object.fromEntries(Object.entries(o).filter(([sk]) => subs.includes(sk.toLowerCase())));
          out[k] = Array.isArray(v) ? v.map((x) => pickSubs(x as Json)) : pickSubs(v as Json);
        }
      }
    }
    return out;
  }
  if (excluded) {
    const drop = list(excluded);
    return Object.fromEntries(
      Object.entries(resource).filter(
        ([k]) => always.has(k.toLowerCase()) || !drop.includes(k.toLowerCase()),
      ),
    );
  }
  return resource;
}

/**
 * SCIM 2.0 Users and Groups of one account (RFC 7643/7644), for the gateway's /scim/v2 routes
 * (system principal, the account its token names). Users are stored as the documents the IdP
 * manages; their provisioning effects (the Flowplane user, the membership, its status) are
 * handed back for the gateway to apply in the users and workspaces subgraphs. Groups are teams.
 */
export class ScimService {
  private readonly base: string;

  constructor(private readonly ctx: AccessContext) {
    requireSystem(ctx.principal);
    this.base = ctx.sso.scimBaseUrl();
  }

  async handle(req: ScimRequest): Promise<ScimAnswer> {
    try {
      return await this.route(req);
    } catch (err) {
      let failure: ScimFailure;
      if (err instanceof ScimFailure) failure = err;
      else if (err instanceof ScimFilterError)
        failure = new ScimFailure(400, err.message, 'invalidFilter');
      else if (err instanceof ScimError)
        failure = new ScimFailure(
          400,
          err.message,
          (err as { scimType?: string }).scimType ?? 'invalidValue',
        );
      else throw err;
      await this.ctx.transaction(async (em) => {
        recordEvent(em, 'scim.request-refused', {
          accountId: req.accountId,
          method: req.method,
          path: `/${req.path.join('/')}`.slice(0, 200),
          status: failure.status,
          reason: failure.message.slice(0, 300),
        });
      });
      return { status: failure.status, body: scimError(failure), effects: [] };
    }
  }

  private async route(req: ScimRequest): Promise<ScimAnswer> {
    const [resource, id, extra] = req.path;
    const m = req.method;
    const ok = (body: Json, status = 200): ScimAnswer => ({ status, body, effects: [] });
    const discovery = ['ServiceProviderConfig', 'ResourceTypes', 'Schemas'].includes(
      resource ?? '',
    );
    if (discovery && m !== 'GET') throw new ScimFailure(405, `${m} is not allowed on ${resource}`);
    if (resource === '.search' && !id)
      throw new ScimFailure(
        m === 'POST' ? 501 : 405,
        'Searching several resource types at once is not supported',
      );
    if (resource === 'ServiceProviderConfig' && !id && m === 'GET')
      return ok(serviceProviderConfig(this.base));
    if (resource === 'ResourceTypes' && m === 'GET') {
      const all = resourceTypes(this.base);
      if (id) {
        const one = all.find((r) => r.id === id);
        if (!one) throw new ScimFailure(404, `No resource type ${id}`);
        return ok(one);
      }
      return ok(listOf(all, 1, all.length));
    }
    if (resource === 'Schemas' && m === 'GET') {
      const all = schemas(this.base);
      if (id) {
        const one = all.find((r) => r.id === id);
        if (!one) throw new ScimFailure(404, `No schema ${id}`);
        return ok(one);
      }
      return ok(listOf(all, 1, all.length));
    }
    if (resource === 'Users' || resource === 'Groups') {
      const users = resource === 'Users';
      if (id === '.search' && !extra && m === 'POST') {
        const body = (req.body ?? {}) as Json;
        return ok(
          await this.list(users, req.accountId, {
            filter: (body.filter as string) ?? null,
            startIndex: body.startIndex != null ? String(body.startIndex) : null,
            count: body.count != null ? String(body.count) : null,
            attributes: Array.isArray(body.attributes) ? body.attributes.join(',') : null,
            excludedAttributes: Array.isArray(body.excludedAttributes)
              ? body.excludedAttributes.join(',')
              : null,
          }),
        );
      }
      if (extra) throw new ScimFailure(404, 'Not found');
      if (!id) {
        if (m === 'GET') return ok(await this.list(users, req.accountId, req.query));
        if (m === 'POST') return users ? this.createUser(req) : this.createGroup(req);
        throw new ScimFailure(405, `${m} is not allowed here`);
      }
      if (!isUuid(id)) throw new ScimFailure(404, `${users ? 'User' : 'Group'} ${id} not found`);
      if (m === 'GET') {
        const r = users
          ? await this.userResource(req.accountId, id)
          : await this.groupResource(req.accountId, id);
        return ok(project(r, req.query.attributes, req.query.excludedAttributes));
      }
      if (m === 'PUT')
        return users ? this.writeUser(req, id, 'put') : this.writeGroup(req, id, 'put');
      if (m === 'PATCH')
        return users ? this.writeUser(req, id, 'patch') : this.writeGroup(req, id, 'patch');
      if (m === 'DELETE')
        return users ? this.deleteUser(req.accountId, id) : this.deleteGroup(req.accountId, id);
      throw new ScimFailure(405, `${m} is not allowed here`);
    }
    if (!resource && m === 'POST')
      throw new ScimFailure(501, 'Searching several resource types at once is not supported');
    throw new ScimFailure(404, 'Not found');
  }

  private async list(users: boolean, accountId: string, q: ScimRequest['query']): Promise<Json> {
    const startIndex = Math.max(1, Number.parseInt(q.startIndex ?? '1', 10) || 1);
    const parsedCount = q.count == null ? 100 : Number.parseInt(q.count, 10);
    if (Number.isNaN(parsedCount))
      throw new ScimFailure(400, 'count must be a number', 'invalidValue');
    const count = Math.min(Math.max(parsedCount, 0), MAX_RESULTS);
    const em = this.ctx.em as Em;
    const qb = em.createQueryBuilder(users ? ScimUser : ScimGroup, 'r').where({ accountId });
    if (q.filter) {
      const { sql, params } = filterToSql(
        parseFilter(q.filter),
        users ? USER_COLUMNS : GROUP_COLUMNS,
        users ? USER_SCHEMA : GROUP_SCHEMA,
      );
      qb.andWhere(sql, params);
    }
    const total = await qb.clone().getCount();
    const rows = count
      ? await qb
          .orderBy({ createdAt: 'asc', id: 'asc' })
          .limit(count)
          .offset(startIndex - 1)
          .getResultList()
      : [];
    const resources = users
      ? await this.userResources(em, accountId, rows as ScimUser[])
      : await this.groupResources(accountId, rows as ScimGroup[]);
    return {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: resources.length,
      Resources: resources.map((r) => project(r, q.attributes, q.excludedAttributes)),
    };
  }

  // ---- users ---------------------------------------------------------------------------

  private async userResources(
    em: EntityManager,
    accountId: string,
    rows: ScimUser[],
  ): Promise<Json[]> {
    if (!rows.length) return [];
    const groups = await em.find(ScimGroup, { accountId });
    return rows.map((u) => {
      const memberOf = groups.filter((g) =>
        ((g.document.members as { value: string }[] | undefined) ?? []).some(
          (m) => m.value === u.id,
        ),
      );
      return {
        schemas: [USER_SCHEMA],
        id: u.id,
        ...u.document,
        groups: memberOf.map((g) => ({
          value: g.id,
          $ref: `${this.base}/Groups/${g.id}`,
          display: g.document.displayName,
        })),
        meta: {
          resourceType: 'User',
          created: u.createdAt.toISOString(),
          lastModified: u.updatedAt.toISOString(),
          location: `${this.base}/Users/${u.id}`,
        },
      };
    });
  }

  private async userResource(accountId: string, id: string): Promise<Json> {
    const u = await this.ctx.em.findOne(ScimUser, { id, accountId });
    if (!u) throw new ScimFailure(404, `User ${id} not found`);
    return (await this.userResources(this.ctx.em, accountId, [u]))[0]!;
  }

  private apply(u: ScimUser, doc: Json): void {
    u.document = doc;
    u.userNameKey = String(doc.userName).toLowerCase();
    u.externalId = (doc.externalId as string | undefined) ?? null;
    u.displayNameKey = (doc.displayName as string | undefined)?.toLowerCase() ?? null;
    const emails = ((doc.emails as { value?: string }[] | undefined) ?? [])
      .map((e) => e.value?.toLowerCase())
      .filter((v): v is string => Boolean(v));
    u.emailsKey = emails.length ? `\n${emails.join('\n')}\n` : null;
    u.active = doc.active !== false;
    u.updatedAt = new Date();
  }

  private async effectOf(em: EntityManager, u: ScimUser, deleted = false): Promise<UserEffect> {
    const email = provisioningEmail(u.document);
    const domain = email?.slice(email.lastIndexOf('@') + 1);
    const createAllowed = domain
      ? (await em.count(SsoDomain, { accountId: u.accountId, domain, verifiedAt: { $ne: null } })) >
        0
      : false;
    const settings = await em.findOne(SsoSettings, { accountId: u.accountId });
    return {
      role: settings?.jitAccountRole ?? 'MEMBER',
      scimUserId: u.id,
      email,
      name: displayNameOf(u.document),
      active: u.active && !deleted,
      deleted,
      userId: u.userId ?? null,
      createAllowed,
    };
  }

  private async assertUserNameFree(em: EntityManager, accountId: string, doc: Json, id?: string) {
    const taken = await em.count(ScimUser, {
      accountId,
      userNameKey: String(doc.userName).toLowerCase(),
      ...(id ? { id: { $ne: id } } : {}),
    });
    if (taken) throw new ScimFailure(409, 'A user with this userName exists', 'uniqueness');
  }

  private async createUser(req: ScimRequest): Promise<ScimAnswer> {
    const doc = userDocument(asObject(req.body));
    return this.ctx.transaction(async (em) => {
      await this.assertUserNameFree(em, req.accountId, doc);
      const u = em.create(ScimUser, { accountId: req.accountId } as ScimUser);
      this.apply(u, doc);
      u.createdAt = u.updatedAt;
      recordEvent(em, 'scim.user-created', {
        accountId: req.accountId,
        scimUserId: u.id,
        userName: doc.userName,
        active: u.active,
      });
      await em.flush();
      return {
        status: 201,
        body: (await this.userResources(em, req.accountId, [u]))[0]!,
        effects: [await this.effectOf(em, u)],
      };
    });
  }

  private async writeUser(req: ScimRequest, id: string, how: 'put' | 'patch'): Promise<ScimAnswer> {
    return this.ctx.transaction(async (em) => {
      const u = await em.findOne(ScimUser, { id, accountId: req.accountId });
      if (!u) throw new ScimFailure(404, `User ${id} not found`);
      const wasActive = u.active;
      let doc: Json;
      if (how === 'put') doc = userDocument(asObject(req.body));
      else {
        const current = { ...u.document };
        doc = userDocument(this.patched(current, req.body, 'User'));
      }
      await this.assertUserNameFree(em, req.accountId, doc, u.id);
      this.apply(u, doc);
      recordEvent(em, wasActive && !u.active ? 'scim.user-deactivated' : 'scim.user-updated', {
        accountId: req.accountId,
        scimUserId: u.id,
        userName: doc.userName,
        active: u.active,
        userId: u.userId ?? null,
      });
      await em.flush();
      return {
        status: 200,
        body: (await this.userResources(em, req.accountId, [u]))[0]!,
        effects: [await this.effectOf(em, u)],
      };
    });
  }

  private async deleteUser(accountId: string, id: string): Promise<ScimAnswer> {
    return this.ctx.transaction(async (em) => {
      const u = await em.findOne(ScimUser, { id, accountId });
      if (!u) throw new ScimFailure(404, `User ${id} not found`);
      const effect = await this.effectOf(em, u, true);
      // Out of every group it was listed in, and out of their teams.
      const groups = await em.find(ScimGroup, { accountId });
      for (const g of groups) {
        const members = (g.document.members as { value: string }[] | undefined) ?? [];
        if (!members.some((m) => m.value === id)) continue;
        g.document = { ...g.document, members: members.filter((m) => m.value !== id) };
        g.updatedAt = new Date();
      }
      if (u.userId) await this.syncTeams(em, accountId, groups);
      em.remove(u);
      recordEvent(em, 'scim.user-deleted', {
        accountId,
        scimUserId: id,
        userName: u.document.userName,
        userId: u.userId ?? null,
      });
      return { status: 204, body: null, effects: [effect] };
    });
  }

  /** Links a SCIM user to the Flowplane user the gateway provisioned, and syncs its teams. */
  async link(accountId: string, scimUserId: string, userId: string): Promise<boolean> {
    if (!isUuid(scimUserId) || !isUuid(userId)) return false;
    return this.ctx.transaction(async (em) => {
      const u = await em.findOne(ScimUser, { id: scimUserId, accountId });
      if (!u) return false;
      if (u.userId !== userId) {
        u.userId = userId;
        recordEvent(em, 'scim.user-linked', { accountId, scimUserId, userId });
      }
      await this.syncTeams(em, accountId, await em.find(ScimGroup, { accountId }));
      return true;
    });
  }

  // ---- groups --------------------------------------------------------------------------

  private async groupResources(_accountId: string, rows: ScimGroup[]): Promise<Json[]> {
    return rows.map((g) => ({
      schemas: [GROUP_SCHEMA],
      id: g.id,
      ...g.document,
      members: (g.document.members as unknown[] | undefined) ?? [],
      meta: {
        resourceType: 'Group',
        created: g.createdAt.toISOString(),
        lastModified: g.updatedAt.toISOString(),
        location: `${this.base}/Groups/${g.id}`,
      },
    }));
  }

  private async groupResource(accountId: string, id: string): Promise<Json> {
    const g = await this.ctx.em.findOne(ScimGroup, { id, accountId });
    if (!g) throw new ScimFailure(404, `Group ${id} not found`);
    return (await this.groupResources(accountId, [g]))[0]!;
  }

  /** Members must be users of this account's SCIM service. */
  private async checkMembers(em: EntityManager, accountId: string, doc: Json): Promise<void> {
    const ids = ((doc.members as { value: string }[] | undefined) ?? []).map((m) => m.value);
    if (!ids.length) return;
    if (ids.some((v) => !isUuid(v)))
      throw new ScimFailure(400, 'A member is not a user of this service', 'invalidValue');
    const found = await em.count(ScimUser, { accountId, id: { $in: [...new Set(ids)] } });
    if (found !== new Set(ids).size)
      throw new ScimFailure(400, 'A member is not a user of this service', 'invalidValue');
  }

  private async assertGroupNameFree(
    em: EntityManager,
    accountId: string,
    name: string,
    id?: string,
  ) {
    const taken = await em.count(Team, {
      accountId,
      name: name.trim(),
      ...(id ? { id: { $ne: id } } : {}),
    });
    if (taken) throw new ScimFailure(409, 'A team with this displayName exists', 'uniqueness');
  }

  private async createGroup(req: ScimRequest): Promise<ScimAnswer> {
    const doc = groupDocument(asObject(req.body));
    return this.ctx.transaction(async (em) => {
      await this.checkMembers(em, req.accountId, doc);
      await this.assertGroupNameFree(em, req.accountId, String(doc.displayName));
      const team = em.create(Team, {
        accountId: req.accountId,
        name: String(doc.displayName).trim(),
        description: 'Provisioned by SCIM',
        // Made by the account's provisioning, not by a principal with an id.
        createdById: SYSTEM_CREATOR,
      } as Team);
      const g = em.create(ScimGroup, {
        id: team.id,
        accountId: req.accountId,
        externalId: (doc.externalId as string | undefined) ?? null,
        displayNameKey: String(doc.displayName).toLowerCase(),
        document: doc,
      } as ScimGroup);
      recordEvent(em, 'team.created', {
        teamId: team.id,
        accountId: req.accountId,
        name: team.name,
        via: 'scim',
      });
      recordEvent(em, 'scim.group-created', {
        accountId: req.accountId,
        scimGroupId: g.id,
        displayName: team.name,
      });
      await em.flush();
      await this.syncTeams(em, req.accountId, [g]);
      return {
        status: 201,
        body: (await this.groupResources(req.accountId, [g]))[0]!,
        effects: [],
      };
    });
  }

  private async writeGroup(
    req: ScimRequest,
    id: string,
    how: 'put' | 'patch',
  ): Promise<ScimAnswer> {
    return this.ctx.transaction(async (em) => {
      const g = await em.findOne(ScimGroup, { id, accountId: req.accountId });
      if (!g) throw new ScimFailure(404, `Group ${id} not found`);
      const doc =
        how === 'put'
          ? groupDocument(asObject(req.body))
          : groupDocument(
              this.patched({ ...g.document, members: g.document.members ?? [] }, req.body, 'Group'),
            );
      await this.checkMembers(em, req.accountId, doc);
      const team = await em.findOne(Team, { id: g.id, accountId: req.accountId });
      if (team && team.name !== String(doc.displayName).trim()) {
        await this.assertGroupNameFree(em, req.accountId, String(doc.displayName), g.id);
        team.name = String(doc.displayName).trim();
      }
      g.document = doc;
      g.externalId = (doc.externalId as string | undefined) ?? null;
      g.displayNameKey = String(doc.displayName).toLowerCase();
      g.updatedAt = new Date();
      recordEvent(em, 'scim.group-updated', {
        accountId: req.accountId,
        scimGroupId: g.id,
        displayName: doc.displayName,
      });
      await em.flush();
      await this.syncTeams(em, req.accountId, [g]);
      return {
        status: 200,
        body: (await this.groupResources(req.accountId, [g]))[0]!,
        effects: [],
      };
    });
  }

  private async deleteGroup(accountId: string, id: string): Promise<ScimAnswer> {
    return this.ctx.transaction(async (em) => {
      const g = await em.findOne(ScimGroup, { id, accountId });
      if (!g) throw new ScimFailure(404, `Group ${id} not found`);
      const members = await em.find(TeamMember, { teamId: g.id, accountId });
      await em.nativeDelete(TeamMember, { teamId: g.id, accountId });
      await em.nativeDelete(Team, { id: g.id, accountId });
      em.remove(g);
      recordEvent(em, 'team.deleted', {
        teamId: g.id,
        accountId,
        name: g.document.displayName,
        via: 'scim',
      });
      recordEvent(em, 'scim.group-deleted', { accountId, scimGroupId: g.id });
      if (members.length)
        recordEvent(em, 'grants.changed', { principalIds: members.map((m) => m.principalId) });
      return { status: 204, body: null, effects: [] };
    });
  }

  /** Each group's team holds exactly the linked users its members name. */
  private async syncTeams(
    em: EntityManager,
    accountId: string,
    groups: ScimGroup[],
  ): Promise<void> {
    if (!groups.length) return;
    const users = await em.find(ScimUser, { accountId, userId: { $ne: null } });
    const userOf = new Map(users.map((u) => [u.id, u.userId!]));
    const changed = new Set<string>();
    for (const g of groups) {
      if (!(await em.count(Team, { id: g.id, accountId }))) continue;
      const want = new Set(
        ((g.document.members as { value: string }[] | undefined) ?? [])
          .map((m) => userOf.get(m.value))
          .filter((v): v is string => Boolean(v)),
      );
      const current = await em.find(TeamMember, {
        teamId: g.id,
        accountId,
        principalType: PrincipalType.USER,
      });
      const have = new Set(current.map((m) => m.principalId));
      const added = [...want].filter((id) => !have.has(id));
      const removed = current.filter((m) => !want.has(m.principalId));
      for (const m of removed) em.remove(m);
      for (const principalId of added)
        em.create(TeamMember, {
          teamId: g.id,
          accountId,
          principalType: PrincipalType.USER,
          principalId,
        } as TeamMember);
      if (added.length || removed.length) {
        recordEvent(em, 'team.members-changed', {
          teamId: g.id,
          accountId,
          added: added.map((principalId) => ({ principalId, principalType: PrincipalType.USER })),
          removed: removed.map((m) => ({
            principalId: m.principalId,
            principalType: m.principalType,
          })),
          via: 'scim',
        });
        for (const id of [...added, ...removed.map((m) => m.principalId)]) changed.add(id);
      }
    }
    if (changed.size) recordEvent(em, 'grants.changed', { principalIds: [...changed] });
  }

  /** RFC 7644 §3.5.2 PATCH on a document (scim-patch), answered as SCIM errors when invalid. */
  private patched(current: Json, body: unknown, resourceType: string): Json {
    const patch = asObject(body) as unknown as ScimPatch;
    const schemasOk = Array.isArray(patch.schemas) && patch.schemas.includes(PATCH_SCHEMA);
    if (!schemasOk)
      throw new ScimFailure(400, `schemas must include ${PATCH_SCHEMA}`, 'invalidSyntax');
    try {
      patchBodyValidation(patch);
    } catch (err) {
      throw new ScimFailure(400, (err as Error).message, 'invalidSyntax');
    }
    const resource = {
      ...current,
      schemas: [resourceType === 'User' ? USER_SCHEMA : GROUP_SCHEMA],
      meta: { resourceType, created: new Date(), lastModified: new Date() },
    };
    const out = scimPatch(resource, patch.Operations, { mutateDocument: false }) as unknown as Json;
    delete out.schemas;
    delete out.meta;
    delete out.id;
    delete out.groups;
    return out;
  }
}

function asObject(body: unknown): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ScimFailure(400, 'The body must be a JSON object', 'invalidSyntax');
  return body as Json;
}

function listOf(resources: Json[], startIndex: number, total: number): Json {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

export function scimError(f: { status: number; message: string; scimType?: string }): Json {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(f.status),
    ...(f.scimType ? { scimType: f.scimType } : {}),
    detail: f.message,
  };
}
