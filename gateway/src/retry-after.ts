import type { ApolloServerPlugin } from '@apollo/server';

/**
 * A subgraph that refuses for a while (the users subgraph's sign-in throttle) answers
 * RATE_LIMITED with `retryAfterSeconds`; the client gets what the gateway's own rate limit
 * answers: HTTP 429 with `Retry-After`.
 */
export const subgraphRetryAfterPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse(rc) {
        if (rc.response.body.kind !== 'single') return;
        let seconds = 0;
        for (const e of rc.response.body.singleResult.errors ?? []) {
          const s = e.extensions?.retryAfterSeconds;
          if (e.extensions?.code === 'RATE_LIMITED' && typeof s === 'number' && s > seconds)
            seconds = s;
        }
        if (!seconds) return;
        rc.response.http.status = 429;
        if (!rc.response.http.headers.has('retry-after'))
          rc.response.http.headers.set('retry-after', String(Math.ceil(seconds)));
      },
    };
  },
};
