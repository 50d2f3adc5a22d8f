import type { ClientInfo } from '../../../lib/actor.js';
import type { InternalTokens } from '../../../lib/internal-token.js';
import { NO_GRANTS } from '../../../lib/principal.js';
import type { SubgraphName, SubgraphTransport } from '../transport.js';

/**
 * The internal operations the /auth/sso and /scim/v2 routes run, as a system principal named
 * after the route ("sso", "scim"). Every operation takes the one account the route resolved
 * (from the handle, the provider or the SCIM token) and filters by it in SQL.
 */
export class InternalCalls {
  constructor(
    private readonly transport: SubgraphTransport,
    private readonly tokens: InternalTokens,
    private readonly who: 'sso' | 'scim',
  ) {}

  async run<T = any>(
    subgraph: SubgraphName,
    query: string,
    variables: Record<string, unknown>,
    client: ClientInfo,
  ): Promise<T> {
    const caller = this.tokens.caller({
      principal: { type: 'system', id: this.who },
      grants: NO_GRANTS,
      client,
    });
    const res = await this.transport.execute(subgraph, { query, variables }, caller);
    if (res.errors?.length) {
      const e = res.errors[0]!;
      throw new InternalCallError(
        e.message,
        String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
        e.extensions?.field as string | undefined,
      );
    }
    return res.data as T;
  }
}

/** A refusal or failure of an internal operation, with its GraphQL error code. */
export class InternalCallError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
