import type { Env } from '../../lib/env.js';
import type { SubgraphName } from '../../gateway/src/transport.js';
import { User } from '../../subgraphs/users/src/users/user.entity.js';
import {
  startEmbedded,
  startGatewayService,
  startSubgraphService,
  type Running,
} from '../services.js';
import { log } from '../../lib/log.js';
import { shutdownTracing } from '../../lib/tracing.js';

export type ServeTarget = 'all' | 'gateway' | SubgraphName;

/** `flowplane serve <target>`: runs until SIGTERM or SIGINT. */
export async function serveCommand(env: Env, target: ServeTarget): Promise<void> {
  let running: Running;
  if (target === 'all') running = await startEmbedded(env);
  else if (target === 'gateway') running = await startGatewayService(env);
  else running = await startSubgraphService(target, env);
  const host = env.HOST === '0.0.0.0' ? 'localhost' : env.HOST;
  const base = `http://${host}:${running.port}`;
  const url = `${base}/graphql`;
  if (target === 'all') console.log(await banner(env, running, base));
  log.info({ service: target, url, port: running.port }, 'listening');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await running.stop();
    await shutdownTracing().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * What the embedded server prints on start: where to go, and the first steps while there is no
 * user yet (signUp, createApiKey, createWorkspace). A restart with users skips the recipe.
 */
export async function banner(env: Env, running: Running, base: string): Promise<string> {
  const users = await running.subgraphs.users!.orm.em.fork().count(User, {});
  const storage = env.DATABASE_URL
    ? 'PostgreSQL (DATABASE_URL)'
    : `SQLite files in ${env.DATA_DIR}`;
  const head = `
Flowplane is running.
  GraphQL API and explorer  ${base}/graphql   (open it in a browser)
  Live dashboard            ${base}/ui
  REST API (Prefect) docs   ${base}/api/docs
Storage: ${storage}; bus: ${env.REDIS_URL ? 'Redis' : 'in-process'}.`;
  if (users)
    return `${head}\n${users} user(s) registered. \`flowplane doctor\` checks the setup.\n`;
  const gql = (q: string) => JSON.stringify({ query: q }).replace(/'/g, "'\\''");
  return `${head}

No user yet. Create the first one (it owns a new account) in the explorer or with curl:
  curl -s ${base}/graphql -H 'content-type: application/json' \\
    -d '${gql('mutation { signUp(input: {email: "you@example.com", password: "Choose-a-str0ng-one", handle: "you"}) { token user { id } } }')}'
Then, with "Authorization: Bearer <token>":
  query { me { accounts { id handle } } }
  mutation { createWorkspace(input: {accountId: "<account id>", handle: "default", name: "Default"}) { id } }
  mutation { createApiKey(input: {name: "cli"}) { key } }   # for scripts, workers and the dashboard
`;
}
