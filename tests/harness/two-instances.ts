import { randomBytes } from 'node:crypto';
import { RedisBus } from '../../lib/bus.js';
import { InternalTokens } from '../../lib/internal-token.js';
import { Subgraph } from '../../lib/subgraph.js';
import type { OperationsContext } from '../../subgraphs/operations/src/context.js';
import { operationsSubgraph } from '../../subgraphs/operations/src/index.js';
import { DATABASE_URL, REDIS_URL } from './services.js';
import { startStack, type Stack } from './stack.js';

export interface TwoInstances {
  stack: Stack;
  /** The stack's own operations subgraph. */
  first: Subgraph<OperationsContext>;
  /** A second operations instance: same schema, same Redis stream, same settings (one key). */
  second: Subgraph<OperationsContext>;
  /** Stops both, and the second's bus (a subgraph does not own the bus it is given). */
  stop(): Promise<void>;
}

/**
 * A PostgreSQL + Redis stack and a second operations instance of the same deployment, for the
 * "never twice across instances" tests. The second runs no background services of its own (a
 * test drives them) and publishes its outbox every 200 ms.
 */
export async function startTwoOperations(env: Record<string, string> = {}): Promise<TwoInstances> {
  const prefix = `fp-test-${randomBytes(6).toString('hex')}`;
  const stack = await startStack({
    database: 'postgres',
    bus: new RedisBus(REDIS_URL!, prefix, 'first'),
    env,
  });
  const first = stack.running.subgraphs.operations as Subgraph<OperationsContext>;
  const bus = new RedisBus(REDIS_URL!, prefix, 'second');
  let second: Subgraph<OperationsContext>;
  try {
    second = await Subgraph.start(operationsSubgraph, {
      database: {
        kind: 'postgresql',
        url: DATABASE_URL!,
        schema: `${stack.schemaPrefix}operations`,
      },
      bus,
      tokens: new InternalTokens(randomBytes(32).toString('hex'), 60),
      relayPollMs: 200,
      runServices: false,
      settings: first.opts.settings,
    });
    await second.startRelay();
  } catch (err) {
    await bus.close();
    await stack.stop();
    throw err;
  }
  return {
    stack,
    first,
    second,
    stop: async () => {
      await second.stop();
      await bus.close();
      await stack.stop();
    },
  };
}
