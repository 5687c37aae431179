/**
 * `wagate backup <file>`: an online, consistent copy of the store while the
 * gateway runs. SQLite: the SQLite backup API (better-sqlite3's backup()) in
 * one step, so it sees a single snapshot however busy the gateway is, into a
 * temporary file that is checked (integrity_check) and then renamed into
 * place. PostgreSQL: pg_dump, when it is installed; else what to run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sqlitePath } from '../../store/index.js';
import { say } from '../context.js';
import { CliError, EXIT } from '../exitCodes.js';
import { storeConfig } from '../storeConfig.js';

const KEY_REMINDER =
  'The backup holds encrypted credentials: to restore it you also need the master key (WAGATE_MASTER_KEY, else master.key in DATA_DIR). ' +
  'Keep that key, but not next to the backup.';

function checkTarget(target: string, force: boolean): void {
  if (fs.existsSync(target) && !force) throw new CliError(`${target} exists already: choose another file, or pass --force to replace it.`, EXIT.USAGE);
  if (!fs.existsSync(path.dirname(target))) throw new CliError(`The folder ${path.dirname(target)} does not exist.`, EXIT.USAGE);
}

async function backupSqlite(source: string, target: string): Promise<void> {
  if (source === ':memory:' || !fs.existsSync(source)) throw new CliError(`There is no database at ${source}: check DATA_DIR or DATABASE_URL.`);
  const partial = `${target}.partial-${process.pid}`;
  const db = new BetterSqlite3(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // All pages in one step: one read snapshot, never restarted by the gateway's writes.
    await db.backup(partial, { progress: () => 0x7fffffff });
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw new CliError(`The backup failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db.close();
  }
  fs.chmodSync(partial, 0o600);
  const copy = new BetterSqlite3(partial, { readonly: true, fileMustExist: true });
  let sessions: number;
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new CliError(`The copy failed its integrity check (${String(check)}); ${partial} was kept for inspection.`);
    sessions = (copy.prepare('select count(*) as n from sessions').get() as { n: number }).n;
  } finally {
    copy.close();
  }
  fs.renameSync(partial, target);
  const mb = (fs.statSync(target).size / 1024 / 1024).toFixed(1);
  say(`Backed up ${source} to ${target}: ${sessions} session(s), ${mb} MB, integrity checked.`);
  say(KEY_REMINDER);
}

/** libpq's environment variables for a postgres:// URL, so the password is not on pg_dump's command line. */
function libpqEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {};
  if (u.hostname) env.PGHOST = decodeURIComponent(u.hostname);
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  if (u.pathname.length > 1) env.PGDATABASE = decodeURIComponent(u.pathname.slice(1));
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

async function backupPostgres(url: string, target: string): Promise<void> {
  const partial = `${target}.partial-${process.pid}`;
  const code = await new Promise<number | 'missing'>((resolve) => {
    const child = spawn('pg_dump', ['--format=custom', '--no-owner', `--file=${partial}`], {
      env: { ...process.env, ...libpqEnv(url) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? 'missing' : 1));
    child.once('exit', (status) => resolve(status ?? 1));
  });
  if (code === 'missing') {
    throw new CliError(
      'The store is PostgreSQL and pg_dump is not installed here. Install the PostgreSQL client tools, or run on a machine that has them:\n' +
        `  pg_dump --format=custom --file=${target} "$DATABASE_URL"\n` +
        'Restore with pg_restore --clean --dbname "$DATABASE_URL" into a stopped gateway\'s database.',
    );
  }
  if (code !== 0) {
    fs.rmSync(partial, { force: true });
    throw new CliError(`pg_dump failed (exit ${code}); its message is above.`);
  }
  fs.renameSync(partial, target);
  say(`Backed up the PostgreSQL database to ${target} (pg_dump custom format; restore with pg_restore).`);
  say(KEY_REMINDER);
}

export interface BackupOptions {
  force?: boolean;
  sandbox?: boolean;
}

export async function backup(file: string, opts: BackupOptions): Promise<void> {
  const target = path.resolve(file);
  checkTarget(target, opts.force === true);
  const { databaseUrl } = storeConfig(opts);
  const source = sqlitePath(databaseUrl);
  if (source !== undefined) await backupSqlite(source, target);
  else await backupPostgres(databaseUrl, target);
}
