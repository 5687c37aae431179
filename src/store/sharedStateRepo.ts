/**
 * Short-lived state every node must see alike (dashboard sign-ins, one-time
 * codes and attempt counts, GOWA's QR images, the wrong-key throttle): keyed
 * rows with an expiry, a counter and a value. Every check-and-change is one
 * statement (an upsert or a delete with its condition), so two nodes racing
 * for one code or one counter each see the other's write. Times are the
 * caller's epoch ms (tests drive them with a clock), so sweeps run only
 * from calls that pass `now`. Secret values are
 * encrypted and bound to their key; callers put a hash, not a bearer token,
 * in the key. Expired rows are deleted now and then on a write.
 */
import { sql, type Kysely } from 'kysely';
import { aad, type Cipher } from './cipher.js';
import { isStoreError } from './errors.js';
import type { Database } from './schema.js';
import type { SharedStateEntry, SharedStateRepo, SharedStatePut } from './types.js';

/** At most one expiry sweep per this long (per process). */
const PURGE_EVERY_MS = 60_000;

const context = (key: string): string => aad.setting(`shared/${key}`);

export function createSharedStateRepo(db: Kysely<Database>, cipher: Cipher): SharedStateRepo {
  let lastPurge = 0;

  const encode = (key: string, value: string, secret: boolean): Buffer => (secret ? cipher.encrypt(value, context(key)) : Buffer.from(value, 'utf8'));

  const purgeNow = async (now: number): Promise<number> => {
    lastPurge = now;
    const result = await db.deleteFrom('shared_state').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  };
  // A failed sweep only leaves dead rows for the next one.
  const maybePurge = async (now: number): Promise<void> => {
    if (now - lastPurge < PURGE_EVERY_MS) return;
    await purgeNow(now).catch(() => undefined);
  };

  const row = (key: string, entry: SharedStatePut, secret: boolean) => ({
    key,
    value: encode(key, entry.value ?? '', secret),
    secret: secret ? 1 : 0,
    n: entry.n ?? 0,
    expires_at: entry.expiresAt,
  });

  return {
    async get(key, now) {
      const r = await db.selectFrom('shared_state').selectAll().where('key', '=', key).where('expires_at', '>', now).executeTakeFirst();
      if (!r) return undefined;
      let value: string;
      try {
        value = Number(r.secret) === 1 ? cipher.decrypt(Buffer.from(r.value), context(key), 'shared state') : Buffer.from(r.value).toString('utf8');
      } catch (err) {
        // Written under a master key rotated away since: short-lived, so as good as gone.
        if (isStoreError(err) && err.code === 'DECRYPT_FAILED') return undefined;
        throw err;
      }
      return { value, n: Number(r.n), expiresAt: Number(r.expires_at) } satisfies SharedStateEntry;
    },

    async put(key, entry, opts = {}) {
      const values = row(key, entry, opts.secret === true);
      const { key: _key, ...set } = values;
      await db.insertInto('shared_state').values(values).onConflict((oc) => oc.column('key').doUpdateSet(set)).execute();
    },

    async putIfAbsent(key, entry, now, opts = {}) {
      const values = row(key, entry, opts.secret === true);
      const { key: _key, ...set } = values;
      const taken = await db
        .insertInto('shared_state')
        .values(values)
        .onConflict((oc) => oc.column('key').doUpdateSet(set).where('shared_state.expires_at', '<=', now))
        .returning('key')
        .executeTakeFirst();
      await maybePurge(now);
      return taken !== undefined;
    },

    async take(key, now, value) {
      let query = db.deleteFrom('shared_state').where('key', '=', key).where('expires_at', '>', now);
      if (value !== undefined) query = query.where('secret', '=', 0).where('value', '=', Buffer.from(value, 'utf8'));
      return (await query.returning('key').executeTakeFirst()) !== undefined;
    },

    async delete(key) {
      await db.deleteFrom('shared_state').where('key', '=', key).execute();
    },

    async increment(key, expiresAt, now) {
      const r = await db
        .insertInto('shared_state')
        .values({ key, value: Buffer.alloc(0), secret: 0, n: 1, expires_at: expiresAt })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            n: sql<number>`CASE WHEN shared_state.expires_at <= ${now} THEN 1 ELSE shared_state.n + 1 END`,
            expires_at: sql<number>`CASE WHEN shared_state.expires_at <= ${now} THEN excluded.expires_at ELSE shared_state.expires_at END`,
          }),
        )
        .returning(['n', 'expires_at'])
        .executeTakeFirstOrThrow();
      await maybePurge(now);
      return { n: Number(r.n), expiresAt: Number(r.expires_at) };
    },

    async raise(key, n, expiresAt, now) {
      const raised = await db
        .insertInto('shared_state')
        .values({ key, value: Buffer.alloc(0), secret: 0, n, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet({ n, expires_at: expiresAt })
            .where((eb) => eb.or([eb('shared_state.n', '<', n), eb('shared_state.expires_at', '<=', now)])),
        )
        .returning('key')
        .executeTakeFirst();
      return raised !== undefined;
    },

    purgeExpired: purgeNow,
  };
}
