/**
 * Who is calling: resolved by the gateway, carried to subgraphs in the internal token. An
 * `automation` principal exists only inside the operations subgraph, while an automation's
 * actions run: it holds grants in the automation's workspace only. A `flow_run` principal is a
 * run-scoped credential handed to a pushed flow run (push work pools): its id is the run's, its
 * `apiKeyId` the credential's, and its one workspace grant is limited to that run (`flowRun`).
 */
export type PrincipalType =
  'user' | 'service_account' | 'anonymous' | 'system' | 'automation' | 'flow_run';

/** Whom an automation acts for: the user or service account that last set what it does. */
export interface ActsFor {
  type: 'user' | 'service_account';
  id: string;
  /** Its teams in the automation's account when it saved the automation (access lists). */
  teamIds: string[];
}

export interface Principal {
  type: PrincipalType;
  /** User or service account id; the service name for `system`. */
  id: string;
  /** The account a service account belongs to. */
  accountId?: string;
  /** A user's email (invitations are accepted by the invited address). */
  email?: string;
  /** The session or API key that authenticated the request. */
  sessionId?: string;
  apiKeyId?: string;
  /** Automations only: whom it acts for (access lists match this actor and its teams). */
  actsFor?: ActsFor;
}

export type AccountRoleName = 'OWNER' | 'ADMIN' | 'MEMBER';
export type WorkspaceRoleName = 'OWNER' | 'DEVELOPER' | 'RUNNER' | 'VIEWER' | 'WORKER';

export interface AccountGrant {
  role: AccountRoleName;
  permissions: string[];
  /** Teams of the account the principal is in (object access lists name teams); absent: none. */
  teamIds?: string[];
}

export interface WorkspaceGrant {
  accountId: string;
  /** The highest built-in role behind the grant; null when only custom roles grant it. */
  role: WorkspaceRoleName | null;
  permissions: string[];
  /**
   * Run-scoped grants only (a pushed run's credential, no `permissions`): the one flow run it
   * may read and report on, and the flow and deployment it may read to start it.
   */
  flowRun?: RunScope;
}

/** The run a run-scoped credential is limited to (see `runScopedRules` in lib/ability.ts). */
export interface RunScope {
  id: string;
  flowId: string;
  deploymentId: string | null;
  /** The run has ended: its trailing logs and events are taken, its state is no longer changed. */
  ended?: boolean;
}

/**
 * Accounts (and their workspaces) whose grants the gateway withheld from one request because
 * the client's address is not on the account's IP allow-list. Touching them is refused with a
 * clear FORBIDDEN rather than the NOT_FOUND of a non-member.
 */
export interface RestrictedScopes {
  accounts: string[];
  workspaces: string[];
}

/** Everything a principal may do, per account and per workspace. */
export interface Grants {
  accounts: Record<string, AccountGrant>;
  workspaces: Record<string, WorkspaceGrant>;
  /** Present only when some grants were withheld for this request (IP allow-lists). */
  restricted?: RestrictedScopes;
}

export const NO_GRANTS: Grants = Object.freeze({ accounts: {}, workspaces: {} }) as Grants;

export const ANONYMOUS: Principal = Object.freeze({ type: 'anonymous', id: 'anonymous' });
