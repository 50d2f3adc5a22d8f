import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 hex digest: how keys and session tokens are stored and looked up. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A typed credential: `<prefix>` + 256 random bits in base64url (43 characters). */
export function newCredential(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** `fpu_…wxyz`: what is shown of a key after creation. */
export function maskCredential(prefix: string, last4: string): string {
  return `${prefix}…${last4}`;
}

export const USER_KEY_PREFIX = 'fpu_';
export const SERVICE_KEY_PREFIX = 'fps_';
export const SESSION_PREFIX = 'fpsess_';
