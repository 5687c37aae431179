/**
 * Test targets for the store: a temp-dir SQLite file, or a fresh schema in
 * the local PostgreSQL `test` database (dropped afterwards) so parallel runs
 * never see each other's tables.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { SessionRow, Store, StoreOptions } from '../../src/store/types.js';
import { freshSessionRow } from '../../src/core/sessions/sessionRow.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Both stores by default: a missing PostgreSQL fails its tests with a message
 * saying what to start. WAGATE_TEST_SKIP_POSTGRES=1 runs SQLite only, said out loud.
 */
function dialects(): Dialect[] {
  if (process.env.WAGATE_TEST_SKIP_POSTGRES !== '1') return ['sqlite', 'postgres'];
  console.warn('Skipping the PostgreSQL store tests: WAGATE_TEST_SKIP_POSTGRES=1 (SQLite only).');
  return ['sqlite'];
}
export const DIALECTS: Dialect[] = dialects();

export interface Target {
  dialect: Dialect;
  dataDir: string;
  url: string;
  /** SQLite only: the database file. */
  sqliteFile: string | undefined;
  options(extra?: Partial<StoreOptions>): StoreOptions;
  /** Runs SQL directly against the target's database, outside the store. Parameters are written `?` for both dialects. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  cleanup(): Promise<void>;
}

const PG_USERS = ['postgres', 'root'];
let pgBaseUrl: string | undefined;

async function findPgBaseUrl(): Promise<string> {
  if (pgBaseUrl) return pgBaseUrl;
  let lastError: unknown;
  for (const user of PG_USERS) {
    const url = `postgres://${user}@127.0.0.1:5432/test`;
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      pgBaseUrl = url;
      return url;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(
    `PostgreSQL at 127.0.0.1:5432 is not reachable as ${PG_USERS.join(' or ')} (database \`test\`, trust auth): ` +
      'start one (README, "Tests"), or set WAGATE_TEST_SKIP_POSTGRES=1 to run the store tests on SQLite only',
    { cause: lastError },
  );
}

export async function createTarget(dialect: Dialect): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-store-'));
  if (dialect === 'sqlite') {
    const file = path.join(dataDir, 'db', 'wagate.db');
    return {
      dialect,
      dataDir,
      url: `sqlite:${file}`,
      sqliteFile: file,
      options: (extra) => ({ url: `sqlite:${file}`, dataDir, ...extra }),
      async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
        const db = new BetterSqlite3(file);
        try {
          const stmt = db.prepare(sql);
          return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
        } finally {
          db.close();
        }
      },
      async cleanup() {
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }

  const base = await findPgBaseUrl();
  const schema = `wagate_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    dialect,
    dataDir,
    url,
    sqliteFile: undefined,
    options: (extra) => ({ url, dataDir, ...extra }),
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[];
    },
    async cleanup() {
      await client.end().catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A SessionRow with defaults, for tests. */
export function sessionRow(id: string, over: Partial<SessionRow> = {}): SessionRow {
  return { ...freshSessionRow(id, { displayName: null, deviceBrowser: 'Chrome' }), ...over };
}

/** A fresh store on `dialect` for each test of the calling suite (its hooks open and drop it). */
export function storeForEachTest(dialect: Dialect): { readonly store: Store; readonly target: Target } {
  const opened = {} as { store: Store; target: Target };
  beforeEach(async () => {
    opened.target = await createTarget(dialect);
    opened.store = await openStore(opened.target.options());
  });
  afterEach(async () => {
    await opened.store?.close();
    await opened.target?.cleanup();
  });
  return opened;
}
