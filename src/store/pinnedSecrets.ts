/**
 * Derived secrets that must outlive a master-key rotation. API keys are
 * stored as HMACs keyed with a secret derived from the master key, and
 * gomulti tokens are signed with another; a new master key would derive new
 * secrets and silently void every key and token. So a rotation pins each
 * such secret as it was: an encrypted setting (under the new key) that
 * deriveSecret prefers over a fresh derivation.
 */
import type { Kysely } from 'kysely';
import { aad, type Cipher } from './cipher.js';
import type { Database } from './schema.js';

export const PINNED_SECRET_PREFIX = 'wagate.store.pinned-secret/';

export const pinnedSecretKey = (purpose: string): string => `${PINNED_SECRET_PREFIX}${purpose}`;

/** purpose → secret, for every pinned secret in the store. */
export async function readPinnedSecrets(db: Kysely<Database>, cipher: Cipher): Promise<Map<string, Buffer>> {
  const rows = await db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'like', `${PINNED_SECRET_PREFIX}%`)
    .where('secret', '=', 1)
    .execute();
  const pinned = new Map<string, Buffer>();
  for (const row of rows) {
    const hex = cipher.decrypt(Buffer.from(row.value), aad.setting(row.key), `setting "${row.key}"`, { key: row.key });
    pinned.set(row.key.slice(PINNED_SECRET_PREFIX.length), Buffer.from(hex, 'hex'));
  }
  return pinned;
}

/** deriveSecret over a cipher and the pinned secrets: a fresh copy each call. */
export function secretDeriver(cipher: Cipher, pinned: ReadonlyMap<string, Buffer>): (purpose: string) => Buffer {
  return (purpose) => {
    const kept = pinned.get(purpose);
    return kept ? Buffer.from(kept) : cipher.deriveSecret(purpose);
  };
}
