import type { BaseContext } from '../../../lib/module.js';

/**
 * Every module's per-request loaders (`<thing>By<Key>`). Empty here: each module adds its own
 * from its `*.loaders.ts` (`declare module '../context.js'`), so this file imports no module.
 * Loaders return rows unfiltered: callers authorize each one before returning it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OperationsLoaders {}

/**
 * The operations subgraph's request context: the base context, what the modules provide (e.g.
 * `blockCrypto`, declared by the blocks module) and their loaders. Built by `lib/module.ts` from
 * the manifests listed in index.ts.
 */
export interface OperationsContext extends BaseContext {
  loaders: OperationsLoaders;
}
