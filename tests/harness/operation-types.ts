/** The shapes of the protected-operation table (operations.ts) and of its fixture. */
import type { GqlResult } from './client.js';
import type { WorkspaceRoleName } from './seed.js';
import type { Actor, Stack } from './stack.js';

export interface OperationActor {
  gql: Actor['gql'];
  /** The user or service account id. */
  principalId: string;
  /** Its credential, for operations that are not HTTP requests (subscriptions). */
  token?: string;
  /** The role the actor holds in the fixture's workspace, to give it in workspaces an entry creates. */
  bind?: { role: WorkspaceRoleName } | { roleId: string };
}

/** One stack, one account, one workspace (no default role), shared by every entry. */
export interface OperationFixture {
  stack: Stack;
  /** Owner of the account: prepares objects and binds roles. */
  owner: Actor;
  accountId: string;
  /** The workspace the actors are bound in. */
  workspaceId: string;
  /** A plain account member per key, created on first use (the object of member operations). */
  member(key: string): Promise<Actor>;
  /** A new workspace of the account in which the actor holds its role (see OperationActor.bind). */
  workspaceFor(actor: OperationActor): Promise<string>;
}

export interface ProtectedOperation {
  name: string;
  level: 'WORKSPACE' | 'ACCOUNT';
  /** The permission the operation itself checks. */
  permission: string;
  /** Permissions also needed on the way (e.g. reading the workspace a list hangs off). */
  alsoNeeds?: readonly string[];
  run(fx: OperationFixture, actor: OperationActor): Promise<GqlResult>;
}
