import 'reflect-metadata';
import { loadEnv } from '../lib/env.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../gateway/src/transport.js';
import {
  startEmbedded,
  startGatewayService,
  startSubgraphService,
  type Running,
} from '../server/services.js';

const USAGE = `Usage: flowplane serve <all|gateway|${SUBGRAPH_NAMES.join('|')}> [--port N]

  all         gateway + four subgraphs in one process (SQLite under DATA_DIR, or DATABASE_URL)
  gateway     the gateway alone; needs USERS_URL, WORKSPACES_URL, ACCESS_URL, OPERATIONS_URL
  <subgraph>  one subgraph alone on PORT
Separate processes must share INTERNAL_TOKEN_SECRET (and REDIS_URL for domain events).`;

async function main(argv: string[]): Promise<void> {
  const [command, target = 'all', ...rest] = argv;
  if (command !== 'serve') {
    console.log(USAGE);
    process.exit(command ? 1 : 0);
  }
  const portFlag = rest.indexOf('--port');
  const source = { ...process.env };
  if (portFlag >= 0 && rest[portFlag + 1]) source.PORT = rest[portFlag + 1];
  let env;
  try {
    env = loadEnv(source, { requireSecret: target !== 'all' });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  let running: Running;
  if (target === 'all') running = await startEmbedded(env);
  else if (target === 'gateway') running = await startGatewayService(env);
  else if ((SUBGRAPH_NAMES as string[]).includes(target)) {
    running = await startSubgraphService(target as SubgraphName, env);
  } else {
    console.error(USAGE);
    process.exit(1);
  }
  const host = env.HOST === '0.0.0.0' ? 'localhost' : env.HOST;
  const url = `http://${host}:${running.port}/graphql`;
  console.log(
    JSON.stringify({ level: 'info', msg: 'listening', service: target, url, port: running.port }),
  );
  if (target === 'all') {
    console.log(`
Flowplane is running at ${url}
Storage: ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `SQLite files in ${env.DATA_DIR}`}; bus: ${env.REDIS_URL ? 'Redis' : 'in-process'}.

Create the first user and the account they own:
  curl -s ${url} -H 'content-type: application/json' \\
    -d '{"query":"mutation { signUp(input: {email: \\"you@example.com\\", password: \\"Choose-a-str0ng-one\\", handle: \\"you\\"}) { token } }"}'
Then create an API key with that token as "Authorization: Bearer <token>":
  mutation { createApiKey(input: {name: "cli"}) { key } }
`);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(JSON.stringify({ level: 'info', msg: 'shutting down', signal }));
    await running.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
