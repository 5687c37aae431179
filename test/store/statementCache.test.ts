import BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/store/statementCache.js';

function counting(): { db: SqliteDatabase; prepared: string[] } {
  const real = new BetterSqlite3(':memory:');
  real.exec('create table t (k text primary key, v integer)');
  const prepared: string[] = [];
  return {
    prepared,
    db: {
      close: () => real.close(),
      prepare: (sql: string) => {
        prepared.push(sql);
        return real.prepare(sql);
      },
    },
  };
}

describe('SQLite statement cache', () => {
  it('prepares each SQL text once and gives the same results', () => {
    const { db, prepared } = counting();
    const cached = withStatementCache(db);
    const insert = 'insert into t (k, v) values (?, ?)';
    for (let i = 0; i < 5; i++) cached.prepare(insert).run([`k${i}`, i]);
    const rows = cached.prepare('select k, v from t order by v').all([]);
    expect(rows).toHaveLength(5);
    expect(cached.prepare('select k, v from t order by v').all([])).toEqual(rows);
    expect(prepared).toEqual([insert, 'select k, v from t order by v']);
    cached.close();
  });

  it('never holds more than its bound, dropping the least recently used', () => {
    const { db, prepared } = counting();
    const cached = withStatementCache(db, 2);
    const q = (n: number) => `select ${n} as n`;
    cached.prepare(q(1));
    cached.prepare(q(2));
    cached.prepare(q(1)); // 1 is now the most recent
    cached.prepare(q(3)); // evicts 2
    cached.prepare(q(1));
    cached.prepare(q(2)); // prepared again
    expect(prepared).toEqual([q(1), q(2), q(3), q(2)]);
    cached.close();
  });
});
