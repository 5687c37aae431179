/** Key/value settings; values marked secret are encrypted and bound to their key. */
import type { Kysely } from 'kysely';
import { aad, type Cipher } from './cipher.js';
import type { Database } from './schema.js';
import type { SettingsRepo } from './types.js';

export function createSettingsRepo(db: Kysely<Database>, cipher: Cipher): SettingsRepo {
  return {
    async get(key: string): Promise<string | undefined> {
      const row = await db.selectFrom('settings').select(['value', 'secret']).where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      const value = Buffer.from(row.value);
      if (Number(row.secret) !== 1) return value.toString('utf8');
      return cipher.decrypt(value, aad.setting(key), `setting "${key}"`, { key });
    },

    async set(key: string, value: string, opts: { secret?: boolean } = {}): Promise<void> {
      if (typeof value !== 'string') throw new TypeError(`setting "${key}" needs a string value`);
      const secret = opts.secret === true;
      const stored = secret ? cipher.encrypt(value, aad.setting(key)) : Buffer.from(value, 'utf8');
      const row = { value: stored, secret: secret ? 1 : 0, updated_at: new Date().toISOString() };
      await db
        .insertInto('settings')
        .values({ key, ...row })
        .onConflict((oc) => oc.column('key').doUpdateSet(row))
        .execute();
    },

    async delete(key: string): Promise<void> {
      await db.deleteFrom('settings').where('key', '=', key).execute();
    },
  };
}
