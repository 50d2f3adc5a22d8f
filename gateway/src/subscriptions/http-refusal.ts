import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

/** What an HTTP client that sends a subscription is told. */
export const USE_GRAPHQL_WS =
  'Subscriptions are served over WebSocket: connect to /graphql with a graphql-ws client ' +
  '(subprotocol graphql-transport-ws) and send the subscription there';

/**
 * Answers a subscription sent over HTTP with 400 and BAD_USER_INPUT saying where subscriptions
 * are served (the query planner cannot execute them). Listed first among the plugins.
 */
export const refuseHttpSubscriptions: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation(rc) {
        if (rc.operation?.operation !== 'subscription') return;
        throw new GraphQLError(USE_GRAPHQL_WS, {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
        });
      },
    };
  },
};
