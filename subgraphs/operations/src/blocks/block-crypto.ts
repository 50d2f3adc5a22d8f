import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for the secret fields of block documents. A stored value is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url); the document id is the additional authenticated
 * data, so a ciphertext copied onto another row fails to decrypt instead of leaking there.
 */
export class BlockCrypto {
  constructor(private readonly key: Buffer | undefined) {}

  private requireKey(): Buffer {
    if (!this.key || this.key.length !== 32)
      throw new Error('The block encryption key is not configured');
    return this.key;
  }

  encrypt(plaintext: string, documentId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.requireKey(), iv);
    cipher.setAAD(Buffer.from(documentId, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return [VERSION, ...parts].join('.');
  }

  decrypt(stored: string, documentId: string): string {
    const [version, iv, tag, body] = stored.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined)
      throw new Error('Unreadable encrypted block value');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.requireKey(),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(documentId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
