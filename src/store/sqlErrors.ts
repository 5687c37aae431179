/** Recognises driver errors the same way for better-sqlite3 and pg. */

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // pg: SQLSTATE 23505; better-sqlite3: SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function isMissingTable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  // pg: SQLSTATE 42P01 undefined_table; SQLite reports it only in the message.
  return e?.code === '42P01' || (typeof e?.message === 'string' && e.message.includes('no such table'));
}
