import { SecretBox } from '../../../../lib/secret-box.js';

/** AES-256-GCM for the secret fields of block documents (the document id is the AAD). */
export class BlockCrypto extends SecretBox {
  constructor(key: Buffer | undefined) {
    super(key, 'block encryption');
  }
}
