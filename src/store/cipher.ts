/**
 * Encryption at rest: AES-256-GCM with a data key derived (HKDF-SHA256)
 * from the master key. Each value is one self-describing blob:
 *
 *   version (1 byte) ‖ IV (12 bytes, random) ‖ tag (16 bytes) ‖ ciphertext
 *
 * The additional authenticated data names the row a value belongs to, so a
 * value copied into another row (or another session) fails to decrypt.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { StoreError } from './errors.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const HKDF_SALT = Buffer.from('wagate-store-v1', 'utf8');
// Not reachable through deriveSecret ('wagate/' + purpose), so no caller can obtain the data key.
const DATA_KEY_INFO = 'wagate-store/data-key/v1';

// IVs are drawn from a small pre-filled random buffer: one randomBytes call per 256 values
// instead of one per value (restore encrypts thousands of keys). Each IV is used once.
const IV_POOL_SIZE = IV_BYTES * 256;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_SIZE);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

function hkdf(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, Buffer.from(info, 'utf8'), 32));
}

/** AAD for each kind of encrypted row; JSON keeps the parts unambiguous whatever characters they hold. */
export const aad = {
  creds: (sessionId: string): string => JSON.stringify(['creds', sessionId]),
  key: (sessionId: string, type: string, id: string): string => JSON.stringify(['key', sessionId, type, id]),
  setting: (key: string): string => JSON.stringify(['setting', key]),
  message: (sessionId: string, messageId: string): string => JSON.stringify(['message', sessionId, messageId]),
  webhookSecret: (webhookId: string, which: 'current' | 'previous'): string => JSON.stringify(['setting', `webhook/${webhookId}/${which}`]),
};

export class Cipher {
  readonly #dataKey: Buffer;
  readonly #masterKey: Buffer;
  #closed = false;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new RangeError('The master key must be 32 bytes');
    this.#masterKey = Buffer.from(masterKey);
    this.#dataKey = hkdf(this.#masterKey, DATA_KEY_INFO);
  }

  encrypt(plain: string, context: string): Buffer {
    this.#assertOpen();
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#dataKey, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  /** `what` names the value in the error (e.g. 'credentials of session "a"'); it never includes secrets. */
  decrypt(blob: Uint8Array, context: string, what: string, details?: Record<string, unknown>): string {
    this.#assertOpen();
    const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob);
    if (buf.length < HEADER_BYTES || buf[0] !== VERSION) {
      throw new StoreError('DECRYPT_FAILED', `The stored ${what} is damaged or not in a known format`, details);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#dataKey, buf.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(buf.subarray(1 + IV_BYTES, HEADER_BYTES));
      return Buffer.concat([decipher.update(buf.subarray(HEADER_BYTES)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new StoreError(
        'DECRYPT_FAILED',
        `The stored ${what} could not be decrypted: it was modified, moved from another row, or encrypted with another master key`,
        details,
        { cause: err },
      );
    }
  }

  /** A stable 32-byte secret for one purpose; a fresh copy each call so callers cannot alter a shared buffer. */
  deriveSecret(purpose: string): Buffer {
    this.#assertOpen();
    if (typeof purpose !== 'string' || purpose.length === 0) {
      throw new TypeError('deriveSecret needs a non-empty purpose');
    }
    return hkdf(this.#masterKey, `wagate/${purpose}`);
  }

  /** Forget the keys (best effort: the buffers are zeroed). */
  close(): void {
    this.#closed = true;
    this.#dataKey.fill(0);
    this.#masterKey.fill(0);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('CLOSED', 'The store is closed');
  }
}
