import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gqlRequest } from '../harness/client.js';
import { spawnService } from '../harness/processes.js';
import { uid } from '../harness/stack.js';

describe('graceful shutdown', () => {
  it('stops accepting, drains and exits 0 on SIGTERM, having logged each request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowplane-shutdown-'));
    try {
      const proc = await spawnService(
        'all',
        { DATA_DIR: dir, NODE_ENV: 'test', LOG_REQUESTS: 'true' },
        ['DATABASE_URL', 'REDIS_URL'],
      );
      const handle = `s-${uid()}`;
      const res = await gqlRequest(
        proc.url,
        `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`,
        {
          i: { handle, email: `${handle}@example.test`, password: 'Shut-Down-123' },
        },
      );
      expect(res.errors).toBeUndefined();
      const exit = new Promise<number | null>((r) => proc.child.once('exit', (code) => r(code)));
      proc.child.kill('SIGTERM');
      const code = await exit;
      const out = proc.output.join('');
      expect(code, out.slice(-2000)).toBe(0);
      expect(out).toContain('"msg":"shutting down"');
      expect(out).toContain('"msg":"request"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
