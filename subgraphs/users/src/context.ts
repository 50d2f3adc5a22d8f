import type { BaseContext } from '../../../lib/module.js';

/**
 * Every module's per-request loaders; each module adds its own from its `*.loaders.ts`
 * (`declare module '../context.js'`), so this file imports no module. Unfiltered: callers decide
 * visibility.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface UsersLoaders {}

/**
 * The users subgraph's request context: the base context, what the modules provide (the users
 * module: `settings`, `counters`) and their loaders. Built by `lib/module.ts` from the manifests.
 */
export interface UsersContext extends BaseContext {
  loaders: UsersLoaders;
}
