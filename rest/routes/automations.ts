import { DeleteAutomationsOwnedByDocument } from '../generated/graphql.js';
import { route } from '../route.js';

export const automationRoutes = [
  route('DELETE', '/automations/owned-by/{resource_id}', {
    summary:
      'Delete the automations a resource owns (`owner_resource`, e.g. a served deployment’s triggers)',
    tags: ['Automations'],
    operation: DeleteAutomationsOwnedByDocument,
    stringParams: ['resource_id'],
    variables: ({ params, workspaceId }) => ({ workspaceId, resourceId: params.resource_id }),
    fields: { resourceId: 'resource_id' },
    result: () => null,
    status: 202,
  }),
];
