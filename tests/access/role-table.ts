/**
 * The built-in roles of shared/REFERENCE.md §2, written down once by hand as the permission
 * matrix's oracle: the matrix expects what this table says, not what lib/permissions.ts computes,
 * so a permission wrongly added to a role in the code fails the tests (role-table.test.ts compares
 * the two). Change this table only when the product's role definitions change.
 *
 * Columns: V = Viewer, R = Runner, D = Developer, O = Owner, W = Worker (workspace roles);
 * M = Member, A = Admin, O = Owner (account roles).
 */
const WORKSPACE_TABLE = `
  see_workspace               V R D O W
  manage_workspace_settings         O
  see_workspace_members       V R D O
  manage_workspace_members          O
  see_flows                   V R D O W
  manage_flows                    D O
  see_deployments             V R D O W
  manage_deployments              D O
  run_deployments               R D O
  see_flow_runs               V R D O W
  manage_flow_runs                D O
  write_flow_runs                 D O W
  see_work_pools              V R D O W
  manage_work_pools               D O
  see_work_queues             V R D O W
  manage_work_queues              D O
  see_workers                 V R D O W
  write_workers                   D O W
  see_blocks                  V R D O W
  manage_blocks                   D O
  see_secret_blocks               D O W
  manage_secret_blocks            D O
  see_variables               V R D O W
  manage_variables                D O
  see_artifacts               V R D O W
  manage_artifacts                D O W
  write_logs                      D O W
  see_logs                    V R D O
  see_concurrency_limits      V R D O
  manage_concurrency_limits       D O
  see_events                  V R D O W
  write_events                    D O W
  see_automations             V R D O
  manage_automations              D O
  see_incidents               V R D O
  manage_incidents                D O
`;

const ACCOUNT_TABLE = `
  read:account                M A O
  update:account                A O
  delete:account                  O
  create:workspace              A O
  read:member                 M A O
  manage:member                 A O
  read:service_account        M A O
  manage:service_account        A O
  read:role                   M A O
  manage:role                   A O
  read:team                   M A O
  manage:team                   A O
  read:sso                    M A O
  administrate:sso              A O
  bypass:sso                      O
  read:audit_event              A O
`;

function parse<R extends string>(table: string, letters: Record<string, R>): Record<R, string[]> {
  const out = Object.fromEntries(Object.values(letters).map((r) => [r, [] as string[]])) as Record<
    R,
    string[]
  >;
  for (const line of table.trim().split('\n')) {
    const [permission, ...roles] = line.trim().split(/\s+/);
    for (const letter of roles) {
      const role = letters[letter];
      if (!role) throw new Error(`role-table: unknown role letter ${letter} on ${permission}`);
      out[role].push(permission!);
    }
  }
  for (const r of Object.keys(out) as R[]) out[r].sort();
  return out;
}

export type WorkspaceRole = 'VIEWER' | 'RUNNER' | 'DEVELOPER' | 'OWNER' | 'WORKER';
export type AccountRole = 'MEMBER' | 'ADMIN' | 'OWNER';

/** Permissions of each built-in workspace role, per REFERENCE.md §2. */
export const EXPECTED_WORKSPACE_ROLES: Record<WorkspaceRole, string[]> = parse(WORKSPACE_TABLE, {
  V: 'VIEWER',
  R: 'RUNNER',
  D: 'DEVELOPER',
  O: 'OWNER',
  W: 'WORKER',
});

/** Permissions of each built-in account role, per REFERENCE.md §2. */
export const EXPECTED_ACCOUNT_ROLES: Record<AccountRole, string[]> = parse(ACCOUNT_TABLE, {
  M: 'MEMBER',
  A: 'ADMIN',
  O: 'OWNER',
});

/** Every permission the table names, by level. */
export const EXPECTED_PERMISSIONS = {
  WORKSPACE: WORKSPACE_TABLE.trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]!),
  ACCOUNT: ACCOUNT_TABLE.trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]!),
};
