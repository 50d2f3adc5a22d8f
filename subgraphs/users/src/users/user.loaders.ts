import DataLoader from 'dataloader';
import { detachedById } from '../../../../lib/loaders.js';
import { SETTING_DEFAULTS } from '../../../../lib/env.js';
import type { BaseContext, SubgraphRuntime } from '../../../../lib/module.js';
import type { WindowCounter } from '../../../../lib/window-counter.js';
import { DEFAULT_SIGN_IN_LIMITS, type SignInLimits } from './sign-in-throttle.js';
import { User } from './user.entity.js';

export interface UsersSettings {
  sessionTtlHours: number;
  signIn: SignInLimits;
}

/** What the users module adds to every request context (built once at start). */
export function usersProvides(sub: SubgraphRuntime): {
  settings: UsersSettings;
  counters: WindowCounter;
} {
  return {
    settings: {
      sessionTtlHours: Number(
        sub.opts.settings?.sessionTtlHours ?? SETTING_DEFAULTS.sessionTtlHours,
      ),
      signIn: {
        ...DEFAULT_SIGN_IN_LIMITS,
        ...(sub.opts.settings?.signIn as Partial<SignInLimits> | undefined),
      },
    },
    counters: sub.counters,
  };
}

/** Per-request loaders of the users module. */
export function userLoaders({ em }: BaseContext) {
  return {
    userById: new DataLoader<string, User | null>(async (ids) => {
      const rows = await em.find(User, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /** Users to answer with only (references from other subgraphs): detached rows. */
    userRefById: detachedById(em, User),
  };
}

type UserLoaders = ReturnType<typeof userLoaders>;

declare module '../context.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface UsersLoaders extends UserLoaders {}
  interface UsersContext {
    settings: UsersSettings;
    /** The counters the instances share (sign-in throttle). */
    counters: WindowCounter;
  }
}
