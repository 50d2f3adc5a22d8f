/**
 * Nobody hands out, or obtains through a key, more than they hold (issue 10: H1, H2, H3, M4).
 *
 * A generated matrix: every grantor (built-in account roles, custom account roles holding only
 * manage:member or manage:service_account, mixes of account and workspace authority, workspace
 * roles) × every role or permission set it might hand out × every path that hands authority out
 * (account roles, invitations with account and workspace roles, service accounts and their
 * keys, workspace roles for users, service accounts and teams, joining a team, defining custom
 * roles and giving or growing them, a workspace's default role). The expected answer comes from a model written here from
 * the role tables of lib/permissions.ts, not from lib/hand-out.ts. Every refusal must also be an
 * entry in the audit log.
 *
 * One stack; each grantor × path is one test that runs all its cases and reports every
 * mismatch at once; what an allowed case changed is put back by the owner before the next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  WORKSPACE_ROLE_PERMISSIONS,
  customRolePermissions,
  expandPermissions,
} from '../../lib/permissions.js';
import type { GqlResult } from '../harness/client.js';
import { createWorkspace, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { auditEntriesOf, ok, outcomeOf } from './authority-helpers.js';

type AccountRoleName = 'OWNER' | 'ADMIN' | 'MEMBER';
type WorkspaceRoleName = 'OWNER' | 'DEVELOPER' | 'RUNNER' | 'VIEWER' | 'WORKER';
const ACCOUNT_ROLES: AccountRoleName[] = ['OWNER', 'ADMIN', 'MEMBER'];
const WORKSPACE_ROLES: WorkspaceRoleName[] = ['OWNER', 'DEVELOPER', 'RUNNER', 'VIEWER', 'WORKER'];

// ---- the model: what a grantor holds, and what each case hands out --------------------------

interface Held {
  role: AccountRoleName;
  account: Set<string>;
  /** Account Owners and Admins own every workspace. */
  ownsAll: boolean;
  /** Permissions in the workspace W of the matrix (none in W2). */
  inW: Set<string> | null;
}

interface GrantorSpec {
  name: string;
  role: AccountRoleName;
  /** Permissions of a custom account role on top of the built-in one. */
  custom?: string[];
  /** Its role in W: a built-in role, or the permissions of a custom workspace role. */
  inW?: WorkspaceRoleName | { permissions: string[]; inheritsFrom?: WorkspaceRoleName };
}

/** A custom workspace role that may give roles and set the default one, holding what a Viewer holds. */
const MEMBER_MANAGER = {
  permissions: ['manage_workspace_members', 'manage_workspace_settings'],
  inheritsFrom: 'VIEWER' as const,
};

const GRANTORS: GrantorSpec[] = [
  { name: 'account OWNER', role: 'OWNER' },
  { name: 'account ADMIN', role: 'ADMIN' },
  { name: 'account MEMBER', role: 'MEMBER' },
  { name: 'MEMBER + [manage:member]', role: 'MEMBER', custom: ['manage:member'] },
  { name: 'MEMBER + [manage:service_account]', role: 'MEMBER', custom: ['manage:service_account'] },
  {
    name: 'MEMBER + [manage:member], member manager (Viewer) in W',
    role: 'MEMBER',
    custom: ['manage:member'],
    inW: MEMBER_MANAGER,
  },
  {
    name: 'MEMBER + [manage:service_account], DEVELOPER in W',
    role: 'MEMBER',
    custom: ['manage:service_account'],
    inW: 'DEVELOPER',
  },
  {
    name: 'MEMBER + [manage:team], DEVELOPER in W',
    role: 'MEMBER',
    custom: ['manage:team'],
    inW: 'DEVELOPER',
  },
  {
    name: 'MEMBER + [manage:role, manage:member], DEVELOPER in W',
    role: 'MEMBER',
    custom: ['manage:role', 'manage:member'],
    inW: 'DEVELOPER',
  },
  { name: 'workspace OWNER of W', role: 'MEMBER', inW: 'OWNER' },
  { name: 'workspace DEVELOPER of W', role: 'MEMBER', inW: 'DEVELOPER' },
];

function heldBy(g: GrantorSpec): Held {
  const inW =
    g.role === 'OWNER' || g.role === 'ADMIN'
      ? WORKSPACE_ROLE_PERMISSIONS.OWNER
      : g.inW === undefined
        ? null
        : typeof g.inW === 'string'
          ? WORKSPACE_ROLE_PERMISSIONS[g.inW]
          : customRolePermissions({ level: 'WORKSPACE', ...g.inW });
  return {
    role: g.role,
    account: new Set(expandPermissions([...ACCOUNT_ROLE_PERMISSIONS[g.role], ...(g.custom ?? [])])),
    ownsAll: g.role === 'OWNER' || g.role === 'ADMIN',
    inW: inW ? new Set(inW) : null,
  };
}

const has = (set: Set<string> | null, perms: readonly string[]) =>
  Boolean(set) && perms.every((p) => set!.has(p));
/** Holding an account role: its account permissions, and every workspace if it owns them. */
const holdsAccountRole = (h: Held, r: AccountRoleName) =>
  has(h.account, ACCOUNT_ROLE_PERMISSIONS[r]) && (h.ownsAll || (r !== 'OWNER' && r !== 'ADMIN'));
const F = 'FORBIDDEN';

/** What is handed out in W: a built-in role or a custom workspace role. */
interface WorkspaceGift {
  label: string;
  permissions: string[];
  role?: WorkspaceRoleName;
  roleId?: () => string;
}

// ---- the stack ----------------------------------------------------------------------------

let stack: Stack;
let owner: Actor;
let W: string;
const grantors = new Map<string, Actor>();
/** Refusals each grantor received (FORBIDDEN, and refusals that must not disclose a workspace). */
const refusals = new Map<string, number>();
const custom: Record<string, string> = {};

const q = {
  setAccountRole: `mutation($input: SetAccountRoleInput!) { setAccountRole(input: $input) { id } }`,
  invite: `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`,
  createSa: `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } key } }`,
  rotate: `mutation($input: RotateKeyInput!) { rotateServiceAccountKey(input: $input) { key } }`,
  setWsRole: `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`,
  removeWsRole: `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`,
  createTeam: `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`,
  setMembers: `mutation($input: SetTeamMembersInput!) { setTeamMembers(input: $input) { id } }`,
  createRole: `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`,
  updateRole: `mutation($input: UpdateRoleInput!) { updateRole(input: $input) { id } }`,
  setCustom: `mutation($input: SetAccountCustomRoleInput!) { setAccountCustomRole(input: $input) { id } }`,
  removeCustom: `mutation($input: RemoveAccountCustomRoleInput!) { removeAccountCustomRole(input: $input) }`,
  updateWorkspace: `mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { id } }`,
};

const asOwner = (query: string, input: Record<string, unknown>) => ok(owner, query, { input });
const refused = (grantor: string) => refusals.set(grantor, refusals.get(grantor)! + 1);

async function customRole(
  level: 'ACCOUNT' | 'WORKSPACE',
  permissions: string[],
  inheritsFrom?: string,
): Promise<string> {
  const data = await asOwner(q.createRole, {
    accountId: owner.accountId,
    name: `r-${uid(4)}`,
    level,
    permissions,
    inheritsFrom: inheritsFrom ?? null,
  });
  return data.createRole.id;
}

/** Targets of the paths (put back to their starting point after each grantor's cases). */
const t = {} as {
  member: Actor;
  sa: string;
  team: string;
  /** Teams holding a workspace gift in W, one per gift label; and one holding an account role. */
  teamsWith: Map<string, string>;
  teamWithAccountRole: string;
  /** Service accounts to rotate: one per account role, and MEMBERs with a role in W. */
  saByRole: Map<AccountRoleName, string>;
  saInW: Map<string, string>;
  /** A custom workspace role in use (given to `member` in W), for growing it. */
  usedRole: string;
};

let workspaceGifts: WorkspaceGift[];
const ACCOUNT_CUSTOM_SETS: string[][] = [
  ['read:audit_event'],
  ['manage:member'],
  ['delete:account'],
];
const accountCustomRoleIds = new Map<string, string>();

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  W = (await createWorkspace(owner, owner.accountId, { defaultRole: null })).id;
  await createWorkspace(owner, owner.accountId, { defaultRole: null });
  custom.memberManager = await customRole(
    'WORKSPACE',
    MEMBER_MANAGER.permissions,
    MEMBER_MANAGER.inheritsFrom,
  );
  workspaceGifts = [
    ...WORKSPACE_ROLES.map((r) => ({
      label: r,
      role: r,
      permissions: WORKSPACE_ROLE_PERMISSIONS[r],
    })),
    {
      label: 'custom [manage_workspace_members, manage_workspace_settings] on VIEWER',
      roleId: () => custom.memberManager!,
      permissions: customRolePermissions({ level: 'WORKSPACE', ...MEMBER_MANAGER }),
    },
  ];
  // Sign-ups hash passwords off the main thread: the people join side by side.
  const [member, ...joined] = await Promise.all(
    ['MEMBER' as const, ...GRANTORS.map((g) => g.role)].map((role) => join(stack, owner, role)),
  );
  t.member = member!;
  for (const [i, g] of GRANTORS.entries()) {
    const actor = joined[i]!;
    if (g.custom) {
      const roleId = await customRole('ACCOUNT', g.custom);
      await asOwner(q.setCustom, { accountId: owner.accountId, userId: actor.userId, roleId });
    }
    if (g.inW !== undefined) {
      const bind =
        typeof g.inW === 'string'
          ? { role: g.inW }
          : { roleId: g.inW === MEMBER_MANAGER ? custom.memberManager : '' };
      await asOwner(q.setWsRole, { workspaceId: W, userId: actor.userId, ...bind });
    }
    grantors.set(g.name, actor);
    refusals.set(g.name, 0);
  }
  // Targets.
  t.sa = (
    await asOwner(q.createSa, { accountId: owner.accountId, name: `t-${uid(4)}` })
  ).createServiceAccount.serviceAccount.id;
  t.team = (
    await asOwner(q.createTeam, { accountId: owner.accountId, name: `t-${uid(4)}` })
  ).createTeam.id;
  t.teamsWith = new Map();
  for (const gift of workspaceGifts) {
    const team = (await asOwner(q.createTeam, { accountId: owner.accountId, name: `t-${uid(4)}` }))
      .createTeam.id;
    await asOwner(q.setWsRole, { workspaceId: W, teamId: team, ...giftBinding(gift) });
    t.teamsWith.set(gift.label, team);
  }
  t.teamWithAccountRole = (
    await asOwner(q.createTeam, { accountId: owner.accountId, name: `t-${uid(4)}` })
  ).createTeam.id;
  await asOwner(q.setCustom, {
    accountId: owner.accountId,
    teamId: t.teamWithAccountRole,
    roleId: await customRole('ACCOUNT', ['read:audit_event']),
  });
  for (const set of ACCOUNT_CUSTOM_SETS)
    accountCustomRoleIds.set(set.join(','), await customRole('ACCOUNT', set));
  t.saByRole = new Map();
  for (const role of ACCOUNT_ROLES)
    t.saByRole.set(
      role,
      (
        await asOwner(q.createSa, {
          accountId: owner.accountId,
          name: `sa-${role}-${uid(3)}`,
          accountRole: role,
        })
      ).createServiceAccount.serviceAccount.id,
    );
  t.saInW = new Map();
  for (const gift of workspaceGifts) {
    const id = (await asOwner(q.createSa, { accountId: owner.accountId, name: `w-${uid(4)}` }))
      .createServiceAccount.serviceAccount.id;
    await asOwner(q.setWsRole, { workspaceId: W, serviceAccountId: id, ...giftBinding(gift) });
    t.saInW.set(gift.label, id);
  }
  t.usedRole = await customRole('WORKSPACE', ['see_flows']);
  const holder = await join(stack, owner, 'MEMBER');
  await asOwner(q.setWsRole, { workspaceId: W, userId: holder.userId, roleId: t.usedRole });
  // The copies of the service accounts' grants (users subgraph) are up to date.
  await stack.quiesce();
});
afterAll(async () => {
  await stack?.stop();
});

function giftBinding(gift: WorkspaceGift) {
  return gift.role ? { role: gift.role } : { roleId: gift.roleId!() };
}

// ---- the paths ----------------------------------------------------------------------------

interface Case {
  label: string;
  expected: string;
  run(actor: Actor): Promise<GqlResult>;
  /**
   * Puts back what an allowed case changed (as the owner), once the grantor's cases of the path
   * are done: what a grantor was allowed to give, it holds, so its later cases answer the same
   * whatever it left behind. Cases sharing a key share one reset.
   */
  reset?: { key: string; run(): Promise<unknown>; now?: boolean };
}

interface Path {
  name: string;
  cases(h: Held): Case[];
}

const inW = (h: Held) => h.ownsAll || h.inW !== null;
const wsPerms = (h: Held) => (h.ownsAll ? new Set(WORKSPACE_ROLE_PERMISSIONS.OWNER) : h.inW);
/** setWorkspaceRole in W: NOT_FOUND outside W, FORBIDDEN without manage_workspace_members or the role's permissions. */
const givingInW = (h: Held, perms: string[]) =>
  !inW(h) ? 'NOT_FOUND' : has(wsPerms(h), ['manage_workspace_members', ...perms]) ? 'OK' : F;

const PATHS: Path[] = [
  {
    name: 'setAccountRole',
    cases: (h) =>
      ACCOUNT_ROLES.map((role) => ({
        label: `MEMBER → ${role}`,
        expected: !h.account.has('manage:member')
          ? F
          : holdsAccountRole(h, role) && holdsAccountRole(h, 'MEMBER')
            ? 'OK'
            : F,
        run: (a) =>
          a.gql(q.setAccountRole, {
            input: { accountId: owner.accountId, principalId: t.member.userId, role },
          }),
        reset: {
          key: 'member role',
          run: () =>
            asOwner(q.setAccountRole, {
              accountId: owner.accountId,
              principalId: t.member.userId,
              role: 'MEMBER',
            }),
        },
      })),
  },
  {
    name: 'inviteMember (account role)',
    cases: (h) =>
      ACCOUNT_ROLES.map((role) => ({
        label: role,
        expected: !h.account.has('manage:member') ? F : holdsAccountRole(h, role) ? 'OK' : F,
        run: (a) =>
          a.gql(q.invite, {
            input: {
              accountId: owner.accountId,
              email: `i-${uid()}@example.test`,
              accountRole: role,
            },
          }),
      })),
  },
  {
    name: 'inviteMember (workspace role)',
    cases: (h) =>
      workspaceGifts
        .filter((g) => g.role)
        .map((gift) => ({
          label: `${gift.label} in W`,
          expected: !h.account.has('manage:member')
            ? F
            : !inW(h)
              ? 'BAD_USER_INPUT'
              : has(wsPerms(h), ['manage_workspace_members', ...gift.permissions])
                ? 'OK'
                : F,
          run: (a) =>
            a.gql(q.invite, {
              input: {
                accountId: owner.accountId,
                email: `i-${uid()}@example.test`,
                workspaceId: W,
                workspaceRole: gift.role,
              },
            }),
        })),
  },
  {
    name: 'createServiceAccount',
    cases: (h) =>
      ACCOUNT_ROLES.map((role) => ({
        label: role,
        expected: !h.account.has('manage:service_account')
          ? F
          : holdsAccountRole(h, role)
            ? 'OK'
            : F,
        run: (a) =>
          a.gql(q.createSa, {
            input: { accountId: owner.accountId, name: `c-${uid(4)}`, accountRole: role },
          }),
      })),
  },
  {
    name: 'rotateServiceAccountKey',
    cases: (h) => [
      ...ACCOUNT_ROLES.map((role) => ({
        label: `service account ${role}`,
        expected: !h.account.has('manage:service_account')
          ? F
          : holdsAccountRole(h, role)
            ? 'OK'
            : F,
        run: (a: Actor) =>
          a.gql(q.rotate, {
            input: { serviceAccountId: t.saByRole.get(role), gracePeriodHours: 1 },
          }),
      })),
      ...workspaceGifts.map((gift) => ({
        label: `service account MEMBER with ${gift.label} in W`,
        expected: !h.account.has('manage:service_account')
          ? F
          : has(wsPerms(h), gift.permissions)
            ? 'OK'
            : F,
        run: (a: Actor) =>
          a.gql(q.rotate, {
            input: { serviceAccountId: t.saInW.get(gift.label), gracePeriodHours: 1 },
          }),
      })),
    ],
  },
  ...(
    [
      ['user', () => ({ userId: t.member.userId })],
      ['service account', () => ({ serviceAccountId: t.sa })],
      ['team', () => ({ teamId: t.team })],
    ] as const
  ).map(([kind, target]): Path => ({
    name: `setWorkspaceRole (${kind})`,
    cases: (h) =>
      // Every role for users; for service accounts and teams (the same rule, another receiver)
      // the highest, the lowest and the custom one.
      workspaceGifts
        .filter((g) => kind === 'user' || !['DEVELOPER', 'RUNNER', 'WORKER'].includes(g.label))
        .map((gift) => ({
          label: `${gift.label} in W`,
          expected: givingInW(h, gift.permissions),
          run: (a) =>
            a.gql(q.setWsRole, { input: { workspaceId: W, ...target(), ...giftBinding(gift) } }),
          reset: { key: kind, run: () => asOwner(q.removeWsRole, { workspaceId: W, ...target() }) },
        })),
  })),
  {
    name: 'setTeamMembers (joining a team that holds more)',
    cases: (h) => [
      ...workspaceGifts.map((gift) => ({
        label: `team with ${gift.label} in W`,
        expected: !h.account.has('manage:team') ? F : has(wsPerms(h), gift.permissions) ? 'OK' : F,
        run: (a: Actor) =>
          a.gql(q.setMembers, {
            input: { teamId: t.teamsWith.get(gift.label), userIds: [a.userId] },
          }),
        reset: {
          key: gift.label,
          run: () => asOwner(q.setMembers, { teamId: t.teamsWith.get(gift.label), userIds: [] }),
        },
      })),
      {
        label: 'team with custom account role [read:audit_event]',
        expected: !h.account.has('manage:team') ? F : h.account.has('read:audit_event') ? 'OK' : F,
        run: (a: Actor) =>
          a.gql(q.setMembers, { input: { teamId: t.teamWithAccountRole, userIds: [a.userId] } }),
        reset: {
          key: 'account role team',
          run: () => asOwner(q.setMembers, { teamId: t.teamWithAccountRole, userIds: [] }),
        },
      },
      {
        label: 'team with custom account role, adding someone else',
        expected: !h.account.has('manage:team') ? F : h.account.has('read:audit_event') ? 'OK' : F,
        run: (a: Actor) =>
          a.gql(q.setMembers, {
            input: { teamId: t.teamWithAccountRole, userIds: [t.member.userId] },
          }),
        reset: {
          key: 'account role team',
          run: () => asOwner(q.setMembers, { teamId: t.teamWithAccountRole, userIds: [] }),
        },
      },
    ],
  },
  {
    name: 'createRole (account level)',
    cases: (h) =>
      ACCOUNT_CUSTOM_SETS.map((perms) => ({
        label: `[${perms.join(', ')}]`,
        expected: !h.account.has('manage:role') ? F : has(h.account, perms) ? 'OK' : F,
        run: (a) =>
          a.gql(q.createRole, {
            input: {
              accountId: owner.accountId,
              name: `c-${uid(4)}`,
              level: 'ACCOUNT',
              permissions: perms,
            },
          }),
      })),
  },
  {
    name: 'createRole (workspace level) then setWorkspaceRole with it',
    cases: (h) =>
      WORKSPACE_ROLES.map((role) => ({
        label: `custom role with ${role}'s permissions, given in W`,
        expected: !h.account.has('manage:role')
          ? F
          : givingInW(h, WORKSPACE_ROLE_PERMISSIONS[role]),
        run: async (a) => {
          const created = await a.gql(q.createRole, {
            input: {
              accountId: owner.accountId,
              name: `c-${uid(4)}`,
              level: 'WORKSPACE',
              permissions: WORKSPACE_ROLE_PERMISSIONS[role],
            },
          });
          if (created.errors) return created;
          return a.gql(q.setWsRole, {
            input: { workspaceId: W, userId: t.member.userId, roleId: created.data.createRole.id },
          });
        },
        reset: {
          key: 'member binding',
          run: () => asOwner(q.removeWsRole, { workspaceId: W, userId: t.member.userId }),
        },
      })),
  },
  {
    name: 'setAccountCustomRole',
    cases: (h) =>
      ACCOUNT_CUSTOM_SETS.map((perms) => ({
        label: `[${perms.join(', ')}]`,
        expected: !h.account.has('manage:member') ? F : has(h.account, perms) ? 'OK' : F,
        run: (a) =>
          a.gql(q.setCustom, {
            input: {
              accountId: owner.accountId,
              userId: t.member.userId,
              roleId: accountCustomRoleIds.get(perms.join(',')),
            },
          }),
        reset: {
          key: 'member custom role',
          run: () =>
            asOwner(q.removeCustom, { accountId: owner.accountId, userId: t.member.userId }),
        },
      })),
  },
  {
    name: "updateWorkspace (the default role, every member's without one of their own)",
    cases: (h) =>
      WORKSPACE_ROLES.map((role) => ({
        label: `default role ${role}`,
        expected: !inW(h)
          ? 'NOT_FOUND'
          : has(wsPerms(h), ['manage_workspace_settings', ...WORKSPACE_ROLE_PERMISSIONS[role]])
            ? 'OK'
            : F,
        run: (a: Actor) => a.gql(q.updateWorkspace, { input: { id: W, defaultRole: role } }),
        reset: {
          key: 'default role',
          run: () => asOwner(q.updateWorkspace, { id: W, defaultRole: null }),
        },
      })),
  },
  {
    name: 'updateRole (growing a role in use)',
    cases: (h) =>
      WORKSPACE_ROLES.map((role) => {
        const after = WORKSPACE_ROLE_PERMISSIONS[role];
        const changed = [
          ...after.filter((p) => p !== 'see_flows'),
          ...(after.includes('see_flows') ? [] : ['see_flows']),
        ];
        return {
          label: `[see_flows] → ${role}'s permissions`,
          expected: !h.account.has('manage:role') ? F : has(wsPerms(h), changed) ? 'OK' : F,
          run: (a: Actor) => a.gql(q.updateRole, { input: { id: t.usedRole, permissions: after } }),
          // The next case's change is counted from [see_flows]: put it back at once.
          reset: {
            key: 'used role',
            now: true,
            run: () => asOwner(q.updateRole, { id: t.usedRole, permissions: ['see_flows'] }),
          },
        };
      }),
  },
];

describe.each(GRANTORS.map((g) => [g.name, g] as const))('grantor: %s', (name, spec) => {
  const held = heldBy(spec);
  it.each(PATHS.map((p) => [p.name, p] as const))('%s', async (_path, path) => {
    const actor = grantors.get(name)!;
    const mismatches: string[] = [];
    const resets = new Map<string, () => Promise<unknown>>();
    for (const c of path.cases(held)) {
      const res = await c.run(actor);
      const got = outcomeOf(res);
      if (got !== c.expected)
        mismatches.push(
          `${c.label}: expected ${c.expected}, got ${got} ${JSON.stringify(res.errors?.[0]?.message ?? '')}`,
        );
      if (got === F || (got === 'BAD_USER_INPUT' && c.expected === 'BAD_USER_INPUT')) refused(name);
      if (got === 'OK' && c.reset) {
        if (c.reset.now) await c.reset.run();
        else resets.set(c.reset.key, c.reset.run);
      }
    }
    for (const reset of resets.values()) await reset();
    expect(mismatches).toEqual([]);
  });
});

describe('the stories of the issue', () => {
  it('H1: a member with only manage:member makes nobody an Admin, itself included', async () => {
    const mm = grantors.get('MEMBER + [manage:member]')!;
    const self = await mm.gql(q.setAccountRole, {
      input: { accountId: owner.accountId, principalId: mm.userId, role: 'ADMIN' },
    });
    expect(outcomeOf(self)).toBe(F);
    refused('MEMBER + [manage:member]');
    const me = await ok(mm, `query($id: ID!) { account(id: $id) { myRole } }`, {
      id: owner.accountId,
    });
    expect(me.account.myRole).toBe('MEMBER');
    // A second identity of its own, invited as ADMIN: refused before any invitation exists.
    const invited = await mm.gql(q.invite, {
      input: {
        accountId: owner.accountId,
        email: `alt-${uid()}@example.test`,
        accountRole: 'ADMIN',
      },
    });
    expect(outcomeOf(invited)).toBe(F);
    refused('MEMBER + [manage:member]');
  });

  it('H2: manage:service_account mints no Admin key, and reads no audit log', async () => {
    const msa = grantors.get('MEMBER + [manage:service_account]')!;
    const res = await msa.gql(q.createSa, {
      input: { accountId: owner.accountId, name: `admin-${uid(4)}`, accountRole: 'ADMIN' },
    });
    expect(outcomeOf(res)).toBe(F);
    refused('MEMBER + [manage:service_account]');
    expect(res.data?.createServiceAccount ?? null).toBeNull();
    const listed = await ok(
      owner,
      `query($id: ID!) { account(id: $id) { serviceAccounts { name } } }`,
      {
        id: owner.accountId,
      },
    );
    expect(
      listed.account.serviceAccounts.filter((s: { name: string }) => s.name.startsWith('admin-')),
    ).toEqual([]);
  });

  it("H3: an Admin cannot rotate an Owner service account's key, nor revoke its keys with grace 0", async () => {
    const created = await ok(owner, q.createSa, {
      input: { accountId: owner.accountId, name: `owner-bot-${uid(3)}`, accountRole: 'OWNER' },
    });
    const { serviceAccount, key } = created.createServiceAccount;
    await stack.quiesce();
    const admin = grantors.get('account ADMIN')!;
    const res = await admin.gql(q.rotate, {
      input: { serviceAccountId: serviceAccount.id, gracePeriodHours: 0 },
    });
    expect(outcomeOf(res)).toBe(F);
    refused('account ADMIN');
    expect(res.data?.rotateServiceAccountKey ?? null).toBeNull();
    // The owner automation's key still works, as an Owner.
    const me = await ok(stack.as(key), `query($id: ID!) { account(id: $id) { myRole } }`, {
      id: owner.accountId,
    });
    expect(me.account.myRole).toBe('OWNER');
    // Deleting it is refused too; the account's Owner may rotate it.
    expect(
      outcomeOf(
        await admin.gql(`mutation($id: ID!) { deleteServiceAccount(id: $id) }`, {
          id: serviceAccount.id,
        }),
      ),
    ).toBe(F);
    refused('account ADMIN');
    await ok(owner, q.rotate, {
      input: { serviceAccountId: serviceAccount.id, gracePeriodHours: 0 },
    });
  });

  it('M4: manage:member invites into no workspace it cannot see (the answer does not disclose it)', async () => {
    const mm = grantors.get('MEMBER + [manage:member]')!;
    const res = await mm.gql(q.invite, {
      input: {
        accountId: owner.accountId,
        email: `ws-${uid()}@example.test`,
        workspaceId: W,
        workspaceRole: 'OWNER',
      },
    });
    expect(outcomeOf(res)).toBe('BAD_USER_INPUT');
    refused('MEMBER + [manage:member]');
    expect(res.errors![0]!.extensions?.field).toBe('workspaceId');
    const unknown = await mm.gql(q.invite, {
      input: {
        accountId: owner.accountId,
        email: `ws-${uid()}@example.test`,
        workspaceId: '00000000-0000-4000-8000-000000000000',
        workspaceRole: 'OWNER',
      },
    });
    expect(unknown.errors![0]!.message).toBe(res.errors![0]!.message);
  });
});

describe('every refusal is audited', () => {
  it.each(GRANTORS.map((g) => [g.name] as const))('%s', async (name) => {
    const actor = grantors.get(name)!;
    const expected = refusals.get(name)!;
    await stack.quiesce();
    const denied = (await auditEntriesOf(owner, owner.accountId, actor.userId)).filter((e) =>
      e.action.endsWith('.denied'),
    );
    // Refusals are audited boundedly (lib/subgraph.ts): per kind (reason, scope, subject,
    // action) the 1st, 10th, 100th … is recorded with its count. So a kind whose highest
    // recorded count is c stands for c to 10·c − 1 refusals, and the kinds together must
    // account for exactly the refusals this grantor received.
    const highest = new Map<string, number>();
    for (const e of denied) {
      const count = Number(e.summary.count);
      expect([1, 10, 100, 1000]).toContain(count);
      const kind = `${e.action}:${e.workspaceId}:${String(e.summary.reason)}`;
      highest.set(kind, Math.max(highest.get(kind) ?? 0, count));
    }
    const least = [...highest.values()].reduce((a, c) => a + c, 0);
    const most = [...highest.values()].reduce((a, c) => a + 10 * c - 1, 0);
    if (expected === 0) expect(denied).toEqual([]);
    expect(least).toBeLessThanOrEqual(expected);
    expect(most).toBeGreaterThanOrEqual(expected);
  });
});
