/**
 * Reuses prepared SQLite statements by their SQL text.
 *
 * Why: Kysely's SQLite driver calls `prepare` for every query, and compiling
 * SQL was ~3 % of the gateway's CPU while 100 sessions connected at once.
 * Queries come from a fixed set of builders, so a small bounded cache holds
 * all of them. Safe because better-sqlite3 runs `all`/`run` to completion
 * synchronously (we never stream with `iterate`), and SQLite re-prepares a
 * statement itself after a schema change.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export const STATEMENT_CACHE_SIZE = 256;

export function withStatementCache(database: SqliteDatabase, maxStatements = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql) => {
      const hit = cache.get(sql);
      if (hit) {
        // Refresh recency (Map keeps insertion order).
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > maxStatements) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}
