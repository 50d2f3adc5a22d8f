import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest (secret block fields, SSO client secrets and keys). A stored
 * value is `v1.<iv>.<tag>.<ciphertext>` (base64url); the owning row's id is the additional
 * authenticated data, so a ciphertext copied onto another row fails to decrypt instead of
 * leaking there.
 */
export class SecretBox {
  constructor(
    private readonly key: Buffer | undefined,
    /** Names the key in errors ("The block encryption key is not configured"). */
    private readonly what = 'encryption',
  ) {}

  private requireKey(): Buffer {
    if (!this.key || this.key.length !== 32)
      throw new Error(`The ${this.what} key is not configured`);
    return this.key;
  }

  encrypt(plaintext: string, rowId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.requireKey(), iv);
    cipher.setAAD(Buffer.from(rowId, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return [VERSION, ...parts].join('.');
  }

  decrypt(stored: string, rowId: string): string {
    const [version, iv, tag, body] = stored.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined)
      throw new Error(`Unreadable ${this.what} value`);
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.requireKey(),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(rowId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
