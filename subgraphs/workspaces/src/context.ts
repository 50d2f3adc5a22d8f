import type { MailSettings } from '../../../lib/mail.js';
import type { BaseContext } from '../../../lib/module.js';

/**
 * Every module's per-request loaders; each module adds its own from its `*.loaders.ts`
 * (`declare module '../context.js'`), so this file imports no module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WorkspacesLoaders {}

/** The workspaces subgraph's request context: base context, settings, the modules' loaders. */
export interface WorkspacesContext extends BaseContext {
  /** Set when SMTP_URL is: invitations are then emailed (see invitation-mail.ts). */
  mail?: MailSettings;
  loaders: WorkspacesLoaders;
}

/** Rows in the order of `keys` (null where none). */
export function byKey<K, V>(keys: readonly K[], rows: V[], key: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}
