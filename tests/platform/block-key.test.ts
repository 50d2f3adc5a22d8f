import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { BLOCK_KEY_FILE, blockEncryptionKey, loadEnv, parseKey } from '../../lib/env.js';

describe('BLOCK_ENCRYPTION_KEY', () => {
  it('accepts 32 bytes as hex or base64 and rejects anything else, naming the variable', () => {
    const key = randomBytes(32);
    expect(parseKey(key.toString('hex'))).toEqual(key);
    expect(parseKey(key.toString('base64'))).toEqual(key);
    expect(parseKey(key.toString('base64url'))).toEqual(key);
    expect(parseKey(randomBytes(16).toString('hex'))).toBeNull();
    expect(() => loadEnv({ BLOCK_ENCRYPTION_KEY: 'short' })).toThrow(/BLOCK_ENCRYPTION_KEY/);
    expect(loadEnv({ BLOCK_ENCRYPTION_KEY: key.toString('hex') }).blockKey).toEqual(key);
  });

  it('embedded SQLite without it: generates a private key file once, warns without the key, reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-key-'));
    const warn = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const env = loadEnv({ DATA_DIR: dir, NODE_ENV: 'development' });
    const first = blockEncryptionKey(env, 'embedded');
    const file = join(dir, BLOCK_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseKey(readFileSync(file, 'utf8'))).toEqual(first);
    expect(blockEncryptionKey(env, 'embedded')).toEqual(first);
    expect(warn).toHaveBeenCalledTimes(1);
    const printed = warn.mock.calls.flat().join(' ');
    expect(JSON.parse(printed)).toMatchObject({ level: 'warn' });
    expect(printed).toContain('BLOCK_ENCRYPTION_KEY');
    expect(printed).not.toContain(first.toString('base64'));
    expect(printed).not.toContain(first.toString('hex'));
    warn.mockRestore();
  });

  it('is required with PostgreSQL, in production and for the operations subgraph alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-key-'));
    const cases = [
      [loadEnv({ DATA_DIR: dir, DATABASE_URL: 'postgresql://x@127.0.0.1/db' }), 'embedded'],
      [loadEnv({ DATA_DIR: dir, NODE_ENV: 'production' }), 'embedded'],
      [loadEnv({ DATA_DIR: dir }), 'alone'],
    ] as const;
    for (const [env, mode] of cases)
      expect(() => blockEncryptionKey(env, mode)).toThrow(/BLOCK_ENCRYPTION_KEY: required/);
  });
});
