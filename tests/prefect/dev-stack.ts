// Development aid: starts a stack, prints the Prefect env of a fresh user's workspace, stays up.
import { startStack } from '../harness/stack.js';

const stack = await startStack({ database: 'sqlite', env: { LOG_REQUESTS: 'false' } });
const owner = await stack.signUp();
const ws = await owner.gql(
  `mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
  { input: { accountId: owner.accountId, handle: 'dev', name: 'Dev' } },
);
const key = await owner.gql(`mutation { createApiKey(input: { name: "dev" }) { key } }`);
const base = stack.url.replace('/graphql', '');
console.log(
  `export PREFECT_API_URL=${base}/api/accounts/${owner.accountId}/workspaces/${ws.data.createWorkspace.id}`,
);
console.log(`export PREFECT_API_KEY=${key.data.createApiKey.key}`);
console.log(`export PREFECT_CLOUD_API_URL=${base}/api`);
console.log(`export FP_GQL=${stack.url} FP_WS=${ws.data.createWorkspace.id}`);
