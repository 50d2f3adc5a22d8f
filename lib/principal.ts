/** Who is calling: resolved by the gateway, carried to subgraphs in the internal token. */
export type PrincipalType = 'user' | 'service_account' | 'anonymous' | 'system';

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
}

export type AccountRoleName = 'OWNER' | 'ADMIN' | 'MEMBER';
export type WorkspaceRoleName = 'OWNER' | 'DEVELOPER' | 'RUNNER' | 'VIEWER' | 'WORKER';

export interface AccountGrant {
  role: AccountRoleName;
  permissions: string[];
}

export interface WorkspaceGrant {
  accountId: string;
  /** The highest built-in role behind the grant; null when only custom roles grant it. */
  role: WorkspaceRoleName | null;
  permissions: string[];
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
