/**
 * Master-key rotation, offline: every encrypted value (secret settings,
 * credentials, Signal keys, message bodies and payloads, webhook secrets) is
 * decrypted with the current key and encrypted with the new one, in one
 * transaction, so the data is under one key or the other, never a mix.
 * Secrets derived from the master key that outside parties hold (API-key
 * hashes, gomulti tokens) are pinned first (pinnedSecrets.ts). The database
 * must not be in use (exclusiveAccess.ts); where the key itself is kept
 * (WAGATE_MASTER_KEY or master.key) is the caller's business.
 */
import { sql, type Transaction } from 'kysely';
import { aad, Cipher } from './cipher.js';
import { StoreError } from './errors.js';
import { assertNoGatewayConnected, openExclusive } from './exclusiveAccess.js';
import { pinnedSecretKey } from './pinnedSecrets.js';
import type { Database, StoreDialect } from './schema.js';
import { KEY_CHECK_SETTING } from './sqlStore.js';

const BATCH = 500;

export interface RotationInput {
  /** DATABASE_URL: `sqlite:<path>` or `postgres://…`. */
  url: string;
  currentKey: Buffer;
  newKey: Buffer;
  /** deriveSecret purposes whose current secrets must stay valid (API-key hashing, token signing). */
  pinPurposes: readonly string[];
}

export interface RotationCounts {
  settings: number;
  credentials: number;
  signalKeys: number;
  messages: number;
  webhooks: number;
  pinnedSecrets: number;
}

export interface RotationResult {
  dialect: StoreDialect;
  counts: RotationCounts;
}

type Trx = Transaction<Database>;

interface Rekey {
  (blob: Uint8Array, context: string, what: string): Buffer;
}

async function checkCurrentKey(trx: Trx, current: Cipher): Promise<void> {
  const row = await trx.selectFrom('settings').select('value').where('key', '=', KEY_CHECK_SETTING).executeTakeFirst();
  if (!row) {
    throw new StoreError('DATABASE_MISSING', 'This database was never opened by a gateway (it has no master-key check): there is nothing to rotate.');
  }
  try {
    current.decrypt(Buffer.from(row.value), aad.setting(KEY_CHECK_SETTING), 'master key check');
  } catch (err) {
    throw new StoreError(
      'MASTER_KEY_MISMATCH',
      'The current master key (WAGATE_MASTER_KEY, else master.key in DATA_DIR) does not open this data. Nothing was changed.',
      undefined,
      { cause: err },
    );
  }
}

async function rekeySettings(trx: Trx, rekey: Rekey): Promise<number> {
  const rows = await trx.selectFrom('settings').select(['key', 'value']).where('secret', '=', 1).execute();
  for (const r of rows) {
    const value = rekey(r.value, aad.setting(r.key), `setting "${r.key}"`);
    await trx.updateTable('settings').set({ value }).where('key', '=', r.key).execute();
  }
  return rows.length;
}

async function pinSecrets(trx: Trx, purposes: readonly string[], current: Cipher, next: Cipher): Promise<number> {
  let pinned = 0;
  for (const purpose of purposes) {
    const key = pinnedSecretKey(purpose);
    // Pinned by an earlier rotation: already re-encrypted with the other settings.
    const existing = await trx.selectFrom('settings').select('key').where('key', '=', key).executeTakeFirst();
    if (existing) continue;
    const secret = current.deriveSecret(purpose);
    const value = next.encrypt(secret.toString('hex'), aad.setting(key));
    secret.fill(0);
    await trx.insertInto('settings').values({ key, value, secret: 1, updated_at: new Date().toISOString() }).execute();
    pinned++;
  }
  return pinned;
}

async function rekeyCredentials(trx: Trx, rekey: Rekey): Promise<number> {
  const rows = await trx.selectFrom('credentials').select(['session_id', 'value']).execute();
  for (const r of rows) {
    const value = rekey(r.value, aad.creds(r.session_id), `credentials of session "${r.session_id}"`);
    await trx.updateTable('credentials').set({ value }).where('session_id', '=', r.session_id).execute();
  }
  return rows.length;
}

async function rekeySignalKeys(trx: Trx, rekey: Rekey): Promise<number> {
  let count = 0;
  let after: [string, string, string] | undefined;
  for (;;) {
    let query = trx.selectFrom('signal_keys').select(['session_id', 'type', 'key_id', 'value']);
    if (after) {
      const [s, t, k] = after;
      query = query.where((eb) => eb(eb.refTuple('session_id', 'type', 'key_id'), '>', eb.tuple(s, t, k)));
    }
    const rows = await query.orderBy('session_id').orderBy('type').orderBy('key_id').limit(BATCH).execute();
    for (const r of rows) {
      const value = rekey(r.value, aad.key(r.session_id, r.type, r.key_id), `${r.type} key "${r.key_id}" of session "${r.session_id}"`);
      await trx
        .updateTable('signal_keys')
        .set({ value })
        .where('session_id', '=', r.session_id)
        .where('type', '=', r.type)
        .where('key_id', '=', r.key_id)
        .execute();
    }
    count += rows.length;
    if (rows.length < BATCH) return count;
    const last = rows[rows.length - 1]!;
    after = [last.session_id, last.type, last.key_id];
  }
}

async function rekeyMessages(trx: Trx, rekey: Rekey): Promise<number> {
  let count = 0;
  let after: [string, string] | undefined;
  for (;;) {
    let query = trx.selectFrom('messages').select(['session_id', 'id', 'body', 'payload']);
    if (after) {
      const [s, i] = after;
      query = query.where((eb) => eb(eb.refTuple('session_id', 'id'), '>', eb.tuple(s, i)));
    }
    const rows = await query.orderBy('session_id').orderBy('id').limit(BATCH).execute();
    for (const r of rows) {
      const context = aad.message(r.session_id, r.id);
      const what = `message "${r.id}" of session "${r.session_id}"`;
      await trx
        .updateTable('messages')
        .set({ body: rekey(r.body, context, what), payload: r.payload === null ? null : rekey(r.payload, context, what) })
        .where('session_id', '=', r.session_id)
        .where('id', '=', r.id)
        .execute();
    }
    count += rows.length;
    if (rows.length < BATCH) return count;
    const last = rows[rows.length - 1]!;
    after = [last.session_id, last.id];
  }
}

async function rekeyWebhooks(trx: Trx, rekey: Rekey): Promise<number> {
  const rows = await trx.selectFrom('webhooks').select(['id', 'secret', 'previous_secret']).execute();
  for (const r of rows) {
    await trx
      .updateTable('webhooks')
      .set({
        secret: rekey(r.secret, aad.webhookSecret(r.id, 'current'), `secret of webhook "${r.id}"`),
        previous_secret:
          r.previous_secret === null ? null : rekey(r.previous_secret, aad.webhookSecret(r.id, 'previous'), `previous secret of webhook "${r.id}"`),
      })
      .where('id', '=', r.id)
      .execute();
  }
  return rows.length;
}

export async function rotateMasterKey(input: RotationInput): Promise<RotationResult> {
  if (input.currentKey.equals(input.newKey)) {
    throw new StoreError('INVALID_MASTER_KEY', 'The new master key is the current one: choose another (openssl rand -hex 32). Nothing was changed.');
  }
  const current = new Cipher(input.currentKey);
  const next = new Cipher(input.newKey);
  const rekey: Rekey = (blob, context, what) => next.encrypt(current.decrypt(blob, context, what), context);
  const store = openExclusive(input.url);
  try {
    const counts = await store.db.transaction().execute(async (trx) => {
      await assertNoGatewayConnected(trx, store.dialect);
      await checkCurrentKey(trx, current);
      const settings = await rekeySettings(trx, rekey);
      const pinnedSecrets = await pinSecrets(trx, input.pinPurposes, current, next);
      return {
        settings,
        pinnedSecrets,
        credentials: await rekeyCredentials(trx, rekey),
        signalKeys: await rekeySignalKeys(trx, rekey),
        messages: await rekeyMessages(trx, rekey),
        webhooks: await rekeyWebhooks(trx, rekey),
      };
    });
    // Old ciphertexts must not linger in free pages or the WAL, readable with the retired key.
    if (store.dialect === 'sqlite') {
      await sql`vacuum`.execute(store.db);
      await sql`pragma wal_checkpoint(truncate)`.execute(store.db);
    }
    return { dialect: store.dialect, counts };
  } finally {
    current.close();
    next.close();
    await store.close();
  }
}

/** Whether `key` opens the data at `url` (read only; the database must not be in use). */
export async function masterKeyOpens(url: string, key: Buffer): Promise<boolean> {
  const cipher = new Cipher(key);
  const store = openExclusive(url);
  try {
    await store.db.transaction().execute((trx) => checkCurrentKey(trx, cipher));
    return true;
  } catch (err) {
    if (err instanceof StoreError && err.code === 'MASTER_KEY_MISMATCH') return false;
    throw err;
  } finally {
    cipher.close();
    await store.close();
  }
}
