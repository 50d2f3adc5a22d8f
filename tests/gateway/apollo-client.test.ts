import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Actor, type Stack } from '../harness/stack.js';

/** A real client we did not write, round-tripping through the gateway. */
let stack: Stack;
let alice: Actor;
beforeAll(async () => {
  stack = await startStack();
  alice = await stack.signUp();
});
afterAll(async () => {
  await stack?.stop();
});

describe('Apollo Client (HTTP link) against the gateway', () => {
  it('runs a query and a mutation, and normalises the cache by id', async () => {
    const client = new ApolloClient({
      link: new HttpLink({
        uri: stack.url,
        headers: { authorization: `Bearer ${alice.token}` },
        fetch,
      }),
      cache: new InMemoryCache(),
    });
    const me = await client.query<any>({
      query: gql`
        query Me {
          me {
            id
            accounts {
              id
              handle
              workspaces {
                id
                handle
              }
            }
          }
        }
      `,
    });
    expect(me.data?.me.accounts[0].id).toBe(alice.accountId);
    const created = await client.mutate<any>({
      mutation: gql`
        mutation Create($input: CreateWorkspaceInput!) {
          createWorkspace(input: $input) {
            id
            handle
            account {
              id
              handle
            }
          }
        }
      `,
      variables: { input: { accountId: alice.accountId, handle: 'apollo', name: 'Apollo' } },
    });
    expect(created.data?.createWorkspace).toMatchObject({
      handle: 'apollo',
      account: { id: alice.accountId },
    });
    // The account object the mutation returned is the one the query cached.
    expect(
      (client.cache.extract() as Record<string, unknown>)[`Account:${alice.accountId}`],
    ).toMatchObject({
      handle: alice.handle,
    });
    const failed = await client
      .mutate({
        mutation: gql`
          mutation Create($input: CreateWorkspaceInput!) {
            createWorkspace(input: $input) {
              id
            }
          }
        `,
        variables: { input: { accountId: alice.accountId, handle: 'Bad Handle', name: 'x' } },
      })
      .then(
        () => null,
        (err: { errors?: { extensions?: Record<string, unknown> }[] }) => err,
      );
    expect(failed?.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'handle',
    });
    client.stop();
  });
});
