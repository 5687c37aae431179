/**
 * The database for an offline operation (rotate-master-key), with proof
 * that no gateway is using it. SQLite: the file is locked exclusively for
 * as long as the connection is open (a gateway holds a shared lock while it
 * runs, so a running one is found at once, and one that starts meanwhile
 * waits and fails). PostgreSQL: every gateway connection holds a shared
 * advisory lock for its schema (connect.ts); the caller takes it exclusively
 * inside its transaction with `assertNoGatewayConnected`, which fails while a
 * gateway runs and makes one that starts meanwhile wait for the commit.
 */
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type Transaction } from 'kysely';
import { connect, GATEWAY_LOCK_KEY_SQL, sqlitePath } from './connect.js';
import { StoreError } from './errors.js';
import type { Database, StoreDialect } from './schema.js';

export interface ExclusiveDatabase {
  db: Kysely<Database>;
  dialect: StoreDialect;
  close(): Promise<void>;
}

const IN_USE_HINT = 'Stop the gateway (every node sharing this database) first, then run this again. Nothing was changed.';

function openSqliteExclusive(file: string): ExclusiveDatabase {
  if (file === ':memory:' || !fs.existsSync(file)) {
    throw new StoreError('DATABASE_MISSING', `There is no database at ${file}: check DATA_DIR or DATABASE_URL.`);
  }
  const database = new BetterSqlite3(file, { fileMustExist: true });
  try {
    // A running gateway holds its lock for good; waiting would not help.
    database.pragma('busy_timeout = 0');
    // In exclusive locking mode the lock taken by the first write is kept until close.
    database.pragma('locking_mode = EXCLUSIVE');
    database.exec('BEGIN EXCLUSIVE');
    database.exec('COMMIT');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new StoreError('STORE_IN_USE', `A running gateway has ${file} open. ${IN_USE_HINT}`, undefined, { cause: err });
    }
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

export function openExclusive(url: string): ExclusiveDatabase {
  const file = sqlitePath(url);
  if (file !== undefined) return openSqliteExclusive(file);
  const { db, dialect } = connect(url, undefined, { holdGatewayLock: false });
  return { db, dialect, close: () => db.destroy() };
}

/** PostgreSQL only (SQLite is already exclusive): refuses while a gateway holds its lock; holds it until the transaction ends. */
export async function assertNoGatewayConnected(trx: Transaction<Database>, dialect: StoreDialect): Promise<void> {
  if (dialect !== 'postgres') return;
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${sql.raw(GATEWAY_LOCK_KEY_SQL)}) as locked`.execute(trx);
  if (rows[0]?.locked !== true) {
    throw new StoreError('STORE_IN_USE', `A running gateway is connected to this PostgreSQL database. ${IN_USE_HINT}`);
  }
}
