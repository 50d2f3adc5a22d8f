/**
 * Object access lists and teams (issue 10): a team on a list lets its members in (they were
 * locked out: team entries never matched anyone), only teams of the object's own account may be
 * listed (L3), and leaving the team, or the team's deletion, takes the access away at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../harness/client.js';
import { createWorkspace, expectError, join } from '../harness/seed.js';
import { startStack, uid, type Actor, type Stack } from '../harness/stack.js';
import { auditEntriesOf, ok } from './authority-helpers.js';

const SET_ACL = `mutation($input: SetObjectAccessInput!) { setObjectAccess(input: $input) { objectId entries { level teamId user { id } } } }`;
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`;
const SET_MEMBERS = `mutation($input: SetTeamMembersInput!) { setTeamMembers(input: $input) { id } }`;
const DEPLOYMENT = `query($id: ID!) { deployment(id: $id) { id } }`;
const RUN = `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`;
const UPDATE = `mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { id } }`;

let stack: Stack;
let owner: Actor;
let ws: string;
let flow: string;
let teamMember: Actor;
let outsider: Actor;
let team: string;

beforeAll(async () => {
  stack = await startStack();
  owner = await stack.signUp();
  ws = (await createWorkspace(owner, owner.accountId, { defaultRole: null })).id;
  flow = (
    await ok(owner, `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`, {
      input: { workspaceId: ws, name: 'f' },
    })
  ).createFlow.id;
  teamMember = await join(stack, owner, { workspace: { id: ws, role: 'DEVELOPER' } });
  outsider = await join(stack, owner, { workspace: { id: ws, role: 'DEVELOPER' } });
  team = (await ok(owner, CREATE_TEAM, { input: { accountId: owner.accountId, name: 'ops' } }))
    .createTeam.id;
  await ok(owner, SET_MEMBERS, { input: { teamId: team, userIds: [teamMember.userId] } });
  await stack.quiesce();
});
afterAll(async () => {
  await stack?.stop();
});

const newDeployment = async () =>
  (
    await ok(
      owner,
      `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`,
      { input: { flowId: flow, name: `d-${uid(4)}` } },
    )
  ).createDeployment.id as string;

describe('team entries of access lists', () => {
  it("let the team's members in, at the team's level; others stay out", async () => {
    const d = await newDeployment();
    await ok(owner, SET_ACL, {
      input: { objectType: 'DEPLOYMENT', objectId: d, entries: [{ teamId: team, level: 'RUN' }] },
    });
    expect((await ok(teamMember, DEPLOYMENT, { id: d })).deployment.id).toBe(d);
    await ok(teamMember, RUN, { input: { deploymentId: d } });
    // RUN is not MANAGE.
    expectError(await teamMember.gql(UPDATE, { input: { id: d, description: 'x' } }), 'FORBIDDEN');
    // A developer outside the team does not see it.
    expectError(await outsider.gql(DEPLOYMENT, { id: d }), 'NOT_FOUND');
    expectError(await outsider.gql(RUN, { input: { deploymentId: d } }), 'NOT_FOUND');
    const listed = await ok(
      teamMember,
      `query($id: ID!) { workspace(id: $id) { deployments { edges { node { id } } } } }`,
      { id: ws },
    );
    expect(
      listed.workspace.deployments.edges.map((e: { node: { id: string } }) => e.node.id),
    ).toContain(d);
  });

  it('a team with MANAGE may change the list itself (its members are on it through the team)', async () => {
    const d = await newDeployment();
    await ok(owner, SET_ACL, {
      input: {
        objectType: 'DEPLOYMENT',
        objectId: d,
        entries: [{ teamId: team, level: 'MANAGE' }],
      },
    });
    await ok(teamMember, UPDATE, { input: { id: d, description: 'by the team' } });
    const res = await ok(teamMember, SET_ACL, {
      input: {
        objectType: 'DEPLOYMENT',
        objectId: d,
        entries: [
          { teamId: team, level: 'MANAGE' },
          { userId: outsider.userId, level: 'VIEW' },
        ],
      },
    });
    expect(res.setObjectAccess.entries).toHaveLength(2);
    expect((await ok(outsider, DEPLOYMENT, { id: d })).deployment.id).toBe(d);
  });

  it("leaving the team, or the team's deletion, takes the access away at once", async () => {
    const d = await newDeployment();
    const other = (
      await ok(owner, CREATE_TEAM, { input: { accountId: owner.accountId, name: `t-${uid(3)}` } })
    ).createTeam.id;
    await ok(owner, SET_MEMBERS, { input: { teamId: other, userIds: [outsider.userId] } });
    await ok(owner, SET_ACL, {
      input: {
        objectType: 'DEPLOYMENT',
        objectId: d,
        entries: [
          { teamId: team, level: 'VIEW' },
          { teamId: other, level: 'VIEW' },
        ],
      },
    });
    expect((await ok(teamMember, DEPLOYMENT, { id: d })).deployment.id).toBe(d);
    expect((await ok(outsider, DEPLOYMENT, { id: d })).deployment.id).toBe(d);
    await ok(owner, SET_MEMBERS, { input: { teamId: team, userIds: [] } });
    await ok(owner, `mutation($id: ID!) { deleteTeam(id: $id) }`, { id: other });
    expectError(await teamMember.gql(DEPLOYMENT, { id: d }), 'NOT_FOUND');
    expectError(await outsider.gql(DEPLOYMENT, { id: d }), 'NOT_FOUND');
    await ok(owner, SET_MEMBERS, { input: { teamId: team, userIds: [teamMember.userId] } });
    expect((await ok(teamMember, DEPLOYMENT, { id: d })).deployment.id).toBe(d);
  });
});

describe("L3: another account's team", () => {
  it('is refused on an access list, naming the entry, and the attempt is audited', async () => {
    const stranger = await stack.signUp();
    const foreign = (
      await ok(stranger, CREATE_TEAM, { input: { accountId: stranger.accountId, name: 'theirs' } })
    ).createTeam.id;
    await stack.quiesce();
    const d = await newDeployment();
    const res = await owner.gql(SET_ACL, {
      input: {
        objectType: 'DEPLOYMENT',
        objectId: d,
        entries: [
          { userId: owner.userId, level: 'MANAGE' },
          { teamId: foreign, level: 'VIEW' },
        ],
      },
    });
    expectError(res, 'BAD_USER_INPUT', 'entries.1.teamId');
    // An unknown team reads the same: nothing about the other account is disclosed.
    const unknown = await owner.gql(SET_ACL, {
      input: {
        objectType: 'DEPLOYMENT',
        objectId: d,
        entries: [{ teamId: '00000000-0000-4000-8000-000000000000', level: 'VIEW' }],
      },
    });
    expect(unknown.errors?.[0]?.message).toBe(res.errors?.[0]?.message);
    // Nothing was stored: the deployment has no list.
    expect(
      (
        await ok(owner, `query($id: ID!) { deployment(id: $id) { access { objectId } } }`, {
          id: d,
        })
      ).deployment.access,
    ).toBeNull();
    // The account's own team is accepted.
    await ok(owner, SET_ACL, {
      input: { objectType: 'DEPLOYMENT', objectId: d, entries: [{ teamId: team, level: 'VIEW' }] },
    });
    await stack.quiesce();
    const denied = (await auditEntriesOf(owner, owner.accountId, owner.userId)).filter(
      (e) => e.action === 'object-access.denied',
    );
    // Both attempts are one kind of refusal, audited boundedly (the 1st, 10th, 100th … of a
    // kind): one entry, counting the first.
    expect(denied).toHaveLength(1);
    expect(denied[0]!.workspaceId).toBe(ws);
    expect(denied[0]!.summary.count).toBe(1);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });
});
