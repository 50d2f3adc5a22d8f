import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutboxEvent } from '../../lib/outbox.js';
import { gqlRequest } from '../harness/client.js';
import { startStack, uid, type StackOptions } from '../harness/stack.js';
import { testDatabase } from '../harness/services.js';

const dir = mkdtempSync(join(tmpdir(), 'flowplane-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Same storage across "process restarts": SQLite files, or one PostgreSQL schema prefix. */
function storage(prefix: string): StackOptions {
  return testDatabase() === 'postgres'
    ? { schemaPrefix: prefix, keepData: true }
    : { sqliteDir: dir };
}

describe('sign-up provisioning survives a crash between commit and publish', () => {
  it('ends with exactly one account after replay and duplicate delivery', async () => {
    const prefix = `t_${uid(4)}_`;
    // 1. The process commits the sign-up, then "dies" before its relay publishes anything.
    const crashed = await startStack({ ...storage(prefix), runRelay: false });
    const handle = `r-${uid()}`;
    const res = await crashed.gql(
      `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
      { input: { handle, email: `${handle}@example.test`, password: 'Replay-Me-123' } },
    );
    const token = res.data.signUp.token as string;
    const pending = await crashed.running.subgraphs
      .users!.orm.em.fork()
      .find(OutboxEvent, { sentAt: null, type: 'user.signed-up' });
    expect(pending).toHaveLength(1);
    expect(
      (await crashed.gql(`{ me { accounts { id } } }`, undefined, token)).data.me.accounts,
    ).toEqual([]);
    await crashed.stop();

    // 2. A new process starts on the same storage: its relay publishes the leftover row.
    const restarted = await startStack({ ...storage(prefix), keepData: false });
    const me = await gqlRequest(
      restarted.url,
      `{ me { accounts { id handle } } }`,
      undefined,
      token,
    );
    expect(me.data.me.accounts).toHaveLength(1);
    expect(me.data.me.accounts[0].id).toBe(pending[0]!.payload.accountId);

    // 3. The bus delivers the same event again (a crash after publish, before marking sent).
    await restarted.running.bus.publish([
      {
        id: pending[0]!.id,
        type: 'user.signed-up',
        source: 'users',
        occurredAt: new Date().toISOString(),
        payload: pending[0]!.payload,
      },
    ]);
    const again = await gqlRequest(restarted.url, `{ me { accounts { id } } }`, undefined, token);
    expect(again.data.me.accounts).toHaveLength(1);
    const count = await restarted.running.subgraphs
      .workspaces!.orm.em.getConnection()
      .execute(`select count(*) as n from account where handle like ?`, [`${handle}%`]);
    expect(Number(count[0].n)).toBe(1);
    await restarted.stop();
  });
});
