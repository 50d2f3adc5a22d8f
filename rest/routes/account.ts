import { MyWorkspacesDocument } from '../generated/graphql.js';
import { rootRoute } from '../route.js';

/**
 * The account-level routes of `prefect cloud login` and workspace selection (the client's
 * PREFECT_CLOUD_API_URL is Flowplane's `/api`).
 */
export const accountRoutes = [
  rootRoute('GET', '/me', {
    summary: 'Who the key belongs to',
    tags: ['Me'],
    operation: MyWorkspacesDocument,
    result: (d) => ({
      id: d.me.user?.id ?? d.me.id,
      actor_type: d.me.kind === 'SERVICE_ACCOUNT' ? 'bot' : 'user',
      handle: d.me.user?.handle ?? null,
      first_name: d.me.user?.name ?? null,
      last_name: null,
      email: d.me.user?.email ?? null,
    }),
  }),
  rootRoute('GET', '/me/workspaces', {
    summary: 'The workspaces the key can reach',
    tags: ['Me'],
    operation: MyWorkspacesDocument,
    result: (d) =>
      d.me.accounts.flatMap((a) =>
        a.workspaces.map((w) => ({
          account_id: a.id,
          account_name: a.name,
          account_handle: a.handle,
          workspace_id: w.id,
          workspace_name: w.name,
          workspace_description: w.description ?? '',
          workspace_handle: w.handle,
        })),
      ),
  }),
];
