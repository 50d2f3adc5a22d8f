import DataLoader from 'dataloader';
import type { BaseContext, Subgraph } from '../../../lib/subgraph.js';
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

export function extendContext(base: BaseContext, sub: Subgraph<UsersContext>): UsersContext {
  const em = base.em;
  return {
    ...base,
    settings: {
      sessionTtlHours: Number(sub.opts.settings?.sessionTtlHours ?? 24 * 14),
      signIn: {
        ...DEFAULT_SIGN_IN_LIMITS,
        ...(sub.opts.settings?.signIn as Partial<SignInLimits> | undefined),
      },
    },
    counters: sub.counters,
    loaders: {
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
    },
  };
}
