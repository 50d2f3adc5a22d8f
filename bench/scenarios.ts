/** The benchmark's queries and the data they run on, shared by run.ts and profile.ts. */
import { randomBytes } from 'node:crypto';
import { gqlRequest } from '../tests/harness/client.js';

export const ME = `query Me { me { id kind user { handle } } }`;
export const FOUR = `query Four($id: ID!) {
  workspace(id: $id) {
    handle
    account { handle name }
    myPermissions
    flows(first: 10) { totalCount edges { node { name tags createdBy { handle } } } }
  }
}`;

/** 100 flow runs with fields from two subgraphs (operations, users): tests/harness/page-query. */
export { RUNS_100 } from '../tests/harness/page-query.js';

/** A user with an account, one workspace of 10 flows, and an API key. */
export async function seed(url: string) {
  const handle = `bench-${randomBytes(3).toString('hex')}`;
  const up = await gqlRequest(
    url,
    `mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } } }`,
    {
      i: { handle, email: `${handle}@example.test`, password: 'Bench-Mark-123' },
    },
  );
  const token = up.data.signUp.token as string;
  let accountId = '';
  for (let i = 0; i < 100 && !accountId; i++) {
    accountId =
      (await gqlRequest(url, `{ me { accounts { id } } }`, undefined, token)).data?.me
        ?.accounts?.[0]?.id ?? '';
    if (!accountId) await new Promise((r) => setTimeout(r, 100));
  }
  const ws = await gqlRequest(
    url,
    `mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { id } }`,
    { i: { accountId, handle: 'bench', name: 'Bench' } },
    token,
  );
  const workspaceId = ws.data.createWorkspace.id as string;
  for (let i = 0; i < 10; i++) {
    await gqlRequest(
      url,
      `mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }`,
      { i: { workspaceId, name: `flow-${i}`, tags: ['bench'] } },
      token,
    );
  }
  const key = await gqlRequest(
    url,
    `mutation { createApiKey(input: { name: "bench" }) { key } }`,
    undefined,
    token,
  );
  return {
    token: key.data.createApiKey.key as string,
    userId: up.data.signUp.user.id as string,
    workspaceId,
  };
}
