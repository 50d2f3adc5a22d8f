import DataLoader from 'dataloader';
import { accessibleFilter } from '../../../lib/ability.js';
import type { MailSettings } from '../../../lib/mail.js';
import type { BaseContext, SubgraphRuntime } from '../../../lib/module.js';
import { Account } from './accounts/account.entity.js';
import { isUuid } from '../../../lib/db.js';
import { AccountMembership } from './memberships/membership.entity.js';
import { Workspace } from './workspaces/workspace.entity.js';

/** The workspaces subgraph's request context: base context plus per-request loaders. */
export interface WorkspacesContext extends BaseContext {
  /** Set when SMTP_URL is: invitations are then emailed (see invitation-mail.ts). */
  mail?: MailSettings;
  loaders: {
    /** Non-deleted accounts by id (no permission check: callers decide visibility). */
    accountById: DataLoader<string, Account | null>;
    workspaceById: DataLoader<string, Workspace | null>;
    /** Workspaces of an account that the caller may read, oldest first. */
    visibleWorkspacesByAccount: DataLoader<string, Workspace[]>;
    /** The caller's own membership in an account (active or not). */
    myMembershipByAccount: DataLoader<string, AccountMembership | null>;
  };
}

function byKey<K, V>(keys: readonly K[], rows: V[], key: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

/**
 * Workspaces of an account that the context's ability may read, oldest first. The ability is
 * read when the loader runs, so a loader rebuilt after the grants grew (InvitationService.accept)
 * sees the workspaces just joined.
 */
export function visibleWorkspacesLoader(
  ctx: () => Pick<WorkspacesContext, 'ability' | 'em'>,
): DataLoader<string, Workspace[]> {
  return new DataLoader(async (accountIds) => {
    const { ability, em } = ctx();
    const filter = accessibleFilter(ability, 'read', 'Workspace');
    if (!filter) return accountIds.map(() => []);
    const rows = await em.find(
      Workspace,
      { $and: [filter, { accountId: { $in: [...accountIds] } }] },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return accountIds.map((id) => rows.filter((w) => w.accountId === id));
  });
}

/** What the workspaces module adds to every request context (built once at start). */
export function workspacesProvides(sub: SubgraphRuntime<WorkspacesContext>) {
  return { mail: sub.opts.settings?.mail as MailSettings | undefined };
}

/** Per-request loaders; `ctx` is the context being built (read when a loader runs). */
export function workspacesLoaders(ctx: WorkspacesContext): WorkspacesContext['loaders'] {
  const { em, principal } = ctx;
  return {
    accountById: new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length
        ? await em.find(Account, { id: { $in: valid }, deletedAt: null })
        : [];
      return byKey(ids, rows, (r) => r.id);
    }),
    workspaceById: new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await em.find(Workspace, { id: { $in: valid } }) : [];
      return byKey(ids, rows, (r) => r.id);
    }),
    visibleWorkspacesByAccount: visibleWorkspacesLoader(() => ctx),
    myMembershipByAccount: new DataLoader(async (accountIds) => {
      const { type } = principal;
      if (type !== 'user' && type !== 'service_account') return accountIds.map(() => null);
      const rows = await em.find(AccountMembership, {
        accountId: { $in: [...accountIds] },
        principalId: principal.id,
      });
      return byKey(accountIds, rows, (r) => r.accountId);
    }),
  };
}
