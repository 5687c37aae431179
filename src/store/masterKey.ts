/**
 * The master key: from WAGATE_MASTER_KEY (StoreOptions.masterKey), else the
 * file `<dataDir>/master.key`, generated with mode 0600 on first start.
 * Deciding whether a missing file may be generated is the caller's job
 * (never over existing encrypted data); this module only reads and writes it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';

export const MASTER_KEY_FILE = 'master.key';

const HEX_64 = /^[0-9a-fA-F]{64}$/;
// 32 bytes in base64 (standard or URL-safe alphabet) are 43 characters plus optional padding.
const BASE64_32 = /^[A-Za-z0-9+/_-]{43}=?$/;

/** Parses 64 hex characters or base64 of 32 bytes; undefined for anything else. */
export function parseMasterKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (HEX_64.test(value)) return Buffer.from(value, 'hex');
  if (BASE64_32.test(value)) {
    const buf = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length === 32) return buf;
  }
  return undefined;
}

export function masterKeyFromOption(value: string): Buffer {
  const key = parseMasterKey(value);
  if (!key) {
    throw new StoreError(
      'INVALID_MASTER_KEY',
      'WAGATE_MASTER_KEY must be a 32-byte key written as 64 hex characters or as base64 ' +
        '(generate one with: openssl rand -hex 32)',
    );
  }
  return key;
}

export function masterKeyPath(dataDir: string): string {
  return path.join(dataDir, MASTER_KEY_FILE);
}

/** Reads `<dataDir>/master.key`; undefined when the file does not exist. */
export function readMasterKeyFile(dataDir: string, logger?: Logger): Buffer | undefined {
  const file = masterKeyPath(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = parseMasterKey(text);
  if (!key) {
    throw new StoreError(
      'INVALID_MASTER_KEY',
      `${file} does not hold a 32-byte key (64 hex characters or base64): restore the original file or set WAGATE_MASTER_KEY`,
      { path: file },
    );
  }
  if (process.platform !== 'win32') {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      fs.chmodSync(file, 0o600);
      logger?.warn({ path: file, was: mode.toString(8) }, 'master key file was readable by other users; restricted it to 0600 (chmod 600)');
    }
  }
  return key;
}

/** Creates `<dataDir>/master.key` (0600) with a fresh random key; an existing file is never overwritten. */
export function createMasterKeyFile(dataDir: string, logger?: Logger): Buffer {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = masterKeyPath(dataDir);
  const key = randomBytes(32);
  try {
    fs.writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = readMasterKeyFile(dataDir, logger);
      if (existing) return existing;
    }
    throw err;
  }
  logger?.info({ path: file }, 'generated a new master key file; back it up: without it the stored credentials cannot be read');
  return key;
}
