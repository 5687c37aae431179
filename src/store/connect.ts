/**
 * Opens the Kysely database for a store URL: `sqlite:<path>` (better-sqlite3,
 * WAL, busy timeout, foreign keys on) or `postgres://…` (pg pool).
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import { DIR_MODE, FILE_MODE, restrictFile } from './fileModes.js';
import { withStatementCache } from './statementCache.js';
import type { Database, StoreDialect } from './schema.js';

export interface Connection {
  db: Kysely<Database>;
  dialect: StoreDialect;
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;
const PG_POOL_SIZE = 10;
/**
 * PostgreSQL advisory lock a gateway holds (shared) on every connection, one per schema: an
 * offline operation (rotate-master-key) takes it exclusively to prove no gateway uses the data.
 */
export const GATEWAY_LOCK_KEY_SQL = "hashtext('wagate:' || current_schema())";

/** The SQLite file path of a `sqlite:` URL, or undefined for other URLs. */
export function sqlitePath(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  let file = url.slice('sqlite:'.length);
  if (file.startsWith('//')) file = file.slice(2); // tolerate sqlite://path
  if (file === '') throw new StoreError('UNSUPPORTED_DATABASE_URL', 'DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/wagate.db');
  return file === ':memory:' ? file : path.resolve(file);
}

/**
 * The database file exists 0600 before SQLite opens it: SQLite gives the
 * -wal and -shm files it creates the database file's mode. Files an older
 * version left readable are tightened too.
 */
function createPrivateFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: DIR_MODE });
  fs.closeSync(fs.openSync(file, 'a', FILE_MODE));
  for (const suffix of ['', '-wal', '-shm', '-journal']) restrictFile(`${file}${suffix}`);
}

export function connect(url: string, logger?: Logger, opts: { holdGatewayLock?: boolean } = {}): Connection {
  const file = sqlitePath(url);
  if (file !== undefined) {
    if (file !== ':memory:') createPrivateFile(file);
    const database = new BetterSqlite3(file);
    try {
      database.pragma('journal_mode = WAL');
      // WAL + NORMAL stays atomic and consistent; only the last commits may be lost on power failure.
      database.pragma('synchronous = NORMAL');
      database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      database.pragma('foreign_keys = ON');
    } catch (err) {
      database.close();
      throw err;
    }
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }), dialect: 'sqlite' };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // Idle connections stay open: each holds the gateway lock below, so a running gateway always holds it.
    const pool = new pg.Pool({ connectionString: url, max: PG_POOL_SIZE, idleTimeoutMillis: 0 });
    if (opts.holdGatewayLock !== false) {
      // Queued before any other query on the new connection; held until the connection ends.
      pool.on('connect', (client) => {
        client.query(`select pg_advisory_lock_shared(${GATEWAY_LOCK_KEY_SQL})`).catch((err: unknown) => {
          logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not take the gateway lock on a PostgreSQL connection');
        });
      });
    }
    // An idle client losing its server emits 'error' on the pool; unhandled, that would crash the process.
    pool.on('error', (err) => logger?.error({ err: err.message }, 'idle PostgreSQL connection failed'));
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  throw new StoreError(
    'UNSUPPORTED_DATABASE_URL',
    'DATABASE_URL must start with sqlite: (e.g. sqlite:./data/wagate.db) or postgres://',
  );
}
