/**
 * What a stopped gateway's SQLite store holds in Signal keys: rows of
 * `signal_keys` per type, counted straight from `<dataDir>/wagate.db`
 * (values are encrypted; only rows are counted).
 */
import path from 'node:path';
import Database from 'better-sqlite3';

export function signalKeyCounts(dataDir: string): Record<string, number> {
  const db = new Database(path.join(dataDir, 'wagate.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT type, COUNT(*) AS n FROM signal_keys GROUP BY type').all() as Array<{ type: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  } finally {
    db.close();
  }
}
