import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK_KEY_FILE, parseKey, type Env } from '../../lib/env.js';
import { forUpdate } from '../../lib/db.js';
import type { Orm } from '../../lib/orm.js';
import type { StoredAction } from '../../subgraphs/operations/src/automations/actions/action.types.js';
import { secretAad } from '../../subgraphs/operations/src/automations/actions/webhook-actions.js';
import { Automation } from '../../subgraphs/operations/src/automations/automation.entity.js';
import { WebhookDelivery } from '../../subgraphs/operations/src/automations/webhooks/webhook-delivery.entity.js';
import { BlockCrypto } from '../../subgraphs/operations/src/blocks/block-crypto.js';
import { BlockDocument } from '../../subgraphs/operations/src/blocks/block-document.entity.js';
import { databaseFor, lockDatabases } from '../services.js';
import { openDatabase } from './databases.js';
import { UsageError } from './usage.js';

const BATCH = 200;

/** One stored ciphertext under the new key: unchanged if it already is, null if unreadable. */
type Reseal = (stored: string, aad: string) => string | null;

interface Counts {
  rotated: number;
  current: number;
  unreadable: number;
}

/**
 * `flowplane rotate-block-key`: re-encrypts every secret block field and every webhook secret
 * (automation actions and queued deliveries) under a new key. Each row is rewritten in its own
 * statement after a check that it still holds what was read, and a value that the new key
 * already opens is left alone, so an interrupted run is finished by running it again. Secrets
 * are decrypted in memory only; nothing is written in plaintext. With the embedded storage and
 * no BLOCK_ENCRYPTION_KEY_NEW, the new key is generated into DATA_DIR first (kept there until
 * the run completes, then it replaces the old key file).
 */
export async function rotateBlockKeyCommand(env: Env): Promise<number> {
  const fileMode = !env.blockKey;
  const keyFile = join(env.DATA_DIR, BLOCK_KEY_FILE);
  const pendingFile = `${keyFile}.new`;
  let oldKey: Buffer;
  if (env.blockKey) oldKey = env.blockKey;
  else if (!env.DATABASE_URL && existsSync(keyFile)) oldKey = readKey(keyFile);
  else throw new UsageError('rotate-block-key: BLOCK_ENCRYPTION_KEY (the current key) is not set');

  let newKey: Buffer;
  if (env.newBlockKey) newKey = env.newBlockKey;
  else if (!fileMode)
    throw new UsageError(
      'rotate-block-key: set BLOCK_ENCRYPTION_KEY_NEW to the new key (openssl rand -base64 32)',
    );
  else if (existsSync(pendingFile)) {
    newKey = readKey(pendingFile);
    console.log(`resuming with the new key in ${pendingFile}`);
  } else {
    newKey = randomBytes(32);
    writeFileSync(pendingFile, newKey.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  if (newKey.equals(oldKey))
    throw new UsageError('rotate-block-key: the new key is the current key');

  const locks = lockDatabases([databaseFor(env, 'operations')]);
  const orm = await openDatabase(env, 'operations', true).catch((err) => {
    for (const l of locks) l.release();
    throw err;
  });
  const counts: Counts = { rotated: 0, current: 0, unreadable: 0 };
  try {
    const older = new BlockCrypto(oldKey);
    const newer = new BlockCrypto(newKey);
    const reseal: Reseal = (stored, aad) => {
      try {
        newer.decrypt(stored, aad);
        counts.current++;
        return stored;
      } catch {
        /* not yet under the new key */
      }
      try {
        const value = newer.encrypt(older.decrypt(stored, aad), aad);
        counts.rotated++;
        return value;
      } catch {
        counts.unreadable++;
        return null;
      }
    };
    await rotateBlockDocuments(orm, reseal);
    await rotateDeliveries(orm, reseal);
    await rotateAutomations(orm, reseal);
  } finally {
    await orm.close(true);
    for (const l of locks) l.release();
  }
  console.log(
    `re-encrypted ${counts.rotated} secret value(s); ${counts.current} already under the new key; ` +
      `${counts.unreadable} unreadable with either key`,
  );
  if (counts.unreadable) {
    console.error(
      'Some values open with neither key: nothing was changed for them. Keep both keys.',
    );
    return 1;
  }
  if (fileMode) {
    renameSync(pendingFile, keyFile);
    console.log(`${keyFile} now holds the new key (back it up with the data)`);
  } else {
    console.log(
      'Done. Set BLOCK_ENCRYPTION_KEY to the value of BLOCK_ENCRYPTION_KEY_NEW on every operations process.',
    );
  }
  return 0;
}

function readKey(file: string): Buffer {
  const key = parseKey(readFileSync(file, 'utf8'));
  if (!key) throw new UsageError(`${file} does not hold a 32-byte key`);
  return key;
}

async function rotateBlockDocuments(orm: Orm, reseal: Reseal): Promise<void> {
  let after = '';
  for (;;) {
    const em = orm.em.fork();
    const docs = await em.find(
      BlockDocument,
      { secretValues: { $ne: null }, id: { $gt: after } },
      { orderBy: { id: 'asc' }, limit: BATCH, fields: ['id', 'secretValues'] },
    );
    for (const d of docs) {
      const next = reseal(d.secretValues!, d.id);
      if (next && next !== d.secretValues)
        await em.nativeUpdate(
          BlockDocument,
          { id: d.id, secretValues: d.secretValues },
          { secretValues: next },
        );
    }
    if (docs.length < BATCH) return;
    after = docs[docs.length - 1]!.id;
  }
}

async function rotateDeliveries(orm: Orm, reseal: Reseal): Promise<void> {
  let after = '';
  for (;;) {
    const em = orm.em.fork();
    const rows = await em.find(
      WebhookDelivery,
      { secret: { $ne: null }, id: { $gt: after } },
      { orderBy: { id: 'asc' }, limit: BATCH, fields: ['id', 'actionId', 'secret'] },
    );
    for (const d of rows) {
      const next = reseal(d.secret!, secretAad(d.actionId));
      if (next && next !== d.secret)
        await em.nativeUpdate(WebhookDelivery, { id: d.id, secret: d.secret }, { secret: next });
    }
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** Webhook secrets inside an automation's action lists (JSON): one transaction per automation. */
async function rotateAutomations(orm: Orm, reseal: Reseal): Promise<void> {
  let after = '';
  for (;;) {
    const ids = (
      await orm.em
        .fork()
        .find(
          Automation,
          { id: { $gt: after } },
          { orderBy: { id: 'asc' }, limit: BATCH, fields: ['id'] },
        )
    ).map((a) => a.id);
    for (const id of ids) {
      await orm.em.fork().transactional(async (em) => {
        const a = await em.findOne(Automation, { id }, forUpdate(em));
        if (!a) return;
        const lists = ['actions', 'actionsOnTrigger', 'actionsOnResolve'] as const;
        for (const list of lists) {
          let changed = false;
          const next = a[list].map((action: StoredAction) => {
            const secret = action.webhook?.secret;
            if (!secret) return action;
            const sealed = reseal(secret, secretAad(action.id));
            if (!sealed || sealed === secret) return action;
            changed = true;
            return { ...action, webhook: { ...action.webhook!, secret: sealed } };
          });
          if (changed) a[list] = next;
        }
      });
    }
    if (ids.length < BATCH) return;
    after = ids[ids.length - 1]!;
  }
}
