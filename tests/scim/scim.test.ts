import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/seed.js';
import type { Actor } from '../harness/stack.js';
import { auditEntries, startSsoStack, uid, verifyDomain, type SsoStack } from '../sso/fixtures.js';
import { GROUP_SCHEMA, PATCH_SCHEMA, scimClient, USER_SCHEMA } from './scim-client.js';

/**
 * SCIM 2.0 against /scim/v2 over HTTP: discovery, Users and Groups with filters, paging, PATCH,
 * PUT and DELETE; users of a verified domain become Flowplane users and members, deactivation
 * takes their access to the account away at once, groups are teams.
 */
let s: SsoStack;
let owner: Actor;
let scim: ReturnType<typeof scimClient>;
let token: string;
const domain = `scim-${uid(3)}.test`;

beforeAll(async () => {
  s = await startSsoStack();
  owner = await s.stack.signUp({ email: `owner@${domain}` });
  await verifyDomain(s, owner, domain);
  const res = await owner.gql(
    `mutation($id: ID!) { rotateScimToken(accountId: $id) { token baseUrl } }`,
    {
      id: owner.accountId,
    },
  );
  expect(res.errors).toBeUndefined();
  token = res.data.rotateScimToken.token;
  expect(res.data.rotateScimToken.baseUrl).toBe(`${s.base}/scim/v2`);
  scim = scimClient(s.base, token);
});

afterAll(async () => {
  await s?.stop();
});

const newUser = (local: string, over: Record<string, unknown> = {}) => ({
  schemas: [USER_SCHEMA],
  userName: `${local}@${domain}`,
  externalId: `ext-${local}`,
  name: { givenName: local, familyName: 'Example' },
  displayName: `${local} Example`,
  emails: [{ value: `${local}@${domain}`, type: 'work', primary: true }],
  active: true,
  ...over,
});

const MEMBERS = `query($id: ID!) { account(id: $id) { members(first: 200) { edges { node { active user { id } } } } } }`;

async function membership(userId: string): Promise<{ active: boolean } | undefined> {
  const res = await owner.gql(MEMBERS, { id: owner.accountId });
  return res.data.account.members.edges
    .map((e: { node: { active: boolean; user: { id: string } | null } }) => e.node)
    .find((n: { user: { id: string } | null }) => n.user?.id === userId);
}

describe('authentication', () => {
  it('needs the account token: none, a wrong one and a rotated-out one get 401 SCIM errors', async () => {
    const none = await fetch(`${s.base}/scim/v2/Users`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(((await none.json()) as { schemas: string[] }).schemas).toEqual([
      'urn:ietf:params:scim:api:messages:2.0:Error',
    ]);
    expect((await scimClient(s.base, 'fpscim_wrong')('GET', '/Users')).status).toBe(401);
    const rotated = await owner.gql(
      `mutation($id: ID!) { rotateScimToken(accountId: $id) { token } }`,
      { id: owner.accountId },
    );
    const fresh = rotated.data.rotateScimToken.token as string;
    expect((await scimClient(s.base, token)('GET', '/Users')).status).toBe(401);
    token = fresh;
    scim = scimClient(s.base, token);
    expect((await scim('GET', '/Users')).status).toBe(200);
    const entries = await auditEntries(owner, owner.accountId, 'scim-token.rotated');
    expect(entries.length).toBeGreaterThanOrEqual(2);
    // The token is shown once: settings show only its last characters.
    const settings = await owner.gql(
      `query($id: ID!) { account(id: $id) { ssoSettings { scimTokenMasked } } }`,
      { id: owner.accountId },
    );
    expect(settings.data.account.ssoSettings.scimTokenMasked).toBe(`fpscim_…${token.slice(-4)}`);
  });
});

describe('discovery', () => {
  it('serves ServiceProviderConfig, ResourceTypes and Schemas as application/scim+json', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    expect(spc.status).toBe(200);
    expect(spc.headers.get('content-type')).toMatch(/application\/scim\+json/);
    expect(spc.body.patch.supported).toBe(true);
    expect(spc.body.filter).toMatchObject({ supported: true, maxResults: 200 });
    const types = await scim('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    const schema = await scim('GET', `/Schemas/${USER_SCHEMA}`);
    expect(schema.body.attributes.map((a: { name: string }) => a.name)).toContain('userName');
    expect((await scim('GET', '/Schemas/urn:nope')).status).toBe(404);
  });
});

describe('users', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    for (const local of ['alice', 'albert', 'bob']) {
      const res = await scim('POST', '/Users', newUser(local));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.get('location')).toBe(`${s.base}/scim/v2/Users/${res.body.id}`);
      ids[local] = res.body.id;
    }
  });

  it('provisions a user of a verified domain as a Flowplane user and member with the JIT role', async () => {
    const res = await owner.gql(MEMBERS, { id: owner.accountId });
    const memberIds = res.data.account.members.edges.map(
      (e: { node: { user: { id: string } | null } }) => e.node.user?.id,
    );
    expect(memberIds.length).toBe(4);
    await expect(auditEntries(owner, owner.accountId, 'scim.user-created')).resolves.toHaveLength(
      3,
    );
    await expect(auditEntries(owner, owner.accountId, 'user.provisioned')).resolves.toHaveLength(3);
  });

  it('refuses a second user with the same userName (409 uniqueness), audited', async () => {
    const res = await scim('POST', '/Users', newUser('alice', { userName: `ALICE@${domain}` }));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    await eventually(async () => {
      const refused = await auditEntries(owner, owner.accountId, 'scim.request-refused');
      expect(refused.some((e) => e.summary.status === 409)).toBe(true);
    });
  });

  it.each([
    ['userName eq (case-blind)', `userName eq "ALICE@${domain}"`, ['alice']],
    ['userName sw', `userName sw "al"`, ['albert', 'alice']],
    ['userName co', `userName co "bert@"`, ['albert']],
    ['emails co', `emails co "bob@"`, ['bob']],
    ['emails.value eq', `emails.value eq "albert@${domain}"`, ['albert']],
    ['externalId eq', `externalId eq "ext-bob"`, ['bob']],
    ['displayName sw', `displayName sw "alice"`, ['alice']],
    ['pr', `externalId pr and userName sw "b"`, ['bob']],
    ['or', `userName eq "bob@${domain}" or externalId eq "ext-alice"`, ['alice', 'bob']],
    [
      'and with parentheses',
      `(userName sw "a" or userName sw "b") and displayName co "bert"`,
      ['albert'],
    ],
    ['not', `not (userName sw "a")`, ['bob']],
    ['a wildcard is a character, not a pattern', `userName co "%"`, []],
  ])('filter: %s', async (_name, filter, expected) => {
    const res = await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const names = res.body.Resources.map((r: { userName: string }) => r.userName.split('@')[0]);
    expect(names.sort()).toEqual(expected);
    expect(res.body.totalResults).toBe(expected.length);
  });

  it('answers a bad filter with 400 invalidFilter', async () => {
    for (const f of ['userName eq', 'password eq "x"', 'userName xx "a"', '(userName eq "a"']) {
      const res = await scim('GET', `/Users?filter=${encodeURIComponent(f)}`);
      expect(res.status, f).toBe(400);
      expect(res.body.scimType).toBe('invalidFilter');
    }
  });

  it('pages with startIndex and count', async () => {
    const page1 = await scim('GET', '/Users?startIndex=1&count=2');
    const page2 = await scim('GET', '/Users?startIndex=3&count=2');
    expect(page1.body).toMatchObject({ totalResults: 3, startIndex: 1, itemsPerPage: 2 });
    expect(page2.body).toMatchObject({ totalResults: 3, startIndex: 3, itemsPerPage: 1 });
    const all = [...page1.body.Resources, ...page2.body.Resources].map((r: { id: string }) => r.id);
    expect(new Set(all).size).toBe(3);
    expect((await scim('GET', '/Users?count=0')).body).toMatchObject({
      totalResults: 3,
      itemsPerPage: 0,
    });
  });

  it('honours attributes and excludedAttributes', async () => {
    const only = await scim('GET', `/Users/${ids.alice}?attributes=userName,name.givenName`);
    expect(Object.keys(only.body).sort()).toEqual(['id', 'meta', 'name', 'schemas', 'userName']);
    expect(only.body.name).toEqual({ givenName: 'alice' });
    const without = await scim('GET', `/Users/${ids.alice}?excludedAttributes=emails`);
    expect(without.body.emails).toBeUndefined();
    expect(without.body.userName).toBe(`alice@${domain}`);
  });

  it('PATCH (RFC 7644 §3.5.2) and PUT change the document', async () => {
    const patched = await scim('PATCH', `/Users/${ids.albert}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: 'replace', path: 'displayName', value: 'Bert' },
        { op: 'add', path: 'emails', value: [{ value: `bert@${domain}`, type: 'home' }] },
        { op: 'remove', path: 'name.familyName' },
      ],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.displayName).toBe('Bert');
    expect(patched.body.emails.map((e: { value: string }) => e.value)).toContain(`bert@${domain}`);
    expect(patched.body.name).toEqual({ givenName: 'albert' });
    const found = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`emails eq "bert@${domain}"`)}`,
    );
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([ids.albert]);
    const put = await scim(
      'PUT',
      `/Users/${ids.albert}`,
      newUser('albert', { displayName: 'Albert Again' }),
    );
    expect(put.status).toBe(200);
    expect(put.body.displayName).toBe('Albert Again');
    expect(put.body.emails).toHaveLength(1);
    const bad = await scim('PATCH', `/Users/${ids.albert}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'jump', path: 'x' }],
    });
    expect(bad.status).toBe(400);
  });

  it('active false deactivates the membership at once; active true gives it back', async () => {
    const linked = await scim('GET', `/Users/${ids.bob}`);
    expect(linked.body.active).toBe(true);
    const bobUserId = await userIdOf(`bob@${domain}`);
    expect((await membership(bobUserId))?.active).toBe(true);
    const off = await scim('PATCH', `/Users/${ids.bob}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    await eventually(async () => expect((await membership(bobUserId))?.active).toBe(false));
    await eventually(async () => {
      const entries = await auditEntries(owner, owner.accountId, 'scim.user-deactivated');
      expect(entries).toHaveLength(1);
    });
    const on = await scim('PATCH', `/Users/${ids.bob}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    expect(on.body.active).toBe(true);
    await eventually(async () => expect((await membership(bobUserId))?.active).toBe(true));
  });

  it('DELETE deactivates the membership and answers 404 afterwards', async () => {
    const aliceUserId = await userIdOf(`alice@${domain}`);
    const del = await scim('DELETE', `/Users/${ids.alice}`);
    expect(del.status).toBe(204);
    await eventually(async () => expect((await membership(aliceUserId))?.active).toBe(false));
    expect((await scim('GET', `/Users/${ids.alice}`)).status).toBe(404);
  });

  it("another account's token sees none of these users", async () => {
    const other = await s.stack.signUp();
    const t = (
      await other.gql(`mutation($id: ID!) { rotateScimToken(accountId: $id) { token } }`, {
        id: other.accountId,
      })
    ).data.rotateScimToken.token;
    const theirs = scimClient(s.base, t);
    expect((await theirs('GET', '/Users')).body.totalResults).toBe(0);
    expect((await theirs('GET', `/Users/${ids.bob}`)).status).toBe(404);
    expect((await theirs('DELETE', `/Users/${ids.bob}`)).status).toBe(404);
  });

  /** The Flowplane user id of an email, through the owner's member list and profiles. */
  async function userIdOf(email: string): Promise<string> {
    const res = await owner.gql(
      `query($id: ID!) { account(id: $id) { members(first: 200) { edges { node { user { id handle } } } } } }`,
      { id: owner.accountId },
    );
    const local = email.split('@')[0]!;
    const node = res.data.account.members.edges
      .map((e: { node: { user: { id: string; handle: string } | null } }) => e.node)
      .find((n: { user: { handle: string } | null }) => n.user?.handle.startsWith(local));
    expect(node, email).toBeDefined();
    return node.user.id;
  }
});

describe('groups are teams', () => {
  it('creates a team with the linked members, follows PATCH of members and deletes it', async () => {
    const carol = await scim('POST', '/Users', newUser('carol'));
    const dave = await scim('POST', '/Users', newUser('dave'));
    const created = await scim('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Platform',
      members: [{ value: carol.body.id }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const teamId = created.body.id as string;
    const teamMembers = async () => {
      const res = await owner.gql(
        `query($id: ID!) { account(id: $id) { teams { id name members { user { handle } } } } }`,
        {
          id: owner.accountId,
        },
      );
      const team = res.data.account.teams.find((t: { id: string }) => t.id === teamId);
      return team
        ? team.members.map((m: { user: { handle: string } }) => m.user.handle.split('-')[0]).sort()
        : null;
    };
    expect(await teamMembers()).toEqual(['carol']);
    const user = await scim('GET', `/Users/${carol.body.id}`);
    expect(user.body.groups).toEqual([
      { value: teamId, $ref: `${s.base}/scim/v2/Groups/${teamId}`, display: 'Platform' },
    ]);
    const patched = await scim('PATCH', `/Groups/${teamId}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: dave.body.id }] },
        { op: 'remove', path: `members[value eq "${carol.body.id}"]` },
      ],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(await teamMembers()).toEqual(['dave']);
    const filtered = await scim(
      'GET',
      `/Groups?filter=${encodeURIComponent('displayName eq "platform"')}`,
    );
    expect(filtered.body.Resources.map((g: { id: string }) => g.id)).toEqual([teamId]);
    const unknown = await scim('PATCH', `/Groups/${teamId}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: 'add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] },
      ],
    });
    expect(unknown.status).toBe(400);
    expect((await scim('DELETE', `/Groups/${teamId}`)).status).toBe(204);
    expect(await teamMembers()).toBeNull();
  });
});
