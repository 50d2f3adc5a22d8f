/**
 * How domain events become audit entries: one table from event type to action, resource and
 * summary. Types not in the table get the generic mapping (their own name as the action), so
 * an event added later is recorded rather than lost.
 */

type Payload = Record<string, unknown>;

export interface AuditMapping {
  /** `<resource-type>.<verb>`; default: the event type. */
  action?: (p: Payload) => string;
  /** Default: the event type before its first dot. */
  resourceType?: (p: Payload) => string;
  /** Payload key holding the resource id; default `<resourceType in camelCase>Id`, then `id`. */
  idKey?: string;
  /** What the entry shows; default: the payload without scope keys and secrets. */
  summary?: (p: Payload) => Payload;
  /** Requests made before sign-in (anonymous) are the signing-in user's: this payload key. */
  anonymousActorKey?: string;
  /**
   * Events a caller can cause about tenants that may not exist (a probe with a made-up id):
   * recorded only in accounts this subgraph knows, and silently dropped otherwise.
   */
  knownAccountsOnly?: true;
  /**
   * Nothing to audit: a cache signal that repeats another event, or high-volume run activity
   * reported by workers (state changes), which belongs to the event store, not the audit log.
   */
  internal?: true;
}

const kebab = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase();

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

const same = (types: string[], m: AuditMapping) => Object.fromEntries(types.map((t) => [t, m]));

export const AUDIT_ACTIONS: Record<string, AuditMapping> = {
  'user.signed-up': { idKey: 'userId', anonymousActorKey: 'userId' },
  'user.logged-in': { idKey: 'userId', anonymousActorKey: 'userId' },
  ...same(['user.logged-out', 'user.updated'], { idKey: 'userId' }),
  /**
   * Wrong passwords (and sign-ups of the email) from one address, bounded: recorded at the 1st,
   * 10th, 100th … attempt in a window, with the count; the actor is the anonymous caller.
   */
  'user.sign-in-failed': { idKey: 'userId' },
  'session.revoked': { idKey: 'sessionId' },
  ...same(['api-key.created', 'api-key.revoked'], { idKey: 'apiKeyId' }),
  ...same(['service-account.created', 'service-account.deleted', 'service-account.key-rotated'], {
    idKey: 'serviceAccountId',
  }),
  ...same(['account.created', 'account.updated'], { idKey: 'accountId' }),
  ...same(
    ['account-membership.created', 'account-membership.updated', 'account-membership.removed'],
    { idKey: 'principalId' },
  ),
  ...same(['workspace.created', 'workspace.updated', 'workspace.deleted'], {
    idKey: 'workspaceId',
  }),
  ...same(
    ['invitation.created', 'invitation.accepted', 'invitation.rejected', 'invitation.revoked'],
    { idKey: 'invitationId' },
  ),
  ...same(['workspace-access.created', 'workspace-access.updated', 'workspace-access.deleted'], {
    idKey: 'bindingId',
  }),
  ...same(['flow.created', 'flow.updated', 'flow.deleted'], { idKey: 'flowId' }),
  // Incidents: by hand or by an automation (actorType `automation`); comments keep only their id.
  ...same(
    [
      'incident.declared',
      'incident.updated',
      'incident.commented',
      'incident.resolved',
      'incident.reopened',
    ],
    { idKey: 'incidentId' },
  ),
  ...same(
    [
      'automation.created',
      'automation.updated',
      'automation.deleted',
      'automation.enabled',
      'automation.disabled',
    ],
    { idKey: 'automationId' },
  ),
  /**
   * A request refused by `authorize` (lib/subgraph.ts records it, bounded): `flow.denied`, … for
   * a member without the permission (MISSING_PERMISSION) and for a caller who is not a member
   * of the object's tenant (NOT_A_MEMBER: the caller got NOT_FOUND). `count` is how many such
   * refusals of this caller the window had when the entry was written (1, 10, 100, …).
   */
  'request.denied': {
    action: (p) => `${kebab(String(p.subject ?? 'request'))}.denied`,
    resourceType: (p) => kebab(String(p.subject ?? 'request')),
    summary: (p) => ({
      reason: p.reason ?? 'MISSING_PERMISSION',
      action: p.action ?? null,
      permission: p.permission ?? null,
      count: typeof p.count === 'number' ? p.count : 1,
      windowStart: p.windowStart ?? null,
      windowSeconds: p.windowSeconds ?? null,
    }),
    knownAccountsOnly: true,
  },
  /**
   * Refused by the gateway (gateway/src/refusal-audit.ts, bounded per window): an IP allow-list,
   * a rate-limit budget or a subscription cap; `count` says how many such refusals it stands for.
   */
  'request.refused': {
    action: (p) => `${kebab(String(p.reason ?? 'request'))}.refused`,
    resourceType: (p) => kebab(String(p.reason ?? 'request')),
    idKey: 'resourceId',
  },
  // Cache invalidation for the gateway: the membership or access change it follows is audited.
  'grants.changed': { internal: true },
  // Copies of grant facts for the users subgraph (service-account keys): the change is audited.
  'principal.memberships-changed': { internal: true },
  'principal.access-changed': { internal: true },
  // The memberships of an account told to single sign-on (the enforcement it follows is audited).
  'account-members.snapshot': { internal: true },
  // Run activity: thousands per hour from workers and the scheduler; streamed as events instead.
  'flow-run.state-changed': { internal: true },
  'task-run.state-changed': { internal: true },
  // A batch of deleted runs, for the rows other modules keep about them: what deleted them is
  // audited (the retention setting, as for events and logs; a run's or a flow's deletion).
  'flow-run.purged': { internal: true },
  // Events are their own record (the workspace event store): neither the events clients emit
  // nor the system's are audited one by one, and an audit entry announced to the event store
  // must not come back as another entry.
  'event.emitted': { internal: true },
  'audit.recorded': { internal: true },
  'workspace.event-retention-set': {
    idKey: 'workspaceId',
    summary: (p) => ({ days: p.days ?? null, previousDays: p.previousDays ?? null }),
  },
  'workspace.log-retention-set': {
    idKey: 'workspaceId',
    summary: (p) => ({ days: p.days ?? null, previousDays: p.previousDays ?? null }),
  },
  'workspace.flow-run-retention-set': {
    idKey: 'workspaceId',
    summary: (p) => ({ days: p.days ?? null, previousDays: p.previousDays ?? null }),
  },
};

/** The access subgraph's announcement of an audit entry of a workspace (to its event store). */
export const AUDIT_RECORDED = 'audit.recorded';

export interface MappedEntry {
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: Payload;
}

/** Keys that only place the entry (columns of their own) or repeat the actor. */
const SCOPE_KEYS = new Set(['accountId', 'workspaceId', 'actorId', 'actorType']);

export function mapEvent(type: string, payload: Payload): MappedEntry | null {
  const m = AUDIT_ACTIONS[type] ?? {};
  if (m.internal) return null;
  const resourceType = m.resourceType?.(payload) ?? (type.split('.')[0] || 'event');
  const idKey = m.idKey ?? `${camel(resourceType)}Id`;
  const rawId = payload[idKey] ?? (m.idKey ? undefined : payload.id);
  const summary = m.summary
    ? m.summary(payload)
    : Object.fromEntries(Object.entries(payload).filter(([k]) => !SCOPE_KEYS.has(k)));
  return {
    action: (m.action?.(payload) ?? type).slice(0, 120),
    resourceType: resourceType.slice(0, 80),
    resourceId: typeof rawId === 'string' ? rawId.slice(0, 100) : null,
    summary: redact(summary) as Payload,
  };
}

/** Words that make a key secret (`passwordHash`, `code`, `token`), unless it only names one. */
const SECRET_WORDS = new Set([
  'key',
  'token',
  'code',
  'password',
  'secret',
  'hash',
  'credential',
  'credentials',
]);
const NAMING_WORDS = new Set(['id', 'ids', 'type', 'prefix', 'name', 'at', 'count', 'hours']);
/** Flowplane credentials by their typed prefixes (keys, sessions, invitation codes). */
const CREDENTIAL_VALUE = /^fp[a-z]{0,6}_[A-Za-z0-9_-]{16,}/;

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (!words.some((w) => SECRET_WORDS.has(w))) return false;
  return !NAMING_WORDS.has(words[words.length - 1]!);
}

/** Drops secret keys at any depth and masks values that look like credentials. */
export function redact(value: unknown): unknown {
  // NUL is the one character PostgreSQL's jsonb refuses.
  if (typeof value === 'string')
    return CREDENTIAL_VALUE.test(value) ? '[redacted]' : value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Payload)
        .filter(([k]) => !isSecretKey(k))
        .map(([k, v]) => [k.replaceAll('\u0000', ''), redact(v)]),
    );
  }
  return value;
}
