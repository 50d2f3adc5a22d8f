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

/**
 * The one vocabulary for who did something: the principal types of lib/principal.ts in schema
 * spelling. Most places hold only a user or a service account (`ActorKind`, a subset of these
 * values); the audit log adds SYSTEM and ANONYMOUS, incidents add AUTOMATION. Stored columns
 * hold these strings.
 */
export enum ActorType {
  USER = 'USER',
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
  AUTOMATION = 'AUTOMATION',
  SYSTEM = 'SYSTEM',
  ANONYMOUS = 'ANONYMOUS',
  FLOW_RUN = 'FLOW_RUN',
}
registerEnumType(ActorType, {
  name: 'ActorType',
  description:
    'What kind of actor someone or something is. Fields that can only name a user or a ' +
    'service account say so; AUTOMATION, SYSTEM and ANONYMOUS appear only where described.',
  valuesConfig: {
    USER: { description: 'A person (a session or a personal API key, prefix fpu_).' },
    SERVICE_ACCOUNT: {
      description: 'A service account: workers, CI (its API key, prefix fps_).',
    },
    AUTOMATION: { description: 'An automation, acting on an event.' },
    SYSTEM: { description: 'Flowplane itself, e.g. provisioning an account after a sign-up.' },
    ANONYMOUS: { description: 'An unauthenticated caller.' },
    FLOW_RUN: {
      description:
        'A pushed flow run, with the run-scoped credential it was handed (the id is the run, ' +
        'the API key id the credential).',
    },
  },
});

/** A user or a service account: who holds memberships and keys and creates objects. */
export type ActorKind = ActorType.USER | ActorType.SERVICE_ACCOUNT;

/** The two values of `ActorKind`, e.g. for a column's `@Enum({ items })`. */
export const ACTOR_KINDS: readonly ActorKind[] = [ActorType.USER, ActorType.SERVICE_ACCOUNT];
