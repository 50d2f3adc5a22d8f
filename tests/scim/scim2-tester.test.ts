import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from '../harness/services.js';
import { startSsoStack, type SsoStack } from '../sso/fixtures.js';

/**
 * scim2-tester (PyPI, pinned in requirements/scim.txt) runs its conformance checks against
 * /scim/v2: discovery, then create, read, list, attribute selection, replace, delete and PATCH
 * add/remove/replace of every attribute of Users and Groups. No check may fail.
 */
const bin = requirePython();
const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./scim2_tester_run.py', import.meta.url));

interface Check {
  title: string | null;
  status: 'SUCCESS' | 'ERROR' | 'CRITICAL' | 'SKIPPED' | 'WARNING' | string;
  reason: string | null;
  resource_type: string | null;
  tags: string[];
}

let s: SsoStack;
let token = '';

beforeAll(async () => {
  if (!bin) return;
  s = await startSsoStack();
  const owner = await s.stack.signUp();
  const res = await owner.gql(`mutation($id: ID!) { rotateScimToken(accountId: $id) { token } }`, {
    id: owner.accountId,
  });
  token = res.data.rotateScimToken.token;
});

afterAll(async () => {
  await s?.stop();
});

describe.skipIf(!bin)('scim2-tester', () => {
  it('reports no failure on the Users and Groups checks', async () => {
    const { stdout } = await run(join(bin!, 'python'), [SCRIPT, `${s.base}/scim/v2`, token], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    const checks = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Check);
    const failed = checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'SKIPPED');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    const ran = (type: string) =>
      checks.filter((c) => c.resource_type === type && c.status === 'SUCCESS').length;
    expect(ran('User')).toBeGreaterThan(5);
    expect(ran('Group')).toBeGreaterThan(5);
  }, 300_000);
});
