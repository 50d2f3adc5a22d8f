/**
 * Every protected operation of the API, one entry each: the permission it needs (a name from
 * lib/permissions.ts), at which level, and how to run it as an actor against a seeded fixture.
 * The permission matrix (tests/access/permission-matrix.test.ts) runs each entry for every role.
 *
 * To add an operation: append one self-contained entry. `run` prepares what it needs as the
 * fixture's owner (a flow to delete, a workspace the actor is bound in, …) and then makes the
 * one protected call as the actor, returning its result unchecked.
 */
import { expect } from 'vitest';
import { EXPECTED_WORKSPACE_ROLES } from '../access/role-table.js';
import type { GqlResult } from './client.js';
import { createWorkspace, eventually, join } from './seed.js';
import { connectWs } from './ws.js';
import { SSO_OPERATIONS } from './sso-operations.js';
import type { OperationActor, OperationFixture, ProtectedOperation } from './operation-types.js';
import { uid, type Actor, type Stack } from './stack.js';

export type { OperationActor, OperationFixture, ProtectedOperation };

/**
 * Subscribes on the fixture's workspace over graphql-ws as the actor and reports, as a GraphQL
 * result, whether the gateway refused the subscription (its errors) or registered it.
 */
async function subscribeOnce(
  fx: OperationFixture,
  actor: OperationActor,
  query: string,
): Promise<GqlResult> {
  if (!actor.token) throw new Error("subscription entries need the actor's token");
  const engine = fx.stack.running.gateway!.subscriptions;
  const conn = await connectWs(fx.stack.url, { authorization: `Bearer ${actor.token}` });
  try {
    const before = engine.registered;
    const sub = conn.subscribe(query, { w: fx.workspaceId });
    await eventually(async () => {
      if (!sub.errors) expect(engine.registered).toBeGreaterThan(before);
    });
    return sub.errors
      ? { status: 200, errors: sub.errors, headers: new Headers() }
      : { status: 200, data: { subscribed: true }, headers: new Headers() };
  } finally {
    await conn.dispose();
  }
}

/** Runs a call as the owner and fails the test on any error (preparing an entry's objects). */
async function prepared<T = any>(
  fx: OperationFixture,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const res = await fx.owner.gql(query, variables);
  expect(res.errors, `preparing: ${query}`).toBeUndefined();
  return res.data as T;
}

const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id } }`;
const flowOf = async (fx: OperationFixture): Promise<string> =>
  (await prepared(fx, CREATE_FLOW, { input: { workspaceId: fx.workspaceId, name: `f-${uid(4)}` } }))
    .createFlow.id;
const SET_ROLE = `mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { id } }`;

/**
 * Objects many entries only look at or change harmlessly (a description, a pause), created once
 * per fixture so that the matrix's thousands of runs stay cheap. Entries that delete or lock an
 * object prepare their own.
 */
const sharedObjects = new WeakMap<OperationFixture, Map<string, Promise<any>>>();
function shared<T>(fx: OperationFixture, key: string, make: () => Promise<T>): Promise<T> {
  let m = sharedObjects.get(fx);
  if (!m) sharedObjects.set(fx, (m = new Map()));
  if (!m.has(key)) m.set(key, make());
  return m.get(key)!;
}
const sharedFlow = (fx: OperationFixture) => shared(fx, 'flow', () => flowOf(fx));
const CREATE_DEPLOYMENT = `mutation($input: CreateDeploymentInput!) { createDeployment(input: $input) { id } }`;
const deploymentOf = async (fx: OperationFixture): Promise<string> =>
  (
    await prepared(fx, CREATE_DEPLOYMENT, {
      input: { flowId: await sharedFlow(fx), name: `d-${uid(4)}` },
    })
  ).createDeployment.id;
const sharedDeployment = (fx: OperationFixture) => shared(fx, 'deployment', () => deploymentOf(fx));
const CREATE_FLOW_RUN = `mutation($input: CreateFlowRunInput!) { createFlowRun(input: $input) { id } }`;
const flowRunOf = async (fx: OperationFixture): Promise<string> =>
  (await prepared(fx, CREATE_FLOW_RUN, { input: { flowId: await sharedFlow(fx) } })).createFlowRun
    .id;
const sharedFlowRun = (fx: OperationFixture) => shared(fx, 'flow-run', () => flowRunOf(fx));
const sharedTaskRun = (fx: OperationFixture) =>
  shared(
    fx,
    'task-run',
    async () =>
      (
        await prepared(
          fx,
          `mutation($input: CreateTaskRunInput!) { createTaskRun(input: $input) { id } }`,
          { input: { flowRunId: await sharedFlowRun(fx), taskKey: 'matrix' } },
        )
      ).createTaskRun.id as string,
  );
/** The first state event of the shared flow run (its creation). */
const sharedStateEvent = (fx: OperationFixture) =>
  shared(fx, 'state-event', async () => {
    const runId = await sharedFlowRun(fx);
    const data = await prepared(
      fx,
      `query($id: ID!, $filter: EventFilter) { workspace(id: $id) { events(first: 1, filter: $filter, order: OCCURRED_ASC) { edges { node { id } } } } }`,
      { id: fx.workspaceId, filter: { resourceIds: [`flowplane.flow-run.${runId}`] } },
    );
    return data.workspace.events.edges[0].node.id as string;
  });
const CREATE_POOL = `mutation($input: CreateWorkPoolInput!) { createWorkPool(input: $input) { id } }`;
const poolOf = async (fx: OperationFixture): Promise<string> =>
  (
    await prepared(fx, CREATE_POOL, {
      input: { workspaceId: fx.workspaceId, name: `p-${uid(4)}`, type: 'process' },
    })
  ).createWorkPool.id;
const sharedPool = (fx: OperationFixture) => shared(fx, 'pool', () => poolOf(fx));
const CREATE_QUEUE = `mutation($input: CreateWorkQueueInput!) { createWorkQueue(input: $input) { id } }`;
const queueOf = async (fx: OperationFixture): Promise<string> =>
  (
    await prepared(fx, CREATE_QUEUE, {
      input: { workPoolId: await sharedPool(fx), name: `q-${uid(4)}` },
    })
  ).createWorkQueue.id;
const CREATE_AUTOMATION = `mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { id } }`;
const automationOf = async (fx: OperationFixture): Promise<string> =>
  (
    await prepared(fx, CREATE_AUTOMATION, {
      input: {
        workspaceId: fx.workspaceId,
        name: `a-${uid(4)}`,
        trigger: { event: { expect: ['matrix.never'] } },
        actions: [{ type: 'DO_NOTHING' }],
      },
    })
  ).createAutomation.id;
const sharedAutomation = (fx: OperationFixture) => shared(fx, 'automation', () => automationOf(fx));
const SET_VARIABLE = `mutation($input: SetVariableInput!) { setVariable(input: $input) { id name } }`;
const variableOf = async (fx: OperationFixture): Promise<{ id: string; name: string }> =>
  (
    await prepared(fx, SET_VARIABLE, {
      input: { workspaceId: fx.workspaceId, name: `v_${uid(4)}`, value: 1 },
    })
  ).setVariable;
const sharedVariable = (fx: OperationFixture) => shared(fx, 'variable', () => variableOf(fx));
const sharedBlockType = (fx: OperationFixture) =>
  shared(
    fx,
    'block-type',
    async () =>
      (
        await prepared(
          fx,
          `mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id } }`,
          { input: { workspaceId: fx.workspaceId, slug: `t-${uid(4)}`, name: 'Matrix' } },
        )
      ).createBlockType.id as string,
  );
/** A schema without secret fields: its documents need manage_blocks only. */
const sharedBlockSchema = (fx: OperationFixture) =>
  shared(
    fx,
    'block-schema',
    async () =>
      (
        await prepared(
          fx,
          `mutation($input: CreateBlockSchemaInput!) { createBlockSchema(input: $input) { id } }`,
          {
            input: {
              blockTypeId: await sharedBlockType(fx),
              version: '1',
              fields: { type: 'object', properties: { n: { type: 'integer' } } },
            },
          },
        )
      ).createBlockSchema.id as string,
  );
const CREATE_BLOCK = `mutation($input: CreateBlockDocumentInput!) { createBlockDocument(input: $input) { id } }`;
const blockOf = async (fx: OperationFixture): Promise<string> =>
  (
    await prepared(fx, CREATE_BLOCK, {
      input: {
        workspaceId: fx.workspaceId,
        blockSchemaId: await sharedBlockSchema(fx),
        name: `b-${uid(4)}`,
        data: { n: 1 },
      },
    })
  ).createBlockDocument.id;
const sharedBlock = (fx: OperationFixture) => shared(fx, 'block', () => blockOf(fx));
const CREATE_ARTIFACT = `mutation($input: CreateArtifactInput!) { createArtifact(input: $input) { id } }`;
const sharedArtifact = (fx: OperationFixture) =>
  shared(
    fx,
    'artifact',
    async () =>
      (
        await prepared(fx, CREATE_ARTIFACT, {
          input: { workspaceId: fx.workspaceId, key: 'matrix', type: 'MARKDOWN', data: '# hi' },
        })
      ).createArtifact.id as string,
  );
const CREATE_LIMIT = `mutation($input: CreateConcurrencyLimitInput!) { createConcurrencyLimit(input: $input) { id name } }`;
const limitOf = async (fx: OperationFixture): Promise<{ id: string; name: string }> =>
  (
    await prepared(fx, CREATE_LIMIT, {
      input: { workspaceId: fx.workspaceId, kind: 'GLOBAL', name: `l-${uid(4)}`, limit: 100_000 },
    })
  ).createConcurrencyLimit;
const sharedLimit = (fx: OperationFixture) => shared(fx, 'limit', () => limitOf(fx));
const ACQUIRE = `mutation($input: AcquireConcurrencySlotsInput!) { acquireConcurrencySlots(input: $input) { status lease { id } } }`;

const DECLARE_INCIDENT = `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }`;
const incidentOf = async (fx: OperationFixture, resolved = false): Promise<string> => {
  const id = (
    await prepared(fx, DECLARE_INCIDENT, {
      input: { workspaceId: fx.workspaceId, name: `i-${uid(4)}`, severity: 'LOW' },
    })
  ).declareIncident.id as string;
  if (resolved)
    await prepared(fx, `mutation($id: ID!) { resolveIncident(id: $id) { id } }`, { id });
  return id;
};
const sharedIncident = (fx: OperationFixture) => shared(fx, 'incident', () => incidentOf(fx));

export const OPERATIONS: ProtectedOperation[] = [
  // ---- flows (operations subgraph) -------------------------------------------------------
  {
    name: 'createFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: (fx, a) =>
      a.gql(CREATE_FLOW, { input: { workspaceId: fx.workspaceId, name: `f-${uid(4)}` } }),
  },
  {
    // A new name creates the flow, which needs manage_flows (an existing one needs see_flows).
    name: 'ensureFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateFlowInput!) { ensureFlow(input: $input) { id } }`, {
        input: { workspaceId: fx.workspaceId, name: `f-${uid(4)}` },
      }),
  },
  {
    name: 'updateFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateFlowInput!) { updateFlow(input: $input) { id } }`, {
        input: { id: await flowOf(fx), name: `f-${uid(4)}` },
      }),
  },
  {
    name: 'deleteFlow',
    level: 'WORKSPACE',
    permission: 'manage_flows',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteFlow(id: $id) }`, { id: await flowOf(fx) }),
  },
  {
    name: 'flow',
    level: 'WORKSPACE',
    permission: 'see_flows',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { flow(id: $id) { id } }`, { id: await flowOf(fx) }),
  },
  {
    name: 'Workspace.flows',
    level: 'WORKSPACE',
    permission: 'see_flows',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { flows(first: 5) { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  // ---- workspaces (workspaces subgraph) --------------------------------------------------
  {
    name: 'workspace',
    level: 'WORKSPACE',
    permission: 'see_workspace',
    run: (fx, a) => a.gql(`query($id: ID!) { workspace(id: $id) { id } }`, { id: fx.workspaceId }),
  },
  {
    name: 'updateWorkspace',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: (fx, a) =>
      a.gql(`mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { id } }`, {
        input: { id: fx.workspaceId, description: `changed ${uid(3)}` },
      }),
  },
  {
    name: 'deleteWorkspace',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteWorkspace(id: $id) }`, { id: await fx.workspaceFor(a) }),
  },
  {
    name: 'createWorkspace',
    level: 'ACCOUNT',
    permission: 'create:workspace',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`, {
        input: { accountId: fx.accountId, handle: `w-${uid(4)}`, name: 'Matrix' },
      }),
  },
  // ---- workspace access (access subgraph) ------------------------------------------------
  {
    name: 'setWorkspaceRole',
    level: 'WORKSPACE',
    permission: 'manage_workspace_members',
    // Giving VIEWER needs VIEWER's permissions: nobody hands out more than they hold.
    alsoNeeds: EXPECTED_WORKSPACE_ROLES.VIEWER,
    run: async (fx, a) =>
      a.gql(SET_ROLE, {
        input: {
          workspaceId: fx.workspaceId,
          userId: (await fx.member('workspace-role-target')).userId,
          role: 'VIEWER',
        },
      }),
  },
  {
    name: 'removeWorkspaceAccess',
    level: 'WORKSPACE',
    permission: 'manage_workspace_members',
    // Taking VIEWER away needs VIEWER's permissions too: nobody takes more than they hold.
    alsoNeeds: EXPECTED_WORKSPACE_ROLES.VIEWER,
    run: async (fx, a) => {
      const target = await fx.member('workspace-role-target');
      await prepared(fx, SET_ROLE, {
        input: { workspaceId: fx.workspaceId, userId: target.userId, role: 'VIEWER' },
      });
      return a.gql(
        `mutation($input: RemoveWorkspaceAccessInput!) { removeWorkspaceAccess(input: $input) }`,
        { input: { workspaceId: fx.workspaceId, userId: target.userId } },
      );
    },
  },
  {
    name: 'Workspace.access',
    level: 'WORKSPACE',
    permission: 'see_workspace_members',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { access { id } } }`, { id: fx.workspaceId }),
  },
  // ---- account and members (workspaces subgraph) -----------------------------------------
  {
    name: 'inviteMember',
    level: 'ACCOUNT',
    permission: 'manage:member',
    run: (fx, a) =>
      a.gql(`mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id } }`, {
        input: { accountId: fx.accountId, email: `inv-${uid()}@example.test` },
      }),
  },
  {
    name: 'updateAccountSettings',
    level: 'ACCOUNT',
    permission: 'update:account',
    run: (fx, a) =>
      a.gql(
        `mutation($input: UpdateAccountSettingsInput!) { updateAccountSettings(input: $input) { id } }`,
        { input: { accountId: fx.accountId, name: `Matrix ${uid(3)}` } },
      ),
  },
  {
    name: 'setAccountRole',
    level: 'ACCOUNT',
    permission: 'manage:member',
    // To MEMBER, which every holder of manage:member holds: which roles each grantor may give
    // is the hand-out matrix's (tests/security/hand-out.test.ts).
    run: async (fx, a) => {
      const target = await fx.member('account-role-target');
      const SET = `mutation($input: SetAccountRoleInput!) { setAccountRole(input: $input) { id } }`;
      await prepared(fx, SET, {
        input: { accountId: fx.accountId, principalId: target.userId, role: 'MEMBER' },
      });
      return a.gql(SET, {
        input: { accountId: fx.accountId, principalId: target.userId, role: 'MEMBER' },
      });
    },
  },
  // ---- service accounts (users subgraph) -------------------------------------------------
  {
    name: 'createServiceAccount',
    level: 'ACCOUNT',
    permission: 'manage:service_account',
    run: (fx, a) =>
      a.gql(
        `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } } }`,
        { input: { accountId: fx.accountId, name: `sa-${uid(4)}` } },
      ),
  },
  {
    name: 'Account.serviceAccounts',
    level: 'ACCOUNT',
    permission: 'read:service_account',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { serviceAccounts { id } } }`, {
        id: fx.accountId,
      }),
  },
  // ---- roles and teams (access subgraph) -------------------------------------------------
  {
    name: 'roles',
    level: 'ACCOUNT',
    permission: 'read:role',
    run: (fx, a) =>
      a.gql(`query($id: ID!) { roles(accountId: $id) { name } }`, { id: fx.accountId }),
  },
  {
    name: 'createRole',
    level: 'ACCOUNT',
    permission: 'manage:role',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`, {
        input: {
          accountId: fx.accountId,
          name: `role-${uid(4)}`,
          level: 'WORKSPACE',
          permissions: ['see_flows'],
        },
      }),
  },
  {
    name: 'createTeam',
    level: 'ACCOUNT',
    permission: 'manage:team',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`, {
        input: { accountId: fx.accountId, name: `team-${uid(4)}` },
      }),
  },
  {
    name: 'setTeamMembers',
    level: 'ACCOUNT',
    permission: 'manage:team',
    run: async (fx, a) => {
      const { createTeam } = await prepared(
        fx,
        `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`,
        { input: { accountId: fx.accountId, name: `team-${uid(4)}` } },
      );
      return a.gql(
        `mutation($input: SetTeamMembersInput!) { setTeamMembers(input: $input) { id } }`,
        { input: { teamId: createTeam.id, userIds: [(await fx.member('team-member')).userId] } },
      );
    },
  },
  {
    name: 'Account.teams',
    level: 'ACCOUNT',
    permission: 'read:team',
    alsoNeeds: ['read:account'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { account(id: $id) { teams { id } } }`, { id: fx.accountId }),
  },
  // ---- deployments (operations subgraph) -------------------------------------------------
  {
    name: 'deployment',
    level: 'WORKSPACE',
    permission: 'see_deployments',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { deployment(id: $id) { id } }`, { id: await sharedDeployment(fx) }),
  },
  {
    name: 'Workspace.deployments',
    level: 'WORKSPACE',
    permission: 'see_deployments',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { deployments { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'Flow.deployments',
    level: 'WORKSPACE',
    permission: 'see_deployments',
    alsoNeeds: ['see_flows'],
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { flow(id: $id) { deployments { totalCount } } }`, {
        id: await sharedFlow(fx),
      }),
  },
  {
    name: 'createDeployment',
    level: 'WORKSPACE',
    permission: 'manage_deployments',
    run: async (fx, a) =>
      a.gql(CREATE_DEPLOYMENT, { input: { flowId: await sharedFlow(fx), name: `d-${uid(4)}` } }),
  },
  {
    name: 'updateDeployment',
    level: 'WORKSPACE',
    permission: 'manage_deployments',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateDeploymentInput!) { updateDeployment(input: $input) { id } }`, {
        input: { id: await sharedDeployment(fx), description: `changed ${uid(3)}` },
      }),
  },
  {
    name: 'upsertDeployment',
    level: 'WORKSPACE',
    permission: 'manage_deployments',
    run: async (fx, a) =>
      a.gql(`mutation($input: CreateDeploymentInput!) { upsertDeployment(input: $input) { id } }`, {
        input: { flowId: await sharedFlow(fx), name: `d-${uid(4)}`, entrypoint: 'flows.py:main' },
      }),
  },
  {
    name: 'Workspace.deploymentByName',
    level: 'WORKSPACE',
    permission: 'see_deployments',
    alsoNeeds: ['see_workspace'],
    run: async (fx, a) => {
      const d = await prepared(
        fx,
        `query($id: ID!) { deployment(id: $id) { name flow { name } } }`,
        { id: await sharedDeployment(fx) },
      );
      return a.gql(
        `query($w: ID!, $f: String!, $n: String!) { workspace(id: $w) { deploymentByName(flowName: $f, name: $n) { id } } }`,
        { w: fx.workspaceId, f: d.deployment.flow.name, n: d.deployment.name },
      );
    },
  },
  {
    name: 'deleteDeployment',
    level: 'WORKSPACE',
    permission: 'manage_deployments',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteDeployment(id: $id) }`, { id: await deploymentOf(fx) }),
  },
  {
    name: 'pauseDeployment',
    level: 'WORKSPACE',
    permission: 'manage_deployments',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { pauseDeployment(id: $id) { id } }`, {
        id: await sharedDeployment(fx),
      }),
  },
  {
    name: 'resumeDeployment',
    level: 'WORKSPACE',
    permission: 'manage_deployments',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { resumeDeployment(id: $id) { id } }`, {
        id: await sharedDeployment(fx),
      }),
  },
  // ---- flow and task runs (operations subgraph) ------------------------------------------
  {
    name: 'createFlowRun (from a deployment)',
    level: 'WORKSPACE',
    permission: 'run_deployments',
    run: async (fx, a) =>
      a.gql(CREATE_FLOW_RUN, { input: { deploymentId: await sharedDeployment(fx) } }),
  },
  {
    name: 'createFlowRun (ad hoc)',
    level: 'WORKSPACE',
    permission: 'manage_flow_runs',
    run: async (fx, a) => a.gql(CREATE_FLOW_RUN, { input: { flowId: await sharedFlow(fx) } }),
  },
  {
    name: 'updateFlowRun',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateFlowRunInput!) { updateFlowRun(input: $input) { id } }`, {
        input: { id: await sharedFlowRun(fx), infrastructureId: `pid-${uid(3)}` },
      }),
  },
  {
    name: 'deleteFlowRun',
    level: 'WORKSPACE',
    permission: 'manage_flow_runs',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteFlowRun(id: $id) }`, { id: await flowRunOf(fx) }),
  },
  {
    name: 'setFlowRunState',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    // The policy may refuse the transition; that is an answer, not an error.
    run: async (fx, a) =>
      a.gql(
        `mutation($input: SetFlowRunStateInput!) { setFlowRunState(input: $input) { status } }`,
        { input: { flowRunId: await sharedFlowRun(fx), state: { type: 'PENDING' } } },
      ),
  },
  {
    name: 'createTaskRun',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    run: async (fx, a) =>
      a.gql(`mutation($input: CreateTaskRunInput!) { createTaskRun(input: $input) { id } }`, {
        input: { flowRunId: await sharedFlowRun(fx), taskKey: `t-${uid(4)}` },
      }),
  },
  {
    name: 'setTaskRunState',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: SetTaskRunStateInput!) { setTaskRunState(input: $input) { status } }`,
        { input: { taskRunId: await sharedTaskRun(fx), state: { type: 'RUNNING' } } },
      ),
  },
  {
    name: 'flowRun',
    level: 'WORKSPACE',
    permission: 'see_flow_runs',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { flowRun(id: $id) { id } }`, { id: await sharedFlowRun(fx) }),
  },
  {
    name: 'taskRun',
    level: 'WORKSPACE',
    permission: 'see_flow_runs',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { taskRun(id: $id) { id } }`, { id: await sharedTaskRun(fx) }),
  },
  {
    name: 'Workspace.flowRuns',
    level: 'WORKSPACE',
    permission: 'see_flow_runs',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { flowRuns { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  // ---- error summaries (operations subgraph) -----------------------------------------------
  {
    name: 'FlowRun.errorSummary',
    level: 'WORKSPACE',
    permission: 'see_logs',
    alsoNeeds: ['see_flow_runs'],
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { flowRun(id: $id) { id errorSummary { id } } }`, {
        id: await sharedFlowRun(fx),
      }),
  },
  {
    name: 'Workspace.failureGroups',
    level: 'WORKSPACE',
    permission: 'see_logs',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(
        `query($id: ID!, $since: DateTime!) { workspace(id: $id) { failureGroups(since: $since) { count } } }`,
        { id: fx.workspaceId, since: new Date(0).toISOString() },
      ),
  },
  // ---- concurrency slots (operations subgraph) --------------------------------------------
  {
    name: 'acquireConcurrencySlots',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    run: async (fx, a) =>
      a.gql(ACQUIRE, {
        input: { workspaceId: fx.workspaceId, names: [(await sharedLimit(fx)).name] },
      }),
  },
  {
    name: 'releaseConcurrencySlots',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    run: async (fx, a) => {
      const { acquireConcurrencySlots: got } = await prepared(fx, ACQUIRE, {
        input: { workspaceId: fx.workspaceId, names: [(await sharedLimit(fx)).name] },
      });
      return a.gql(`mutation($id: ID!) { releaseConcurrencySlots(leaseId: $id) }`, {
        id: got.lease.id,
      });
    },
  },
  {
    name: 'renewConcurrencyLease',
    level: 'WORKSPACE',
    permission: 'write_flow_runs',
    run: async (fx, a) => {
      const { acquireConcurrencySlots: got } = await prepared(fx, ACQUIRE, {
        input: { workspaceId: fx.workspaceId, names: [(await sharedLimit(fx)).name] },
      });
      return a.gql(`mutation($id: ID!) { renewConcurrencyLease(leaseId: $id, leaseSeconds: 60) }`, {
        id: got.lease.id,
      });
    },
  },
  // ---- work pools, queues and workers (operations subgraph) ------------------------------
  {
    name: 'workPool',
    level: 'WORKSPACE',
    permission: 'see_work_pools',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { workPool(id: $id) { id } }`, { id: await sharedPool(fx) }),
  },
  {
    name: 'workQueue',
    level: 'WORKSPACE',
    permission: 'see_work_queues',
    alsoNeeds: ['see_work_pools'],
    run: async (fx, a) => {
      const pool = await prepared(fx, `query($id: ID!) { workPool(id: $id) { queues { id } } }`, {
        id: await sharedPool(fx),
      });
      return a.gql(`query($id: ID!) { workQueue(id: $id) { id } }`, {
        id: pool.workPool.queues[0].id,
      });
    },
  },
  {
    name: 'Workspace.workPools',
    level: 'WORKSPACE',
    permission: 'see_work_pools',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { workPools { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'Workspace.workPoolByName',
    level: 'WORKSPACE',
    permission: 'see_work_pools',
    alsoNeeds: ['see_workspace'],
    run: async (fx, a) => {
      const pool = await prepared(fx, `query($id: ID!) { workPool(id: $id) { name } }`, {
        id: await sharedPool(fx),
      });
      return a.gql(
        `query($w: ID!, $n: String!) { workspace(id: $w) { workPoolByName(name: $n) { id } } }`,
        { w: fx.workspaceId, n: pool.workPool.name },
      );
    },
  },
  {
    name: 'createWorkPool',
    level: 'WORKSPACE',
    permission: 'manage_work_pools',
    run: (fx, a) =>
      a.gql(CREATE_POOL, {
        input: { workspaceId: fx.workspaceId, name: `p-${uid(4)}`, type: 'process' },
      }),
  },
  {
    name: 'updateWorkPool',
    level: 'WORKSPACE',
    permission: 'manage_work_pools',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateWorkPoolInput!) { updateWorkPool(input: $input) { id } }`, {
        input: { id: await sharedPool(fx), description: `changed ${uid(3)}` },
      }),
  },
  {
    name: 'deleteWorkPool',
    level: 'WORKSPACE',
    permission: 'manage_work_pools',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteWorkPool(id: $id) }`, { id: await poolOf(fx) }),
  },
  {
    name: 'pauseWorkPool',
    level: 'WORKSPACE',
    permission: 'manage_work_pools',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { pauseWorkPool(id: $id) { id } }`, { id: await sharedPool(fx) }),
  },
  {
    name: 'resumeWorkPool',
    level: 'WORKSPACE',
    permission: 'manage_work_pools',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { resumeWorkPool(id: $id) { id } }`, { id: await sharedPool(fx) }),
  },
  {
    name: 'createWorkQueue',
    level: 'WORKSPACE',
    permission: 'manage_work_queues',
    run: async (fx, a) =>
      a.gql(CREATE_QUEUE, { input: { workPoolId: await sharedPool(fx), name: `q-${uid(4)}` } }),
  },
  {
    name: 'updateWorkQueue',
    level: 'WORKSPACE',
    permission: 'manage_work_queues',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateWorkQueueInput!) { updateWorkQueue(input: $input) { id } }`, {
        input: {
          id: await shared(fx, 'queue', () => queueOf(fx)),
          description: `changed ${uid(3)}`,
        },
      }),
  },
  {
    name: 'deleteWorkQueue',
    level: 'WORKSPACE',
    permission: 'manage_work_queues',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteWorkQueue(id: $id) }`, { id: await queueOf(fx) }),
  },
  {
    name: 'workerHeartbeat',
    level: 'WORKSPACE',
    permission: 'write_workers',
    run: async (fx, a) =>
      a.gql(`mutation($input: WorkerHeartbeatInput!) { workerHeartbeat(input: $input) { id } }`, {
        input: { workPoolId: await sharedPool(fx), name: 'matrix-worker' },
      }),
  },
  {
    name: 'claimFlowRuns',
    level: 'WORKSPACE',
    permission: 'write_workers',
    run: async (fx, a) =>
      a.gql(`mutation($input: ClaimFlowRunsInput!) { claimFlowRuns(input: $input) { id } }`, {
        input: { workPoolId: await sharedPool(fx), workerName: 'matrix-worker' },
      }),
  },
  {
    name: 'claimDeploymentFlowRuns',
    level: 'WORKSPACE',
    permission: 'write_workers',
    // The claimer names the deployments it serves: it must be able to read them.
    alsoNeeds: ['see_deployments'],
    run: async (fx, a) =>
      a.gql(
        `mutation($input: ClaimDeploymentFlowRunsInput!) { claimDeploymentFlowRuns(input: $input) { id } }`,
        {
          input: {
            workspaceId: fx.workspaceId,
            deploymentIds: [await sharedDeployment(fx)],
            claimerName: 'matrix-runner',
          },
        },
      ),
  },

  // ---- variables (operations subgraph) ---------------------------------------------------
  {
    name: 'setVariable',
    level: 'WORKSPACE',
    permission: 'manage_variables',
    run: (fx, a) =>
      a.gql(SET_VARIABLE, {
        input: { workspaceId: fx.workspaceId, name: `v_${uid(4)}`, value: { n: 1 } },
      }),
  },
  {
    name: 'createVariable',
    level: 'WORKSPACE',
    permission: 'manage_variables',
    run: (fx, a) =>
      a.gql(`mutation($input: SetVariableInput!) { createVariable(input: $input) { id } }`, {
        input: { workspaceId: fx.workspaceId, name: `v_${uid(4)}`, value: 2 },
      }),
  },
  {
    name: 'deleteVariable',
    level: 'WORKSPACE',
    permission: 'manage_variables',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteVariable(id: $id) }`, { id: (await variableOf(fx)).id }),
  },
  {
    name: 'variable',
    level: 'WORKSPACE',
    permission: 'see_variables',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { variable(id: $id) { id } }`, { id: (await sharedVariable(fx)).id }),
  },
  {
    name: 'Workspace.variables',
    level: 'WORKSPACE',
    permission: 'see_variables',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { variables { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'Workspace.variableByName',
    level: 'WORKSPACE',
    permission: 'see_variables',
    alsoNeeds: ['see_workspace'],
    run: async (fx, a) =>
      a.gql(
        `query($id: ID!, $name: String!) { workspace(id: $id) { variableByName(name: $name) { id } } }`,
        {
          id: fx.workspaceId,
          name: (await sharedVariable(fx)).name,
        },
      ),
  },
  // ---- blocks (operations subgraph) ------------------------------------------------------
  {
    name: 'createBlockType',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: (fx, a) =>
      a.gql(`mutation($input: CreateBlockTypeInput!) { createBlockType(input: $input) { id } }`, {
        input: { workspaceId: fx.workspaceId, slug: `t-${uid(4)}`, name: 'Matrix' },
      }),
  },
  {
    name: 'updateBlockType',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateBlockTypeInput!) { updateBlockType(input: $input) { id } }`, {
        input: { id: await sharedBlockType(fx), codeExample: `use it ${uid(4)}` },
      }),
  },
  {
    name: 'createBlockSchema',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: CreateBlockSchemaInput!) { createBlockSchema(input: $input) { id } }`,
        {
          input: {
            blockTypeId: await sharedBlockType(fx),
            version: `v-${uid(4)}`,
            fields: { type: 'object', properties: { n: { type: 'integer' } } },
          },
        },
      ),
  },
  {
    name: 'createBlockDocument',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: async (fx, a) =>
      a.gql(CREATE_BLOCK, {
        input: {
          workspaceId: fx.workspaceId,
          blockSchemaId: await sharedBlockSchema(fx),
          name: `b-${uid(4)}`,
          data: { n: 1 },
        },
      }),
  },
  {
    name: 'updateBlockDocument',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: UpdateBlockDocumentInput!) { updateBlockDocument(input: $input) { id } }`,
        { input: { id: await sharedBlock(fx), data: { n: 2 } } },
      ),
  },
  {
    name: 'deleteBlockDocument',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteBlockDocument(id: $id) }`, { id: await blockOf(fx) }),
  },
  {
    name: 'blockDocument',
    level: 'WORKSPACE',
    permission: 'see_blocks',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { blockDocument(id: $id) { id } }`, { id: await sharedBlock(fx) }),
  },
  {
    name: 'Workspace.blockDocuments',
    level: 'WORKSPACE',
    permission: 'see_blocks',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { blockDocuments { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'Workspace.blockTypes',
    level: 'WORKSPACE',
    permission: 'see_blocks',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { blockTypes { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'setObjectAccess (block)',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    // The list must leave its author MANAGE; a fresh document so no other entry is locked out.
    run: async (fx, a) =>
      a.gql(
        `mutation($input: SetObjectAccessInput!) { setObjectAccess(input: $input) { objectId } }`,
        {
          input: {
            objectType: 'BLOCK_DOCUMENT',
            objectId: await blockOf(fx),
            entries: [{ level: 'MANAGE', userId: a.principalId }],
          },
        },
      ),
  },
  {
    name: 'removeObjectAccess (block)',
    level: 'WORKSPACE',
    permission: 'manage_blocks',
    run: async (fx, a) =>
      a.gql(`mutation($input: RemoveObjectAccessInput!) { removeObjectAccess(input: $input) }`, {
        input: { objectType: 'BLOCK_DOCUMENT', objectId: await sharedBlock(fx) },
      }),
  },
  // ---- logs and artifacts (operations subgraph) ------------------------------------------
  {
    name: 'writeLogs',
    level: 'WORKSPACE',
    permission: 'write_logs',
    run: async (fx, a) =>
      a.gql(`mutation($input: WriteLogsInput!) { writeLogs(input: $input) }`, {
        input: {
          workspaceId: fx.workspaceId,
          logs: [
            {
              flowRunId: await sharedFlowRun(fx),
              level: 20,
              message: 'matrix',
              timestamp: new Date().toISOString(),
            },
          ],
        },
      }),
  },
  {
    name: 'Workspace.logs',
    level: 'WORKSPACE',
    permission: 'see_logs',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { logs { edges { cursor } } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'createArtifact',
    level: 'WORKSPACE',
    permission: 'manage_artifacts',
    run: (fx, a) =>
      a.gql(CREATE_ARTIFACT, {
        input: { workspaceId: fx.workspaceId, key: 'matrix', type: 'PROGRESS', data: 50 },
      }),
  },
  {
    name: 'artifact',
    level: 'WORKSPACE',
    permission: 'see_artifacts',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { artifact(id: $id) { id } }`, { id: await sharedArtifact(fx) }),
  },
  {
    name: 'Workspace.artifacts',
    level: 'WORKSPACE',
    permission: 'see_artifacts',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { artifacts { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'Workspace.latestArtifact',
    level: 'WORKSPACE',
    permission: 'see_artifacts',
    alsoNeeds: ['see_workspace'],
    run: async (fx, a) => {
      await sharedArtifact(fx);
      return a.gql(
        `query($id: ID!) { workspace(id: $id) { latestArtifact(key: "matrix") { id } } }`,
        {
          id: fx.workspaceId,
        },
      );
    },
  },
  // ---- concurrency limits (operations subgraph) ------------------------------------------
  {
    name: 'createConcurrencyLimit',
    level: 'WORKSPACE',
    permission: 'manage_concurrency_limits',
    run: (fx, a) =>
      a.gql(CREATE_LIMIT, {
        input: { workspaceId: fx.workspaceId, kind: 'TAG', name: `l-${uid(4)}`, limit: 5 },
      }),
  },
  {
    name: 'updateConcurrencyLimit',
    level: 'WORKSPACE',
    permission: 'manage_concurrency_limits',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: UpdateConcurrencyLimitInput!) { updateConcurrencyLimit(input: $input) { id } }`,
        { input: { id: (await sharedLimit(fx)).id, limit: 100_000 } },
      ),
  },
  {
    name: 'deleteConcurrencyLimit',
    level: 'WORKSPACE',
    permission: 'manage_concurrency_limits',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteConcurrencyLimit(id: $id) }`, {
        id: (await limitOf(fx)).id,
      }),
  },
  {
    name: 'concurrencyLimit',
    level: 'WORKSPACE',
    permission: 'see_concurrency_limits',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { concurrencyLimit(id: $id) { id } }`, {
        id: (await sharedLimit(fx)).id,
      }),
  },
  {
    name: 'Workspace.concurrencyLimits',
    level: 'WORKSPACE',
    permission: 'see_concurrency_limits',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { concurrencyLimits { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  // ---- incidents ---------------------------------------------------------------------------
  {
    name: 'declareIncident',
    level: 'WORKSPACE',
    permission: 'manage_incidents',
    run: (fx, a) =>
      a.gql(DECLARE_INCIDENT, {
        input: { workspaceId: fx.workspaceId, name: `i-${uid(4)}`, severity: 'MINOR' },
      }),
  },
  {
    name: 'updateIncident',
    level: 'WORKSPACE',
    permission: 'manage_incidents',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { id } }`, {
        input: { id: await sharedIncident(fx), name: `i-${uid(4)}` },
      }),
  },
  {
    name: 'commentOnIncident',
    level: 'WORKSPACE',
    permission: 'manage_incidents',
    run: async (fx, a) =>
      a.gql(`mutation($input: IncidentCommentInput!) { commentOnIncident(input: $input) { id } }`, {
        input: { incidentId: await sharedIncident(fx), body: 'matrix' },
      }),
  },
  {
    name: 'resolveIncident',
    level: 'WORKSPACE',
    permission: 'manage_incidents',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { resolveIncident(id: $id) { id } }`, { id: await incidentOf(fx) }),
  },
  {
    name: 'reopenIncident',
    level: 'WORKSPACE',
    permission: 'manage_incidents',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { reopenIncident(id: $id) { id } }`, {
        id: await incidentOf(fx, true),
      }),
  },
  {
    name: 'incident',
    level: 'WORKSPACE',
    permission: 'see_incidents',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { incident(id: $id) { id timeline { totalCount } } }`, {
        id: await sharedIncident(fx),
      }),
  },
  {
    name: 'Workspace.incidents',
    level: 'WORKSPACE',
    permission: 'see_incidents',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { incidents { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  // ---- events (operations subgraph) ---------------------------------------------------------
  {
    name: 'emitEvents',
    level: 'WORKSPACE',
    permission: 'write_events',
    run: (fx, a) =>
      a.gql(`mutation($input: EmitEventsInput!) { emitEvents(input: $input) }`, {
        input: {
          workspaceId: fx.workspaceId,
          events: [{ event: 'matrix.emitted', resource: { id: 'matrix.resource' } }],
        },
      }),
  },
  {
    name: 'event',
    level: 'WORKSPACE',
    permission: 'see_events',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { event(id: $id) { id } }`, { id: await sharedStateEvent(fx) }),
  },
  {
    name: 'flowRunEvent',
    level: 'WORKSPACE',
    permission: 'see_events',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { flowRunEvent(id: $id) { id to } }`, {
        id: await sharedStateEvent(fx),
      }),
  },
  {
    name: 'Workspace.events',
    level: 'WORKSPACE',
    permission: 'see_events',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { events(first: 5) { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'eventCounts',
    level: 'WORKSPACE',
    permission: 'see_events',
    run: (fx, a) =>
      a.gql(
        `query($id: ID!) { eventCounts(workspaceId: $id, filter: {}, countBy: EVENT) { value count } }`,
        { id: fx.workspaceId },
      ),
  },
  {
    name: 'setEventRetention',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: (fx, a) =>
      a.gql(
        `mutation($input: SetEventRetentionInput!) { setEventRetention(input: $input) { id } }`,
        { input: { workspaceId: fx.workspaceId, days: 30 } },
      ),
  },
  {
    name: 'setLogRetention',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: (fx, a) =>
      a.gql(`mutation($input: SetLogRetentionInput!) { setLogRetention(input: $input) { id } }`, {
        input: { workspaceId: fx.workspaceId, days: 30 },
      }),
  },
  {
    name: 'Workspace.logRetentionDays',
    level: 'WORKSPACE',
    permission: 'see_workspace',
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { logRetentionDays } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'Workspace.eventRetentionDays',
    level: 'WORKSPACE',
    permission: 'see_workspace',
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { eventRetentionDays } }`, {
        id: fx.workspaceId,
      }),
  },
  {
    name: 'setFlowRunRetention',
    level: 'WORKSPACE',
    permission: 'manage_workspace_settings',
    run: (fx, a) =>
      a.gql(
        `mutation($input: SetFlowRunRetentionInput!) { setFlowRunRetention(input: $input) { id } }`,
        { input: { workspaceId: fx.workspaceId, days: 30 } },
      ),
  },
  {
    name: 'Workspace.flowRunRetentionDays',
    level: 'WORKSPACE',
    permission: 'see_workspace',
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { flowRunRetentionDays } }`, {
        id: fx.workspaceId,
      }),
  },
  // ---- subscriptions (served by the gateway over graphql-ws) -------------------------------
  {
    name: 'Subscription.flowRunEvents',
    level: 'WORKSPACE',
    permission: 'see_flow_runs',
    alsoNeeds: ['see_events'],
    run: (fx, a) =>
      subscribeOnce(fx, a, `subscription($w: ID!) { flowRunEvents(workspaceId: $w) { id } }`),
  },
  {
    name: 'Subscription.events',
    level: 'WORKSPACE',
    permission: 'see_events',
    run: (fx, a) =>
      subscribeOnce(fx, a, `subscription($w: ID!) { events(workspaceId: $w) { id } }`),
  },
  {
    name: 'Subscription.incidentChanges',
    level: 'WORKSPACE',
    permission: 'see_incidents',
    run: (fx, a) =>
      subscribeOnce(fx, a, `subscription($w: ID!) { incidentChanges(workspaceId: $w) { id } }`),
  },
  // ---- automations (operations subgraph) -------------------------------------------------
  {
    name: 'createAutomation',
    level: 'WORKSPACE',
    permission: 'manage_automations',
    run: (fx, a) =>
      a.gql(CREATE_AUTOMATION, {
        input: {
          workspaceId: fx.workspaceId,
          name: 'matrix',
          trigger: { event: { expect: ['matrix.never'] } },
          actions: [{ type: 'DO_NOTHING' }],
        },
      }),
  },
  {
    name: 'updateAutomation',
    level: 'WORKSPACE',
    permission: 'manage_automations',
    run: async (fx, a) =>
      a.gql(`mutation($input: UpdateAutomationInput!) { updateAutomation(input: $input) { id } }`, {
        input: { id: await sharedAutomation(fx), description: `d-${uid(4)}` },
      }),
  },
  {
    name: 'setAutomationEnabled',
    level: 'WORKSPACE',
    permission: 'manage_automations',
    run: async (fx, a) =>
      a.gql(
        `mutation($input: SetAutomationEnabledInput!) { setAutomationEnabled(input: $input) { id } }`,
        { input: { id: await sharedAutomation(fx), enabled: true } },
      ),
  },
  {
    name: 'deleteAutomation',
    level: 'WORKSPACE',
    permission: 'manage_automations',
    run: async (fx, a) =>
      a.gql(`mutation($id: ID!) { deleteAutomation(id: $id) }`, { id: await automationOf(fx) }),
  },
  {
    name: 'deleteAutomationsOwnedBy',
    level: 'WORKSPACE',
    permission: 'manage_automations',
    run: (fx, a) =>
      a.gql(
        `mutation($w: ID!, $r: String!) { deleteAutomationsOwnedBy(workspaceId: $w, resourceId: $r) }`,
        { w: fx.workspaceId, r: `prefect.deployment.${uid(4)}` },
      ),
  },
  {
    name: 'automation',
    level: 'WORKSPACE',
    permission: 'see_automations',
    run: async (fx, a) =>
      a.gql(`query($id: ID!) { automation(id: $id) { id state { triggered } } }`, {
        id: await sharedAutomation(fx),
      }),
  },
  {
    name: 'Workspace.automations',
    level: 'WORKSPACE',
    permission: 'see_automations',
    alsoNeeds: ['see_workspace'],
    run: (fx, a) =>
      a.gql(`query($id: ID!) { workspace(id: $id) { automations { totalCount } } }`, {
        id: fx.workspaceId,
      }),
  },
  // Single sign-on and SCIM configuration (access subgraph).
  ...SSO_OPERATIONS,
];

/** Seeds the shared fixture: an owner, its account and a workspace without a default role. */
export async function seedOperationFixture(stack: Stack): Promise<OperationFixture> {
  const owner = await stack.signUp();
  const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
  const members = new Map<string, Promise<Actor>>();
  const fx: OperationFixture = {
    stack,
    owner,
    accountId: owner.accountId,
    workspaceId: ws.id,
    member(key) {
      if (!members.has(key)) members.set(key, join(stack, owner, 'MEMBER'));
      return members.get(key)!;
    },
    async workspaceFor(actor) {
      const created = await createWorkspace(owner, owner.accountId, { defaultRole: null });
      if (actor.bind) {
        await prepared(fx, SET_ROLE, {
          input: { workspaceId: created.id, userId: actor.principalId, ...actor.bind },
        });
      }
      return created.id;
    },
  };
  return fx;
}

/** What an entry should answer to an actor holding `permissions` (null: not a member there). */
export function expectedOutcome(
  op: ProtectedOperation,
  permissions: { workspace: readonly string[] | null; account: readonly string[] | null },
): 'OK' | 'FORBIDDEN' | 'NOT_FOUND' {
  const held = op.level === 'WORKSPACE' ? permissions.workspace : permissions.account;
  if (held === null) return 'NOT_FOUND';
  return [op.permission, ...(op.alsoNeeds ?? [])].every((p) => held.includes(p))
    ? 'OK'
    : 'FORBIDDEN';
}

/** Asserts an entry's result against the expected outcome (FORBIDDEN names a missing permission). */
export function expectOutcome(
  op: ProtectedOperation,
  res: GqlResult,
  outcome: 'OK' | 'FORBIDDEN' | 'NOT_FOUND',
  held: readonly string[] | null,
): void {
  const label = `${op.name}: ${JSON.stringify(res.errors ?? null)}`;
  if (outcome === 'OK') {
    expect(res.errors, label).toBeUndefined();
    return;
  }
  expect(
    res.errors?.map((e) => e.extensions?.code),
    label,
  ).toEqual([outcome]);
  if (outcome === 'FORBIDDEN') {
    const missing = [op.permission, ...(op.alsoNeeds ?? [])].filter((p) => !held?.includes(p));
    expect(missing, label).toContain(res.errors![0]!.extensions?.permission);
  }
}
