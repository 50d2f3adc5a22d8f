import DataLoader from 'dataloader';
import type { BaseContext, SubgraphRuntime } from '../../../lib/module.js';
import type { Em } from '../../../lib/orm.js';
import { ServiceAccount } from './service-accounts/service-account.entity.js';
import type { WindowCounter } from '../../../lib/window-counter.js';
import { User } from './users/user.entity.js';
import { DEFAULT_SIGN_IN_LIMITS, type SignInLimits } from './users/sign-in-throttle.js';

export interface UsersSettings {
  sessionTtlHours: number;
  signIn: SignInLimits;
}

/** The users subgraph's request context: base context plus per-request loaders. */
export interface UsersContext extends BaseContext {
  settings: UsersSettings;
  /** The counters the instances share (sign-in throttle). */
  counters: WindowCounter;
  loaders: {
    userById: DataLoader<string, User | null>;
    serviceAccountById: DataLoader<string, ServiceAccount | null>;
  };
}

/** What the users module adds to every request context (built once at start). */
export function usersProvides(sub: SubgraphRuntime<UsersContext>) {
  return {
    settings: {
      sessionTtlHours: Number(sub.opts.settings?.sessionTtlHours ?? 24 * 14),
      signIn: {
        ...DEFAULT_SIGN_IN_LIMITS,
        ...(sub.opts.settings?.signIn as Partial<SignInLimits> | undefined),
      },
    } satisfies UsersSettings,
    counters: sub.counters,
  };
}

/** Per-request loaders (unfiltered: callers decide visibility). */
export function usersLoaders({ em }: { em: Em }): UsersContext['loaders'] {
  return {
    userById: new DataLoader(async (ids) => {
      const rows = await em.find(User, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    serviceAccountById: new DataLoader(async (ids) => {
      const rows = await em.find(ServiceAccount, { id: { $in: [...ids] }, deletedAt: null });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
