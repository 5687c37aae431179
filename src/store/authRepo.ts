/**
 * Per-session credentials and Signal keys, encrypted with the store's
 * cipher. Reads are one query per chunk of ids; a writeKeys batch is one
 * transaction of a few multi-row statements; credential writes of many
 * sessions are committed together (credentialWrites.ts), and a session's
 * other calls wait for its credential writes submitted before them.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import { aad, type Cipher } from './cipher.js';
import { CredentialWrites } from './credentialWrites.js';
import { fenceCheck, type FenceCheck } from './fence.js';
import { prepareQuery, rowChunks } from './preparedQuery.js';
import type { Database, SignalKeysTable, StoreDialect } from './schema.js';
import type { AuthRepo, AuthStore, FenceSource, KeyWrite } from './types.js';

// Keeps every statement far below SQLite's and pg's bound-parameter limits.
const READ_CHUNK = 500;
const UPSERT_CHUNK = 200; // rows × 4 parameters
const DELETE_CHUNK = 500;

/** The Signal key statements of every message, built once per shape (preparedQuery.ts) for all sessions of a store. */
function keyQueries(db: Kysely<Database>) {
  return {
    select: prepareQuery((p: { sessionId: string; type: string; ids: string[] }) =>
      db
        .selectFrom('signal_keys')
        .select(['key_id', 'value'])
        .where('session_id', '=', p.sessionId)
        .where('type', '=', p.type)
        .where('key_id', 'in', p.ids),
    ),
    delete: prepareQuery((p: { sessionId: string; type: string; ids: string[] }) =>
      db.deleteFrom('signal_keys').where('session_id', '=', p.sessionId).where('type', '=', p.type).where('key_id', 'in', p.ids),
    ),
    upsert: prepareQuery((rows: Array<Insertable<SignalKeysTable>>) =>
      db
        .insertInto('signal_keys')
        .values(rows)
        .onConflict((oc) => oc.columns(['session_id', 'type', 'key_id']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') }))),
    ),
  };
}

function validateWrites(sessionId: string, writes: KeyWrite[]): void {
  if (!Array.isArray(writes)) throw new TypeError(`writeKeys for session "${sessionId}" needs an array`);
  for (const w of writes) {
    if (typeof w?.type !== 'string' || typeof w.id !== 'string' || (w.value !== null && typeof w.value !== 'string')) {
      throw new TypeError(
        `writeKeys for session "${sessionId}": every write needs a string type and id and a string or null value`,
      );
    }
  }
}

/** What every session's auth store of one store shares. */
interface AuthShared {
  db: Kysely<Database>;
  cipher: Cipher;
  dialect: StoreDialect;
  credsWrites: CredentialWrites;
  keys: ReturnType<typeof keyQueries>;
  assertFence: FenceCheck;
}

function createAuthStore(shared: AuthShared, sessionId: string, fence?: FenceSource): AuthStore {
  const { db, cipher, dialect, credsWrites, keys, assertFence } = shared;
  const credsWhat = `credentials of session "${sessionId}"`;
  /** Runs after this session's credential writes submitted so far: call order holds, as with one queue. */
  const afterCreds = <T>(op: () => Promise<T>): Promise<T> => {
    const waiting = credsWrites.settled(sessionId);
    return waiting ? waiting.then(op) : op();
  };
  // Cluster mode: a write lands only while this node still owns the session (checked in the write's transaction).
  const guarded = (write: (trx: Transaction<Database>) => Promise<void>): Promise<void> =>
    afterCreds(() =>
      db.transaction().execute(async (trx) => {
        const current = fence?.();
        if (current) await assertFence(trx, sessionId, current);
        await write(trx);
      }),
    );
  const writeCredsWith = async (json: string, what: string, dropKeys: boolean): Promise<void> => {
    if (typeof json !== 'string') throw new TypeError(`${what} for session "${sessionId}" needs a string`);
    const value = cipher.encrypt(json, aad.creds(sessionId));
    await credsWrites.submit({ sessionId, value, updatedAt: new Date().toISOString(), dropKeys, ...(fence ? { fence } : {}) });
  };
  return {
    sessionId,

    async readCreds(): Promise<string | null> {
      const row = await afterCreds(() =>
        db.selectFrom('credentials').select('value').where('session_id', '=', sessionId).executeTakeFirst(),
      );
      if (!row) return null;
      return cipher.decrypt(row.value, aad.creds(sessionId), credsWhat, { sessionId });
    },

    async writeCreds(json: string): Promise<void> {
      await writeCredsWith(json, 'writeCreds', false);
    },

    async replaceCreds(json: string): Promise<void> {
      await writeCredsWith(json, 'replaceCreds', true);
    },

    async readKeys(type: string, ids: string[]): Promise<Record<string, string>> {
      const waiting = credsWrites.settled(sessionId);
      if (waiting) await waiting;
      const out: Record<string, string> = {};
      const unique = [...new Set(ids)];
      for (const part of rowChunks(unique, READ_CHUNK, dialect)) {
        const rows = await keys.select.rows(db, { sessionId, type, ids: part });
        for (const r of rows) {
          out[r.key_id] = cipher.decrypt(
            r.value,
            aad.key(sessionId, type, r.key_id),
            `${type} key "${r.key_id}" of session "${sessionId}"`,
            { sessionId, type, id: r.key_id },
          );
        }
      }
      return out;
    },

    async writeKeys(writes: KeyWrite[]): Promise<void> {
      validateWrites(sessionId, writes);
      if (writes.length === 0) return;
      // The last write of a (type, id) wins; one statement must not touch a row twice (pg refuses).
      const last = new Map<string, KeyWrite>();
      for (const w of writes) last.set(JSON.stringify([w.type, w.id]), w);

      const upserts: { session_id: string; type: string; key_id: string; value: Buffer }[] = [];
      const deletesByType = new Map<string, string[]>();
      // A fixed row order keeps concurrent batches on PostgreSQL from deadlocking on each other's row locks.
      const ordered = [...last.values()].sort((a, b) =>
        a.type === b.type ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.type < b.type ? -1 : 1,
      );
      for (const w of ordered) {
        if (w.value === null) {
          const list = deletesByType.get(w.type) ?? [];
          list.push(w.id);
          deletesByType.set(w.type, list);
        } else {
          // Encrypt before the transaction opens so it stays short.
          upserts.push({
            session_id: sessionId,
            type: w.type,
            key_id: w.id,
            value: cipher.encrypt(w.value, aad.key(sessionId, w.type, w.id)),
          });
        }
      }

      await guarded(async (trx) => {
        for (const [type, ids] of deletesByType) {
          for (const part of rowChunks(ids, DELETE_CHUNK, dialect)) await keys.delete.run(trx, { sessionId, type, ids: part });
        }
        for (const part of rowChunks(upserts, UPSERT_CHUNK, dialect)) await keys.upsert.run(trx, part);
      });
    },

    async hasCreds(): Promise<boolean> {
      const row = await afterCreds(() =>
        db.selectFrom('credentials').select('session_id').where('session_id', '=', sessionId).executeTakeFirst(),
      );
      return row !== undefined;
    },

    async wipe(): Promise<void> {
      await guarded(async (trx) => {
        await trx.deleteFrom('signal_keys').where('session_id', '=', sessionId).execute();
        await trx.deleteFrom('credentials').where('session_id', '=', sessionId).execute();
      });
    },
  };
}

/** `flush`: resolves once no credential write is queued or running (before the store closes). */
export function createAuthRepo(db: Kysely<Database>, cipher: Cipher, dialect: StoreDialect = 'sqlite'): AuthRepo & { flush(): Promise<void> } {
  const credsWrites = new CredentialWrites(db, dialect);
  const shared: AuthShared = { db, cipher, dialect, credsWrites, keys: keyQueries(db), assertFence: fenceCheck(db, dialect) };
  return {
    forSession(sessionId: string, fence?: FenceSource): AuthStore {
      return createAuthStore(shared, sessionId, fence);
    },
    flush: () => credsWrites.flush(),
  };
}
