#!/usr/bin/env node
/**
 * Runs before `npm start` and `npm run sandbox` (prestart, presandbox): they
 * run the compiled gateway, dist/main.js. When it is missing, say how to make
 * it instead of Node's "Cannot find module"; when src/ changed since the
 * build (a `git pull` without `npm ci`), say so but start anyway.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

const built = mtime(MAIN);
if (built === undefined) {
  process.stderr.write(
    '\nwagate is not built yet (dist/main.js is missing).\n' +
      '  Build it once:         npm run build   (npm ci runs it for you)\n' +
      '  Or run the source:     npm run dev     (TypeScript through tsx, restarts on changes)\n\n',
  );
  process.exit(1);
}

let newest = 0;
for (const entry of readdirSync(path.join(ROOT, 'src'), { withFileTypes: true, recursive: true })) {
  if (entry.isFile()) newest = Math.max(newest, mtime(path.join(entry.parentPath, entry.name)) ?? 0);
}
if (newest > built) {
  process.stderr.write('\nwagate: src/ changed since the last build; starting the older build. Run `npm run build` to use the new code.\n\n');
}
