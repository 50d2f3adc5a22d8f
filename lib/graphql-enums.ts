import { registerEnumType } from 'type-graphql';

/** Built-in account roles (REFERENCE §2). Shared by the subgraphs that take or show them. */
export enum AccountRole {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
}
registerEnumType(AccountRole, {
  name: 'AccountRole',
  description: 'Built-in account role.',
  valuesConfig: {
    OWNER: { description: 'Everything, including bypassing enforced SSO.' },
    ADMIN: { description: 'Administers members, settings, workspaces and the audit log.' },
    MEMBER: { description: 'Sees the account; works in the workspaces it is given.' },
  },
});

/** Built-in workspace roles: Viewer < Runner < Developer < Owner, plus Worker. */
export enum WorkspaceRole {
  OWNER = 'OWNER',
  DEVELOPER = 'DEVELOPER',
  RUNNER = 'RUNNER',
  VIEWER = 'VIEWER',
  WORKER = 'WORKER',
}
registerEnumType(WorkspaceRole, {
  name: 'WorkspaceRole',
  description: 'Built-in workspace role.',
  valuesConfig: {
    OWNER: { description: 'Developer plus members, roles and settings of the workspace.' },
    DEVELOPER: {
      description: 'Creates and edits flows, deployments, work pools, blocks, automations.',
    },
    RUNNER: { description: 'Viewer plus running deployments.' },
    VIEWER: { description: 'Sees everything but secret block values.' },
    WORKER: {
      description: 'What a worker needs: poll pools, claim runs, report states, write logs.',
    },
  },
});
