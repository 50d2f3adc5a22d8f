import type { SubgraphDefinition } from '../lib/subgraph.js';
import { accessSubgraph } from '../subgraphs/access/src/index.js';
import { operationsSubgraph } from '../subgraphs/operations/src/index.js';
import { usersSubgraph } from '../subgraphs/users/src/index.js';
import { workspacesSubgraph } from '../subgraphs/workspaces/src/index.js';
import type { SubgraphName } from '../gateway/src/transport.js';

/** The four subgraphs, by name. */
export const SUBGRAPHS: Record<SubgraphName, SubgraphDefinition<any>> = {
  users: usersSubgraph,
  workspaces: workspacesSubgraph,
  access: accessSubgraph,
  operations: operationsSubgraph,
};
