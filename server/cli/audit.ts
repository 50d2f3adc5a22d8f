import type { Env } from '../../lib/env.js';
import { isUuid } from '../../lib/db.js';
import { verifyChain } from '../../subgraphs/access/src/audit/audit-chain.js';
import { Account } from '../../subgraphs/workspaces/src/accounts/account.entity.js';
import { openDatabase } from './databases.js';
import { UsageError } from './usage.js';

/**
 * `flowplane audit verify --account <id|handle>`: walks the account's audit chain in the
 * access database and names the first entry that was changed, removed or reordered. Reads only,
 * so it may run beside a serving process.
 */
export async function auditCommand(env: Env, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify')
    throw new UsageError('audit: the subcommand is `verify --account <id|handle>`');
  const at = rest.indexOf('--account');
  const given = at >= 0 ? rest[at + 1] : undefined;
  if (!given) throw new UsageError('audit verify: --account <id|handle> is required');
  const handle: string = given;
  const byId = isUuid(handle);
  const workspaces = await openDatabase(env, 'workspaces', false);
  let account: Account | null;
  try {
    account = await workspaces.em
      .fork()
      .findOne(Account, byId ? { id: handle } : { handle: String(handle).toLowerCase() });
  } finally {
    await workspaces.close(true);
  }
  if (!account) {
    console.error(`No account "${given}"`);
    return 1;
  }
  const access = await openDatabase(env, 'access', false);
  try {
    const r = await verifyChain(access.em.fork(), account.id);
    if (r.ok) {
      console.log(`audit log of ${account.handle} (${account.id}): intact, ${r.checked} entries`);
      return 0;
    }
    console.log(
      `audit log of ${account.handle} (${account.id}): BROKEN at seq ${r.brokenSeq} ` +
        `(${r.reason}${r.firstBrokenId ? `, entry ${r.firstBrokenId}` : ''}) after ${r.checked} entries`,
    );
    return 1;
  } finally {
    await access.close(true);
  }
}
