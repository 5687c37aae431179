/**
 * `wagate rotate-master-key`: re-encrypts the whole store under a new master
 * key (store/rotateMasterKey.ts: one transaction). It is an offline
 * operation: it refuses (exit 6) while a gateway uses the database, because
 * a running gateway would go on writing with the old key.
 *
 * Where the key lives decides the last step. WAGATE_MASTER_KEY: the operator
 * sets the new key there (printed when generated here). master.key: the new
 * key is written beside it (master.key.new) before the data changes and
 * renamed over it after the commit; if the machine stops in between, running
 * the command again finds the data under master.key.new and completes it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DASHBOARD_CSRF_PURPOSE, DASHBOARD_OTP_PURPOSE } from '../../api/dashboard/secretPurposes.js';
import { TOKEN_SIGNING_PURPOSE } from '../../api/gomulti/deviceTokens.js';
import { API_KEY_HASH_PURPOSE } from '../../core/apiKeys.js';
import { isStoreError, parseMasterKey } from '../../store/index.js';
import { masterKeyPath, readMasterKeyFile } from '../../store/masterKey.js';
import { masterKeyOpens, rotateMasterKey, type RotationCounts } from '../../store/rotateMasterKey.js';
import { say } from '../context.js';
import { CliError, EXIT } from '../exitCodes.js';
import { storeConfig } from '../storeConfig.js';

/** Secrets derived from the master key that clients hold the fruits of: API-key hashes, gomulti tokens. */
export const PINNED_PURPOSES = [API_KEY_HASH_PURPOSE, TOKEN_SIGNING_PURPOSE, DASHBOARD_CSRF_PURPOSE, DASHBOARD_OTP_PURPOSE] as const;

function parsedKey(text: string, where: string): Buffer {
  const key = parseMasterKey(text);
  if (!key) throw new CliError(`${where} is not a 32-byte key: write it as 64 hex characters or base64 (openssl rand -hex 32).`, EXIT.USAGE);
  return key;
}

function newKeyFrom(opts: { newKeyFile?: string }): { key: Buffer; generated: boolean } {
  if (opts.newKeyFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(opts.newKeyFile, 'utf8');
    } catch (err) {
      throw new CliError(`Cannot read --new-key-file ${opts.newKeyFile}: ${(err as Error).message}`, EXIT.USAGE);
    }
    return { key: parsedKey(text, `--new-key-file ${opts.newKeyFile}`), generated: false };
  }
  const fromEnv = process.env.WAGATE_NEW_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { key: parsedKey(fromEnv, 'WAGATE_NEW_MASTER_KEY'), generated: false };
  return { key: randomBytes(32), generated: true };
}

function writePrivateFile(file: string, text: string): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, 0o600);
}

/** Renames master.key.new over master.key and makes the rename durable. */
function promoteKeyFile(pending: string, file: string): void {
  fs.renameSync(pending, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

function report(counts: RotationCounts): void {
  say(
    `Re-encrypted ${counts.credentials} credential set(s), ${counts.signalKeys} Signal key(s), ${counts.messages} message(s), ` +
      `${counts.webhooks} webhook secret(s) and ${counts.settings} secret setting(s); ` +
      `${counts.pinnedSecrets} derived secret(s) kept so API keys and tokens stay valid.`,
  );
}

/** A store refusal as the command line reports it: its message, exit 6 when a gateway holds the store. */
function storeRefusal(err: unknown): unknown {
  if (!isStoreError(err)) return err;
  return new CliError(err.message, err.code === 'STORE_IN_USE' ? EXIT.STORE_IN_USE : EXIT.FAILED);
}

export async function rotate(opts: { newKeyFile?: string; sandbox?: boolean }): Promise<void> {
  try {
    await rotateKey(opts);
  } catch (err) {
    throw storeRefusal(err);
  }
}

async function rotateKey(opts: { newKeyFile?: string; sandbox?: boolean }): Promise<void> {
  const store = storeConfig(opts);
  const keyFile = masterKeyPath(store.dataDir);
  const pending = `${keyFile}.new`;
  const fromEnv = store.masterKey !== undefined && store.masterKey !== '';
  const currentKey = fromEnv ? parsedKey(store.masterKey!, 'WAGATE_MASTER_KEY') : readMasterKeyFile(store.dataDir);
  if (!currentKey) {
    throw new CliError(`No master key: WAGATE_MASTER_KEY is not set and ${keyFile} does not exist. Set the key the data was encrypted with.`, EXIT.USAGE);
  }

  // A rotation that stopped between its commit and the key file's rename: finish the rename.
  if (!fromEnv && fs.existsSync(pending)) {
    const pendingKey = parsedKey(fs.readFileSync(pending, 'utf8'), pending);
    if (!(await masterKeyOpens(store.databaseUrl, currentKey)) && (await masterKeyOpens(store.databaseUrl, pendingKey))) {
      promoteKeyFile(pending, keyFile);
      say(`Completed an interrupted rotation: the data was already under the key in ${pending}, now ${keyFile}.`);
      return;
    }
  }

  const { key: newKey, generated } = newKeyFrom(opts);
  if (!fromEnv) writePrivateFile(pending, `${newKey.toString('hex')}\n`);
  let counts: RotationCounts;
  try {
    ({ counts } = await rotateMasterKey({ url: store.databaseUrl, currentKey, newKey, pinPurposes: PINNED_PURPOSES }));
  } catch (err) {
    if (!fromEnv) fs.rmSync(pending, { force: true });
    throw err;
  }
  report(counts);
  if (!fromEnv) {
    promoteKeyFile(pending, keyFile);
    say(`${keyFile} now holds the new key. Back it up: backups made before now need the old key.`);
    return;
  }
  if (generated) {
    say('The new master key (shown once; the old one no longer opens the data):');
    say(`  ${newKey.toString('hex')}`);
  }
  say('Set WAGATE_MASTER_KEY to the new key before you start the gateway again. Backups made before now need the old key.');
}
