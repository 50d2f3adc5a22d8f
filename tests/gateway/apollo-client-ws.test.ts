import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { Kind, OperationTypeNode } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, eventually } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';
import { wsUrl } from '../harness/ws.js';
import { createDeployment, createFlow } from '../operations/fixtures.js';

/**
 * A real client we did not write: Apollo Client with an HTTP link for queries and mutations and
 * a graphql-ws link for subscriptions, as a dashboard would set it up.
 */
let stack: Stack;
let alice: Actor;
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

describe('Apollo Client (HTTP + graphql-ws links) against the gateway', () => {
  it('runs a query, a mutation and a subscription that follows the mutation’s run', async () => {
    const workspaceId = (await createWorkspace(alice, alice.accountId)).id;
    const flow = await createFlow(alice, workspaceId);
    const deployment = await createDeployment(alice, flow.id);
    const wsClient = createClient({
      url: wsUrl(stack.url),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${alice.token}` },
      retryAttempts: 0,
    });
    const link = ApolloLink.split(
      ({ query }) => {
        const def = getMainDefinition(query);
        return (
          def.kind === Kind.OPERATION_DEFINITION && def.operation === OperationTypeNode.SUBSCRIPTION
        );
      },
      new GraphQLWsLink(wsClient),
      new HttpLink({ uri: stack.url, headers: { authorization: `Bearer ${alice.token}` }, fetch }),
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    try {
      const me = await client.query<any>({
        query: gql`
          query Me {
            me {
              id
              accounts {
                id
                handle
              }
            }
          }
        `,
      });
      expect(me.data?.me.accounts[0]).toEqual({
        __typename: 'Account',
        id: alice.accountId,
        handle: alice.handle,
      });

      const received: any[] = [];
      const errors: unknown[] = [];
      const before = stack.running.gateway!.subscriptions.registered;
      const subscription = client
        .subscribe<any>({
          query: gql`
            subscription RunStates($workspaceId: ID!, $filter: FlowRunEventFilter) {
              flowRunEvents(workspaceId: $workspaceId, filter: $filter) {
                id
                to
                flowRun {
                  id
                  deployment {
                    id
                    name
                  }
                }
              }
            }
          `,
          variables: { workspaceId, filter: { deploymentIds: [deployment.id] } },
        })
        .subscribe({
          next: (r) => received.push(r.data?.flowRunEvents),
          error: (e) => errors.push(e),
        });
      await eventually(async () => {
        expect(stack.running.gateway!.subscriptions.registered).toBeGreaterThan(before);
      });

      const created = await client.mutate<any>({
        mutation: gql`
          mutation Run($input: CreateFlowRunInput!) {
            createFlowRun(input: $input) {
              id
              stateType
            }
          }
        `,
        variables: { input: { deploymentId: deployment.id } },
      });
      const runId = created.data?.createFlowRun.id as string;
      await client.mutate({
        mutation: gql`
          mutation Pending($input: SetFlowRunStateInput!) {
            setFlowRunState(input: $input) {
              status
            }
          }
        `,
        variables: { input: { flowRunId: runId, state: { type: 'PENDING' } } },
      });
      await eventually(async () => expect(received.length).toBe(2));
      expect(errors).toEqual([]);
      expect(received.map((e) => e.to)).toEqual(['SCHEDULED', 'PENDING']);
      expect(received[0].flowRun).toMatchObject({
        id: runId,
        deployment: { id: deployment.id, name: deployment.name },
      });
      // The subscription's objects are normalised into the same cache as the query's.
      expect(
        (client.cache.extract() as Record<string, unknown>)[`Deployment:${deployment.id}`],
      ).toMatchObject({ name: deployment.name });
      subscription.unsubscribe();
    } finally {
      client.stop();
      await wsClient.dispose();
    }
  });
});
