/**
 * The data directory and its files are the owner's alone: the database holds
 * phone numbers, events and key hashes, the key file decrypts credentials.
 * Directories are 0700 and files 0600, also when an older version left them
 * readable. POSIX only: Windows has no such modes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

const POSIX = process.platform !== 'win32';

/** Files whose presence marks a directory as a wagate data directory we may tighten. */
const OWN_FILES = ['wagate.db', 'master.key', 'network'];

function modeOf(target: string): number | undefined {
  try {
    return fs.statSync(target).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** chmod 0600 when the file exists and is looser; true when it was changed. */
export function restrictFile(file: string): boolean {
  if (!POSIX) return false;
  const mode = modeOf(file);
  if (mode === undefined || mode === FILE_MODE) return false;
  fs.chmodSync(file, FILE_MODE);
  return true;
}

/**
 * Creates `dir` (and missing parents) 0700. An existing directory is
 * tightened when it is one of ours (it holds wagate files); any other
 * directory someone pointed DATA_DIR at only gets a warning.
 */
export function prepareDataDir(dir: string, logger?: Logger): void {
  const existed = fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if (!POSIX) return;
  const mode = modeOf(dir) ?? DIR_MODE;
  if ((mode & 0o077) === 0) return;
  const ours = !existed || OWN_FILES.some((name) => fs.existsSync(path.join(dir, name)));
  if (ours) {
    fs.chmodSync(dir, DIR_MODE);
    if (existed) logger?.info({ path: dir, was: mode.toString(8) }, 'data directory was readable by other users; restricted it to 0700');
  } else {
    logger?.warn({ path: dir, mode: mode.toString(8) }, 'data directory is readable by other users; restrict it with chmod 700');
  }
}

/** Every regular file under `dir` to 0600 and every directory to 0700 (sandbox state). */
export function restrictTree(dir: string): void {
  if (!POSIX) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const mode = modeOf(dir);
  if (mode !== undefined && mode !== DIR_MODE) fs.chmodSync(dir, DIR_MODE);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) restrictTree(full);
    else if (entry.isFile()) restrictFile(full);
  }
}
