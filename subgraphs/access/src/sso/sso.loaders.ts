import type { SubgraphRuntime } from '../../../../lib/module.js';
import { ssoRuntimeOf, type SsoRuntime } from './sso-runtime.js';

/** What the sso module adds to every request context (made on first use, once per subgraph). */
export function ssoProvides(sub: SubgraphRuntime) {
  return {
    get sso(): SsoRuntime {
      return ssoRuntimeOf(sub);
    },
  };
}

declare module '../context.js' {
  interface AccessContext {
    /** SSO: sealed secrets, the OIDC relying party, the public URLs. */
    sso: SsoRuntime;
  }
}
