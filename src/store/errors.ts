/**
 * Store failures that are not a client's fault. They carry a stable code so
 * the start-up path can print a clear message and callers can tell a
 * tampered row from a wrong key.
 */
export type StoreErrorCode =
  | 'INVALID_MASTER_KEY' // WAGATE_MASTER_KEY or master.key is not 32 bytes of hex/base64
  | 'MASTER_KEY_MISMATCH' // the key does not decrypt the data already stored
  | 'MASTER_KEY_MISSING' // encrypted data exists but no key was given and master.key is gone
  | 'DECRYPT_FAILED' // one stored value failed authentication (tampered or moved)
  | 'UNSUPPORTED_DATABASE_URL'
  | 'DUPLICATE' // a row with this key exists already (e.g. a session id)
  | 'NETWORK_MISMATCH' // data written for the sandbox opened for WhatsApp, or the reverse
  | 'STORE_IN_USE' // an offline operation found a running gateway holding the database
  | 'DATABASE_MISSING' // an offline operation found no database to work on
  | 'FENCED' // a write by a node that no longer owns the session (its epoch is stale)
  | 'CLOSED';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: StoreErrorCode, message: string, details?: Record<string, unknown>, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'StoreError';
    this.code = code;
    this.details = details;
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
