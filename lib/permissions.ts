import type { AccountRoleName, WorkspaceRoleName } from './principal.js';

/** A CASL action on a subject type, granted by a permission. */
export type Rule = readonly [action: string, subject: string];

export interface PermissionDef {
  /** `see_flows` (workspace level) or `create:workspace` (account level). */
  name: string;
  level: 'ACCOUNT' | 'WORKSPACE';
  title: string;
  group: string;
  /** Permissions this one implies (manage_x includes see_x). */
  includes: string[];
  rules: Rule[];
}

const defs: PermissionDef[] = [];

function ws(
  name: string,
  title: string,
  group: string,
  rules: Rule[],
  includes: string[] = [],
): void {
  defs.push({ name, level: 'WORKSPACE', title, group, includes, rules });
}
function acct(
  name: string,
  title: string,
  group: string,
  rules: Rule[],
  includes: string[] = [],
): void {
  defs.push({ name, level: 'ACCOUNT', title, group, includes, rules });
}

/** see_x / manage_x pairs over one subject type. */
function seeManage(thing: string, subject: string, label: string, group = label): void {
  ws(`see_${thing}`, `See ${label.toLowerCase()}`, group, [['read', subject]]);
  ws(
    `manage_${thing}`,
    `Create, edit and delete ${label.toLowerCase()}`,
    group,
    [
      ['create', subject],
      ['update', subject],
      ['delete', subject],
    ],
    [`see_${thing}`],
  );
}

// ---- workspace level ---------------------------------------------------------------------
ws('see_workspace', 'See the workspace', 'Workspace', [['read', 'Workspace']]);
ws(
  'manage_workspace_settings',
  'Edit workspace settings and default role',
  'Workspace',
  [
    ['update', 'Workspace'],
    ['delete', 'Workspace'],
  ],
  ['see_workspace'],
);
ws('see_workspace_members', 'See workspace members and their roles', 'Workspace', [
  ['read', 'WorkspaceAccess'],
]);
ws(
  'manage_workspace_members',
  'Grant and remove workspace roles',
  'Workspace',
  [
    ['create', 'WorkspaceAccess'],
    ['update', 'WorkspaceAccess'],
    ['delete', 'WorkspaceAccess'],
  ],
  ['see_workspace_members'],
);
seeManage('flows', 'Flow', 'Flows');
seeManage('deployments', 'Deployment', 'Deployments');
ws(
  'run_deployments',
  'Run deployments',
  'Deployments',
  [['run', 'Deployment']],
  ['see_deployments'],
);
seeManage('flow_runs', 'FlowRun', 'Flow runs', 'Runs');
ws('write_flow_runs', 'Report flow and task run states', 'Runs', [
  ['write', 'FlowRun'],
  ['write', 'TaskRun'],
]);
seeManage('work_pools', 'WorkPool', 'Work pools');
seeManage('work_queues', 'WorkQueue', 'Work queues', 'Work pools');
ws('see_workers', 'See workers', 'Work pools', [['read', 'Worker']]);
ws(
  'write_workers',
  'Heartbeat as a worker and claim runs',
  'Work pools',
  [
    ['write', 'Worker'],
    ['claim', 'FlowRun'],
  ],
  ['see_workers'],
);
seeManage('blocks', 'BlockDocument', 'Blocks');
ws(
  'see_secret_blocks',
  'See secret block values',
  'Blocks',
  [['readSecret', 'BlockDocument']],
  ['see_blocks'],
);
ws(
  'manage_secret_blocks',
  'Write secret block values',
  'Blocks',
  [['writeSecret', 'BlockDocument']],
  ['see_secret_blocks', 'manage_blocks'],
);
seeManage('variables', 'Variable', 'Variables');
seeManage('artifacts', 'Artifact', 'Artifacts');
ws('write_logs', 'Write run logs', 'Logs', [['create', 'Log']]);
ws('see_logs', 'See run logs', 'Logs', [['read', 'Log']]);
seeManage('concurrency_limits', 'ConcurrencyLimit', 'Concurrency limits');
ws('see_events', 'See events', 'Events', [['read', 'Event']]);
ws('write_events', 'Emit events', 'Events', [['create', 'Event']], ['see_events']);
seeManage('automations', 'Automation', 'Automations');
seeManage('incidents', 'Incident', 'Incidents');

// ---- account level -----------------------------------------------------------------------
acct('read:account', 'See the account', 'Account', [['read', 'Account']]);
acct(
  'update:account',
  'Edit account settings',
  'Account',
  [['update', 'Account']],
  ['read:account'],
);
acct('delete:account', 'Delete the account', 'Account', [['delete', 'Account']], ['read:account']);
acct('create:workspace', 'Create workspaces', 'Workspaces', [['create', 'Workspace']]);
acct('read:member', 'See account members', 'Members', [
  ['read', 'AccountMembership'],
  ['read', 'Invitation'],
  ['read', 'AccountAccess'],
]);
acct(
  'manage:member',
  'Invite, remove and change account members',
  'Members',
  [
    ['create', 'Invitation'],
    ['update', 'Invitation'],
    ['update', 'AccountMembership'],
    ['delete', 'AccountMembership'],
    ['create', 'AccountAccess'],
    ['update', 'AccountAccess'],
    ['delete', 'AccountAccess'],
  ],
  ['read:member'],
);
acct('read:service_account', 'See service accounts', 'Service accounts', [
  ['read', 'ServiceAccount'],
]);
acct(
  'manage:service_account',
  'Create, rotate and delete service accounts',
  'Service accounts',
  [
    ['create', 'ServiceAccount'],
    ['update', 'ServiceAccount'],
    ['delete', 'ServiceAccount'],
  ],
  ['read:service_account'],
);
acct('read:role', 'See roles', 'Roles', [['read', 'Role']]);
acct(
  'manage:role',
  'Create, edit and delete custom roles',
  'Roles',
  [
    ['create', 'Role'],
    ['update', 'Role'],
    ['delete', 'Role'],
  ],
  ['read:role'],
);
acct('read:team', 'See teams', 'Teams', [['read', 'Team']]);
acct(
  'manage:team',
  'Create and edit teams',
  'Teams',
  [
    ['create', 'Team'],
    ['update', 'Team'],
    ['delete', 'Team'],
  ],
  ['read:team'],
);
acct('read:sso', 'See SSO and SCIM configuration', 'Single sign-on', [['read', 'SsoConfig']]);
acct(
  'administrate:sso',
  'Configure SSO and SCIM',
  'Single sign-on',
  [
    ['update', 'SsoConfig'],
    ['create', 'SsoConfig'],
    ['delete', 'SsoConfig'],
  ],
  ['read:sso'],
);
acct('bypass:sso', 'Sign in without SSO while it is enforced', 'Single sign-on', [
  ['bypass', 'Sso'],
]);
acct('read:audit_event', 'Read the audit log', 'Audit log', [['read', 'AuditEvent']]);

export const PERMISSIONS: readonly PermissionDef[] = defs;
export const PERMISSION_BY_NAME: ReadonlyMap<string, PermissionDef> = new Map(
  defs.map((d) => [d.name, d]),
);

/** Adds every included permission, transitively. */
export function expandPermissions(names: Iterable<string>): string[] {
  const out = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const n = stack.pop()!;
    if (out.has(n)) continue;
    const def = PERMISSION_BY_NAME.get(n);
    if (!def) continue;
    out.add(n);
    stack.push(...def.includes);
  }
  return [...out].sort();
}

const wsNames = (pred: (d: PermissionDef) => boolean) =>
  defs.filter((d) => d.level === 'WORKSPACE' && pred(d)).map((d) => d.name);

const VIEWER = wsNames((d) => d.name.startsWith('see_') && d.name !== 'see_secret_blocks');
const RUNNER = [...VIEWER, 'run_deployments'];
const DEVELOPER = [
  ...RUNNER,
  ...wsNames(
    (d) =>
      (d.name.startsWith('manage_') ||
        d.name.startsWith('write_') ||
        d.name === 'see_secret_blocks') &&
      !['manage_workspace_members', 'manage_workspace_settings'].includes(d.name),
  ),
];
const OWNER = wsNames(() => true);
const WORKER = [
  'see_workspace',
  'see_flows',
  'see_deployments',
  'see_flow_runs',
  'see_work_pools',
  'see_work_queues',
  'see_blocks',
  'see_secret_blocks',
  'see_variables',
  'write_workers',
  'write_flow_runs',
  'write_logs',
  'write_events',
  'manage_artifacts',
];

/** Built-in workspace roles: Viewer < Runner < Developer < Owner, plus Worker (REFERENCE §2). */
export const WORKSPACE_ROLE_PERMISSIONS: Record<WorkspaceRoleName, string[]> = {
  VIEWER: expandPermissions(VIEWER),
  RUNNER: expandPermissions(RUNNER),
  DEVELOPER: expandPermissions(DEVELOPER),
  OWNER: expandPermissions(OWNER),
  WORKER: expandPermissions(WORKER),
};

const acctNames = (pred: (d: PermissionDef) => boolean) =>
  defs.filter((d) => d.level === 'ACCOUNT' && pred(d)).map((d) => d.name);

/** Built-in account roles (REFERENCE §2): Members view; Admins administer; Owners also bypass SSO. */
export const ACCOUNT_ROLE_PERMISSIONS: Record<AccountRoleName, string[]> = {
  MEMBER: expandPermissions(
    acctNames((d) => d.name.startsWith('read:') && d.name !== 'read:audit_event'),
  ),
  ADMIN: expandPermissions(
    acctNames((d) => d.name !== 'bypass:sso' && d.name !== 'delete:account'),
  ),
  OWNER: expandPermissions(acctNames(() => true)),
};

export const ACCOUNT_ROLES: readonly AccountRoleName[] = ['OWNER', 'ADMIN', 'MEMBER'];
export const WORKSPACE_ROLES: readonly WorkspaceRoleName[] = [
  'OWNER',
  'DEVELOPER',
  'RUNNER',
  'VIEWER',
  'WORKER',
];

/** The permissions of a built-in role of a level, or null when there is no such role. */
export function builtInRolePermissions(
  level: 'ACCOUNT' | 'WORKSPACE',
  name: string,
): string[] | null {
  const table: Record<string, string[]> =
    level === 'ACCOUNT' ? ACCOUNT_ROLE_PERMISSIONS : WORKSPACE_ROLE_PERMISSIONS;
  return Object.hasOwn(table, name) ? table[name]! : null;
}

/**
 * A custom role's permissions: the inherited built-in role's permissions as they are now (so they
 * grow with it and cannot be taken away) plus its own, included ones expanded, of its level only.
 */
export function customRolePermissions(role: {
  level: 'ACCOUNT' | 'WORKSPACE';
  inheritsFrom?: string | null;
  permissions: readonly string[];
}): string[] {
  const inherited = role.inheritsFrom
    ? (builtInRolePermissions(role.level, role.inheritsFrom) ?? [])
    : [];
  return expandPermissions([...inherited, ...role.permissions]).filter(
    (p) => PERMISSION_BY_NAME.get(p)?.level === role.level,
  );
}
