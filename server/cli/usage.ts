import { SUBGRAPH_NAMES } from '../../gateway/src/transport.js';

/** Raised for a command line that cannot run: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: flowplane <command> [options]

Commands:
  serve [all|gateway|${SUBGRAPH_NAMES.join('|')}] [--port N]
                 run the server (default: all = gateway + four subgraphs in one process)
  migrate [subgraph…]
                 apply pending database migrations without serving (default: every subgraph)
  doctor         check configuration, databases, migrations, Redis and keys; exit 1 on a failure
  audit verify --account <id|handle>
                 recompute an account's hash-chained audit log and name the first broken entry
  rotate-block-key
                 re-encrypt every secret block field and webhook secret under a new key
                 (BLOCK_ENCRYPTION_KEY_NEW, or a generated one in DATA_DIR with the embedded
                 storage); resumable, nothing is written in plaintext
  backup <dir>   copy the embedded SQLite files (online, consistent) and the block key into <dir>
  help           this text

Configuration comes from environment variables (see the README's configuration table).
serve gateway needs USERS_URL, WORKSPACES_URL, ACCESS_URL and OPERATIONS_URL; separate
processes share INTERNAL_TOKEN_SECRET (and REDIS_URL for domain events).`;
