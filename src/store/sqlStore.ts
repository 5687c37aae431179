/**
 * openStore: connect, make sure the master key is the one the data was
 * encrypted with (before writing anything), migrate, and hand out the repos.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createApiKeyRepo } from './apiKeyRepo.js';
import { createAuthRepo } from './authRepo.js';
import { aad, Cipher } from './cipher.js';
import { connect } from './connect.js';
import { isStoreError, StoreError } from './errors.js';
import { createEventRepo } from './eventRepo.js';
import { createClusterRepo } from './clusterRepo.js';
import { listen } from './clusterListener.js';
import { createMasterKeyFile, masterKeyFromOption, masterKeyPath, readMasterKeyFile } from './masterKey.js';
import { migrateToLatest } from './migrations.js';
import { readPinnedSecrets, secretDeriver } from './pinnedSecrets.js';
import type { Database } from './schema.js';
import { createMessageRepo, messageColumns } from './messageRepo.js';
import { createPairingRequestRepo } from './pairingRequestRepo.js';
import { createSessionRepo } from './sessionRepo.js';
import { createSettingsRepo } from './settingsRepo.js';
import { createSharedStateRepo } from './sharedStateRepo.js';
import { createWebhookRepo } from './webhookRepo.js';
import { isMissingTable } from './sqlErrors.js';
import type { Store, StoreOptions } from './types.js';

/** Settings key of the encrypted value that proves the master key matches the data. */
export const KEY_CHECK_SETTING = 'wagate.store.key-check';
const KEY_CHECK_PLAIN = 'wagate-key-check/v1';

async function readKeyCheck(db: Kysely<Database>): Promise<Buffer | undefined> {
  try {
    const row = await db.selectFrom('settings').select('value').where('key', '=', KEY_CHECK_SETTING).executeTakeFirst();
    return row && Buffer.from(row.value);
  } catch (err) {
    if (isMissingTable(err)) return undefined;
    throw err;
  }
}

/** One encrypted credential, if any; used when the key check row is absent but data is not. */
async function readAnyCredential(db: Kysely<Database>): Promise<{ sessionId: string; value: Buffer } | undefined> {
  try {
    const row = await db.selectFrom('credentials').select(['session_id', 'value']).limit(1).executeTakeFirst();
    return row && { sessionId: row.session_id, value: Buffer.from(row.value) };
  } catch (err) {
    if (isMissingTable(err)) return undefined;
    throw err;
  }
}

function mismatchError(dataDir: string, cause?: unknown): StoreError {
  return new StoreError(
    'MASTER_KEY_MISMATCH',
    'The master key does not match the one this data was encrypted with: set WAGATE_MASTER_KEY to the original key ' +
      `or restore ${masterKeyPath(dataDir)}. Nothing was changed.`,
    undefined,
    { cause },
  );
}

/** Throws MASTER_KEY_MISMATCH unless the cipher decrypts what is already stored. */
function verifyKey(
  cipher: Cipher,
  dataDir: string,
  check: Buffer | undefined,
  credential: { sessionId: string; value: Buffer } | undefined,
): void {
  try {
    if (check) cipher.decrypt(check, aad.setting(KEY_CHECK_SETTING), 'master key check');
    else if (credential) cipher.decrypt(credential.value, aad.creds(credential.sessionId), 'credentials');
  } catch (err) {
    if (isStoreError(err) && err.code === 'DECRYPT_FAILED') throw mismatchError(dataDir, err);
    throw err;
  }
}

export async function openStore(opts: StoreOptions, logger?: Logger): Promise<Store> {
  const log = logger?.child({ component: 'store' });
  // A malformed WAGATE_MASTER_KEY fails before anything is opened.
  const optionKey = opts.masterKey ? masterKeyFromOption(opts.masterKey) : undefined;
  const { db, dialect } = connect(opts.url, log);
  let cipher: Cipher | undefined;
  try {
    const check = await readKeyCheck(db);
    const credential = check ? undefined : await readAnyCredential(db);
    const hasEncryptedData = check !== undefined || credential !== undefined;

    let masterKey = optionKey ?? readMasterKeyFile(opts.dataDir, log);
    if (!masterKey) {
      if (hasEncryptedData) {
        throw new StoreError(
          'MASTER_KEY_MISSING',
          `The database already holds encrypted credentials, but WAGATE_MASTER_KEY is not set and ${masterKeyPath(opts.dataDir)} ` +
            'does not exist: set WAGATE_MASTER_KEY to the original key or restore that file. Nothing was changed (no new key was generated).',
        );
      }
      masterKey = createMasterKeyFile(opts.dataDir, log);
    }
    cipher = new Cipher(masterKey);
    masterKey.fill(0);
    verifyKey(cipher, opts.dataDir, check, credential);

    const applied = await migrateToLatest(db, dialect);
    const settings = createSettingsRepo(db, cipher);
    if (!check) await settings.set(KEY_CHECK_SETTING, KEY_CHECK_PLAIN, { secret: true });
    const deriveSecret = secretDeriver(cipher, await readPinnedSecrets(db, cipher));
    log?.info({ dialect, migrationsApplied: applied }, 'store opened');

    const openCipher = cipher;
    const auth = createAuthRepo(db, openCipher, dialect);
    let closed = false;
    return {
      dialect,
      cluster:
        dialect === 'postgres'
          ? {
              ...createClusterRepo(db),
              listen: (channels, onNotify, onReconnect) => listen(opts.listenUrl ?? opts.url, channels, onNotify, onReconnect, log),
            }
          : undefined,
      sessions: createSessionRepo(db),
      auth,
      apiKeys: createApiKeyRepo(db),
      events: createEventRepo(db, undefined, dialect, messageColumns(openCipher)),
      settings,
      pairingRequests: createPairingRequestRepo(db),
      sharedState: createSharedStateRepo(db, openCipher),
      messages: createMessageRepo(db, openCipher),
      webhooks: createWebhookRepo(db, openCipher),
      deriveSecret,
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        // Credential writes already queued still land (each was promised a commit).
        await auth.flush();
        await db.destroy();
        openCipher.close();
      },
    };
  } catch (err) {
    cipher?.close();
    await db.destroy().catch(() => undefined);
    throw err;
  }
}
