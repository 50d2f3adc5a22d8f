import type { BaseContext } from '../../../lib/module.js';

/**
 * Every module's per-request loaders; each module adds its own from its `*.loaders.ts`
 * (`declare module '../context.js'`), so this file imports no module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AccessLoaders {}

/**
 * The access subgraph's request context: the base context, what the modules provide (the sso
 * module: `sso`) and their loaders. Built by `lib/module.ts` from the manifests.
 */
export interface AccessContext extends BaseContext {
  loaders: AccessLoaders;
}
