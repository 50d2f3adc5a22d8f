import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DocumentNode } from 'graphql';
import type { Bus } from '../../lib/bus.js';
import { loadEnv } from '../../lib/env.js';
import { QueryCounter, type DatabaseConfig } from '../../lib/orm.js';
import {
  SUBGRAPH_NAMES,
  type SubgraphName,
  type SubgraphTransport,
} from '../../gateway/src/transport.js';
import { startEmbedded, type Running } from '../../server/services.js';
import { gqlRequest, type GqlResult } from './client.js';
import { DATABASE_URL, testDatabase } from './services.js';

export interface StackOptions {
  /** Default: FLOWPLANE_TEST_DB (sqlite in memory unless "postgres"). */
  database?: 'sqlite' | 'postgres';
  /** SQLite files in this folder instead of memory (survive a restart of the stack). */
  sqliteDir?: string;
  /** PostgreSQL schema prefix to reuse (restart tests); fresh and unique by default. */
  schemaPrefix?: string;
  /** Keep the PostgreSQL schemas when stopping (a later stack reopens them). */
  keepData?: boolean;
  runRelay?: boolean;
  bus?: Bus;
  env?: Record<string, string>;
  /** Wraps the gateway's in-process transport (watch or hold subgraph calls). */
  wrapTransport?: (transport: SubgraphTransport) => SubgraphTransport;
}

export interface Actor {
  token: string;
  userId: string;
  handle: string;
  email: string;
  password: string;
  accountId: string;
  gql<T = any, V = Record<string, unknown>>(
    query: string | DocumentNode | TypedDocumentNode<T, V>,
    variables?: V,
  ): Promise<GqlResult<T>>;
}

export interface Stack {
  url: string;
  running: Running;
  schemaPrefix?: string;
  counters: Record<SubgraphName, QueryCounter>;
  gql<T = any, V = Record<string, unknown>>(
    query: string | DocumentNode | TypedDocumentNode<T, V>,
    variables?: V,
    token?: string,
  ): Promise<GqlResult<T>>;
  /** Signs up a new user with unique handle and email and waits for their account. */
  signUp(
    overrides?: Partial<{ handle: string; email: string; password: string; name: string }>,
  ): Promise<Actor>;
  /** Publishes every pending outbox row of every subgraph and waits for the bus to deliver it. */
  quiesce(): Promise<void>;
  /** An actor for an existing credential (API key or session token). */
  as(token: string): Pick<Actor, 'gql'>;
  stop(): Promise<void>;
}

export const uid = (n = 6) => randomBytes(n).toString('hex');

/**
 * Every statement `counter` sees from now on, background work and transaction control included
 * (its own count leaves those out), until `stop`.
 */
export function everyStatement(counter: QueryCounter): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const record = counter.record.bind(counter);
  counter.record = (line) => {
    lines.push(line);
    record(line);
  };
  return { lines, stop: () => (counter.record = record) };
}

export async function dropSchemas(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const name of SUBGRAPH_NAMES)
      await client.query(`drop schema if exists "${prefix}${name}" cascade`);
  } finally {
    await client.end();
  }
}

/** Starts the embedded stack (gateway + four subgraphs) on a free port. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const kind = opts.database ?? testDatabase();
  const schemaPrefix = kind === 'postgres' ? (opts.schemaPrefix ?? `t_${uid(4)}_`) : undefined;
  const env = loadEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    GRANTS_CACHE_TTL_MS: '10000',
    OUTBOX_POLL_MS: '200',
    BLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SSO_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // Domain verification asks nobody outside the machine: a closed loopback port by default
    // (tests of verification run their own DNS server, tests/sso/dns-server.ts).
    SSO_DNS_SERVERS: '127.0.0.1:9',
    // Tests drive background services with runOnce, not timers.
    BACKGROUND_SERVICES: 'false',
    ...opts.env,
  });
  const database = (name: SubgraphName): DatabaseConfig =>
    kind === 'postgres'
      ? { kind: 'postgresql', url: DATABASE_URL!, schema: `${schemaPrefix}${name}` }
      : { kind: 'sqlite', path: opts.sqliteDir ? `${opts.sqliteDir}/${name}.sqlite` : ':memory:' };
  const counters = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, new QueryCounter()])) as Record<
    SubgraphName,
    QueryCounter
  >;
  const running = await startEmbedded(env, {
    database,
    runRelay: opts.runRelay,
    bus: opts.bus,
    queryCounters: counters,
    wrapTransport: opts.wrapTransport,
  });
  const url = `http://127.0.0.1:${running.port}/graphql`;
  const gql: Stack['gql'] = (query, variables, token) => gqlRequest(url, query, variables, token);
  const as = (token: string) => ({
    gql: ((q: any, v: any) => gqlRequest(url, q, v, token)) as Actor['gql'],
  });

  /**
   * Publishes what every subgraph's outbox holds, round after round (a consumer of one round
   * writes the next round's rows), then waits until the bus has delivered it.
   */
  async function quiesce(): Promise<void> {
    const subgraphs = Object.values(running.subgraphs);
    for (let round = 0; round < 4; round++) {
      await Promise.all(subgraphs.map((s) => s!.relay.flush().catch(() => undefined)));
    }
    await running.bus.settle(2000);
  }

  async function signUp(overrides: Parameters<Stack['signUp']>[0] = {}): Promise<Actor> {
    const handle = overrides.handle ?? `u-${uid()}`;
    const email = overrides.email ?? `${handle}@example.test`;
    const password = overrides.password ?? `Pw-${uid()}-Aa1!`;
    const res = await gql(
      `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id handle } } }`,
      { input: { handle, email, password, name: overrides.name ?? handle } },
    );
    if (res.errors?.length || !res.data)
      throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
    const token = res.data.signUp.token as string;
    // Provisioning runs from the users subgraph's outbox: publish it now rather than poll.
    await quiesce();
    let accountId = '';
    for (let i = 0; i < 250 && !accountId; i++) {
      const me = await gql(`{ me { accounts { id } } }`, undefined, token);
      accountId = me.data?.me?.accounts?.[0]?.id ?? '';
      if (!accountId) await new Promise((r) => setTimeout(r, 20));
    }
    // Sign-up provisions the account through the bus: a test must not go on without it.
    if (!accountId) throw new Error(`signUp: no account was provisioned for ${email} within 5 s`);
    // The account is visible once its transaction commits, but what that transaction announced
    // (membership, grants changed) may still wait in an outbox: a test that starts counting
    // events or caching identities now must not see this sign-up's tail.
    await quiesce();
    return {
      token,
      userId: res.data.signUp.user.id,
      handle,
      email,
      password,
      accountId,
      ...as(token),
    };
  }

  return {
    url,
    running,
    schemaPrefix,
    counters,
    gql,
    signUp,
    quiesce,
    as,
    async stop() {
      await running.stop();
      if (schemaPrefix && !opts.keepData) await dropSchemas(schemaPrefix);
    },
  };
}
